// The sd_notify receiver (abstract socket, sender checks) and sender (notify.hpp).
#include "libcommon/supervise/notify.hpp"

#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "libcommon/bytes/tables.hpp"
#include "libcommon/core/error.hpp"
#include "libcommon/core/parse.hpp"
#include "libcommon/launch/event_loop.hpp"

namespace ptool {

namespace {

struct UnixAddress {
    sockaddr_un addr{};
    socklen_t len = 0;
};

// "/path" -> a filesystem address; "@name" -> an abstract one (leading NUL).
UnixAddress make_address(std::string_view text) {
    UnixAddress out;
    out.addr.sun_family = AF_UNIX;
    if (text.empty() || (text[0] != '/' && text[0] != '@'))
        throw SysError(text.empty() ? std::string_view("NOTIFY_SOCKET") : text, EAFNOSUPPORT);
    // A path needs its NUL; an abstract name's length is exactly its bytes.
    size_t limit = text[0] == '/' ? sizeof out.addr.sun_path - 1 : sizeof out.addr.sun_path;
    if (text.size() > limit) throw SysError(text, ENAMETOOLONG);
    std::memcpy(out.addr.sun_path, text.data(), text.size());
    if (text[0] == '@') out.addr.sun_path[0] = '\0';
    out.len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + text.size() +
                                     (text[0] == '/' ? 1 : 0));
    return out;
}

UniqueFd make_socket(int extra_flags) {
    int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | extra_flags, 0);
    if (fd < 0) throw SysError("socket", errno);
    return UniqueFd(fd);
}

std::string random_suffix() {
    static std::atomic<unsigned> counter{0};
    uint64_t bits = 0;
    if (getrandom(&bits, sizeof bits, GRND_NONBLOCK) != sizeof bits)
        bits = static_cast<uint64_t>(::getpid()) * 0x9e3779b97f4a7c15ULL;
    std::string out = std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-";
    for (int i = 0; i < 8; ++i) out += kHexDigitsLower[(bits >> (i * 4)) & 0xf];
    return out;
}

}  // namespace

std::optional<std::string_view> NotifyMessage::get(std::string_view key) const {
    for (auto it = fields.rbegin(); it != fields.rend(); ++it)
        if (it->first == key) return std::string_view(it->second);
    return std::nullopt;
}

std::optional<pid_t> NotifyMessage::main_pid() const {
    auto text = get("MAINPID");
    if (!text) return std::nullopt;
    auto n = parse_int(*text);
    if (!n || *n <= 0 || *n > INT32_MAX) return std::nullopt;
    return static_cast<pid_t>(*n);
}

std::optional<int> NotifyMessage::error_number() const {
    auto text = get("ERRNO");
    if (!text) return std::nullopt;
    auto n = parse_int(*text);
    if (!n || *n < 0 || *n > INT32_MAX) return std::nullopt;
    return static_cast<int>(*n);
}

std::vector<std::pair<std::string, std::string>> parse_notify_fields(std::string_view datagram) {
    std::vector<std::pair<std::string, std::string>> out;
    while (!datagram.empty()) {
        size_t nl = datagram.find('\n');
        std::string_view line = datagram.substr(0, nl);
        datagram = nl == std::string_view::npos ? std::string_view() : datagram.substr(nl + 1);
        size_t eq = line.find('=');
        if (eq == std::string_view::npos || eq == 0) continue;
        out.emplace_back(std::string(line.substr(0, eq)), std::string(line.substr(eq + 1)));
    }
    return out;
}

NotifyReceiver NotifyReceiver::create() {
    // The name holds our pid and a counter, so only a foreign squatter can collide.
    for (int attempt = 0;; ++attempt) {
        try {
            return bind_to("@ptool-notify/" + random_suffix());
        } catch (const SysError& e) {
            if (e.err() != EADDRINUSE || attempt == 8) throw;
        }
    }
}

NotifyReceiver NotifyReceiver::bind_to(std::string_view address) {
    UnixAddress addr = make_address(address);
    NotifyReceiver receiver;
    receiver.fd_ = make_socket(SOCK_NONBLOCK);
    int one = 1;
    if (::setsockopt(receiver.fd_.get(), SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0)
        throw SysError("setsockopt SO_PASSCRED", errno);
    if (::bind(receiver.fd_.get(), reinterpret_cast<sockaddr*>(&addr.addr), addr.len) < 0)
        throw SysError(address, errno);
    receiver.address_ = std::string(address);
    return receiver;
}

NotifyReceiver NotifyReceiver::adopt(UniqueFd fd, std::string address) {
    int type = 0;
    socklen_t len = sizeof type;
    if (::getsockopt(fd.get(), SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_DGRAM)
        throw Error("notify socket: fd " + std::to_string(fd.get()) + " is not a datagram socket");
    NotifyReceiver r;
    r.fd_ = std::move(fd);
    r.address_ = std::move(address);
    return r;
}

NotifyReceiver::NotifyReceiver(NotifyReceiver&& other) noexcept
    : fd_(std::move(other.fd_)),
      address_(std::exchange(other.address_, {})),
      allowed_uids_(std::move(other.allowed_uids_)) {}

NotifyReceiver& NotifyReceiver::operator=(NotifyReceiver&& other) noexcept {
    if (this != &other) {
        remove_path();
        fd_ = std::move(other.fd_);
        address_ = std::exchange(other.address_, {});
        allowed_uids_ = std::move(other.allowed_uids_);
    }
    return *this;
}

NotifyReceiver::~NotifyReceiver() {
    remove_path();
}

void NotifyReceiver::remove_path() noexcept {
    if (!address_.empty() && address_[0] == '/') ::unlink(address_.c_str());
    address_.clear();
    fd_.reset();
}

void NotifyReceiver::allow_owner(uid_t uid, gid_t gid) {
    allowed_uids_.push_back(uid);
    if (address_.empty() || address_[0] != '/') return;  // abstract: no permissions
    if (::chown(address_.c_str(), uid, gid) < 0) throw SysError(address_, errno);
}

bool NotifyReceiver::accepts(uid_t uid) const {
    return uid == 0 || uid == ::geteuid() ||
           std::find(allowed_uids_.begin(), allowed_uids_.end(), uid) != allowed_uids_.end();
}

std::optional<NotifyMessage> NotifyReceiver::receive() {
    for (;;) {
        std::optional<NotifyMessage> message = receive_any();
        if (!message || accepts(message->sender_uid)) return message;
    }
}

std::optional<NotifyMessage> NotifyReceiver::receive_any() {
    // systemd caps a notification well below this; larger datagrams are truncated.
    char data[16384];
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred)) + CMSG_SPACE(sizeof(int) * 253)];
    iovec iov{data, sizeof data};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do {
        n = ::recvmsg(fd_.get(), &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return std::nullopt;
        throw SysError("recvmsg " + address_, errno);
    }
    NotifyMessage message;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET) continue;
        if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len >= CMSG_LEN(sizeof(ucred))) {
            ucred cred;
            std::memcpy(&cred, CMSG_DATA(c), sizeof cred);
            message.sender_pid = cred.pid;
            message.sender_uid = cred.uid;
        } else if (c->cmsg_type == SCM_RIGHTS) {
            size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < count; ++i) {
                int passed;
                std::memcpy(&passed, CMSG_DATA(c) + i * sizeof(int), sizeof passed);
                ::close(passed);
            }
        }
    }
    size_t len = static_cast<size_t>(n) < sizeof data ? static_cast<size_t>(n) : sizeof data;
    message.fields = parse_notify_fields(std::string_view(data, len));
    return message;
}

void notify_send(std::string_view address, std::string_view state, int pass_fd) {
    UnixAddress addr = make_address(address);
    UniqueFd fd = make_socket(0);  // blocking: a busy receiver delays, not drops, us
    iovec iov{const_cast<char*>(state.data()), state.size()};
    msghdr msg{};
    msg.msg_name = &addr.addr;
    msg.msg_namelen = addr.len;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    FdPassingControl control;
    if (pass_fd >= 0) attach_fd(msg, control, pass_fd);
    ssize_t n;
    do {
        n = ::sendmsg(fd.get(), &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw SysError(address, errno);
}

bool notify_send_env(std::string_view state) {
    const char* address = std::getenv("NOTIFY_SOCKET");
    if (!address || !*address) return false;
    notify_send(address, state);
    return true;
}

std::optional<std::string> wait_for_ready(NotifyReceiver& receiver, pid_t pid,
                                          const SpelledDuration& limit, const std::string& program,
                                          std::string* status) {
    EventLoop loop;
    bool ready = false;
    std::optional<std::string> failure;
    std::string status_text;
    std::optional<int> error_number;
    auto drain = [&] {
        while (auto message = receiver.receive()) {
            if (auto text = message->status()) status_text = *text;
            if (auto err = message->error_number()) error_number = err;
            if (ready) {
                // systemd-notify --ready follows with BARRIER=1 and waits until its fd is
                // closed (receive() did): stay for it rather than vanish under it.
                if (message->get("BARRIER") == "1") loop.stop();
            } else if (message->ready()) {
                ready = true;
                loop.add_timer(std::chrono::milliseconds(100), [&] { loop.stop(); });
            } else if (message->stopping()) {
                failure = program + ": stopping before it was ready";
                loop.stop();
            }
        }
    };
    loop.watch_fd(receiver.fd(), EPOLLIN, [&](uint32_t) { drain(); });
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (pidfd)
        loop.watch_fd(pidfd.get(), EPOLLIN, [&](uint32_t) {
            drain();  // it may have said READY=1 just before going
            if (!ready && !failure) failure = program + ": exited before it reported READY=1";
            loop.stop();
        });
    loop.add_timer(limit, [&] {
        if (!ready)
            failure = program + ": not ready after " + format_duration(limit) + " (no READY=1)";
        loop.stop();
    });
    loop.run();
    if (failure && error_number) *failure += std::string(" (") + std::strerror(*error_number) + ")";
    if (failure && !status_text.empty()) *failure += " (STATUS=" + status_text + ")";
    if (status) *status = status_text;
    return failure;
}

}  // namespace ptool
