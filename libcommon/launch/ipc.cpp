// Node's IPC channel: framing, bounded line splitting, decode and send (ipc.hpp).
#include "libcommon/launch/ipc.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "libcommon/core/error.hpp"
#include "libcommon/core/json.hpp"
#include "libcommon/core/parse.hpp"

namespace ptool {

namespace {

// Enough ancillary space for a few fds per recvmsg; Node sends one per message.
constexpr size_t kMaxFdsPerRead = 8;
constexpr size_t kReadChunk = 64 * 1024;

// As Node's MAX_HANDLE_RETRANSMISSIONS.
constexpr int kMaxHandleRetransmissions = 3;

// The channel's own reference to an fd it is to send (closed once sent or acknowledged).
UniqueFd dup_for_sending(int fd) {
    int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (dup < 0) throw SysError("ipc channel: fd " + std::to_string(fd), errno);
    return UniqueFd(dup);
}

int poll_one(int fd, short events, int timeout_ms) {
    pollfd p{fd, events, 0};
    for (;;) {
        int n = ::poll(&p, 1, timeout_ms);
        if (n >= 0) return n;
        if (errno != EINTR) throw SysError("ipc channel: poll", errno);
    }
}

}  // namespace

size_t parse_message_limit(std::string_view text) {
    uint64_t n = parse_size(text);
    if (n == 0 || n > (uint64_t{1} << 30))
        throw UsageError("message size limit '" + std::string(text) +
                         "' must be from 1 byte to 1G");
    return static_cast<size_t>(n);
}

std::string too_large_message(size_t bytes, size_t limit) {
    return "message of " + std::to_string(bytes) + " bytes is larger than the limit of " +
           std::to_string(limit) + " bytes; dropped";
}

IpcPair make_ipc_pair() {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        throw SysError("ipc channel: socketpair", errno);
    return IpcPair{UniqueFd(sv[0]), UniqueFd(sv[1])};
}

std::vector<std::string> ipc_child_env(int child_fd) {
    return {std::string(kNodeChannelFdEnv) + "=" + std::to_string(child_fd),
            std::string(kNodeChannelModeEnv) + "=json"};
}

std::optional<int> inherited_channel_fd() {
    const char* text = std::getenv(kNodeChannelFdEnv);
    if (text == nullptr) return std::nullopt;
    auto fd = parse_int(text);
    if (!fd || *fd < 0 || *fd > 1 << 20)
        throw Error(std::string(kNodeChannelFdEnv) + "='" + text + "': not a file descriptor");
    struct stat st;
    if (::fstat(static_cast<int>(*fd), &st) != 0)
        throw SysError(std::string(kNodeChannelFdEnv) + "=" + text, errno);
    if (!S_ISSOCK(st.st_mode))
        throw Error(std::string(kNodeChannelFdEnv) + "=" + text + ": not a socket");
    return static_cast<int>(*fd);
}

void IpcChannel::send(const Json& message, int pass_fd) {
    send_text(json_text(message), pass_fd);
}

void IpcChannel::send(const nlohmann::json& message, int pass_fd) {
    send_text(json_text(message), pass_fd);
}

void IpcChannel::send_text(std::string_view text, int pass_fd) {
    submit(make_pending(text, pass_fd));
}

void IpcChannel::send_handle(const Json& message, int fd) {
    Pending p = make_pending(json_text(node_handle_envelope(message, fd)), fd);
    p.handle = true;
    submit(std::move(p));
}

IpcChannel::Pending IpcChannel::make_pending(std::string_view text, int pass_fd) {
    Pending p;
    p.bytes.reserve(text.size() + 1);
    p.bytes.append(text);
    p.bytes.push_back('\n');
    if (pass_fd >= 0) p.fd = dup_for_sending(pass_fd);
    return p;
}

void IpcChannel::submit(Pending p) {
    if (unacked_ || !held_.empty())
        held_.push_back(std::move(p));
    else
        enqueue(std::move(p));
}

void IpcChannel::enqueue(Pending p) {
    if (p.handle) {  // from now on later messages wait for this one's ACK
        unacked_.emplace(Unacked{p.bytes, dup_for_sending(p.fd.get()), 0});
        p.handle = false;
    }
    queued_ += p.bytes.size();
    out_.push_back(std::move(p));
    if (auto_flush_) flush();
}

void IpcChannel::on_handle_reply(bool ack) {
    if (!unacked_) return;  // a reply to nothing we sent: ignored, as Node does
    if (!ack && unacked_->retransmissions++ < kMaxHandleRetransmissions) {
        enqueue(Pending{unacked_->bytes, dup_for_sending(unacked_->fd.get()), false});
        return;
    }
    if (!ack) ++lost_handles_;
    unacked_.reset();
    // Release what was held, in order, up to the next handle (which holds the rest).
    bool auto_flush = std::exchange(auto_flush_, false);
    while (!held_.empty() && !unacked_) {
        Pending p = std::move(held_.front());
        held_.pop_front();
        enqueue(std::move(p));
    }
    auto_flush_ = auto_flush;
    if (auto_flush_) flush();
}

bool IpcChannel::flush() {
    while (!out_.empty()) {
        iovec iov[kIpcWriteBatch];
        size_t count = 0;
        msghdr msg{};
        FdPassingControl control;
        if (out_.front().fd) {
            Pending& p = out_.front();
            iov[count++] = {p.bytes.data() + out_offset_, p.bytes.size() - out_offset_};
            attach_fd(msg, control, p.fd.get());
        } else {
            size_t skip = out_offset_;
            for (auto it = out_.begin(); it != out_.end() && count < kIpcWriteBatch && !it->fd;
                 ++it, skip = 0)
                iov[count++] = {it->bytes.data() + skip, it->bytes.size() - skip};
        }
        msg.msg_iov = iov;
        msg.msg_iovlen = count;
        ssize_t n = ::sendmsg(fd_.get(), &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
            throw SysError("ipc channel: write", errno);
        }
        out_.front().fd.reset();  // the kernel holds its own reference once any byte went out
        auto written = static_cast<size_t>(n);
        queued_ -= written;
        while (written > 0) {
            size_t left = out_.front().bytes.size() - out_offset_;
            if (written < left) {
                out_offset_ += written;
                break;
            }
            written -= left;
            out_.pop_front();
            out_offset_ = 0;
        }
    }
    return true;
}

bool IpcChannel::flush_blocking(int timeout_ms) {
    while (!flush()) {
        if (poll_one(fd_.get(), POLLOUT, timeout_ms) == 0) return false;
    }
    return true;
}

bool IpcChannel::read(std::vector<IpcMessage>& out) {
    more_ = false;
    if (eof_) return false;
    // An fd goes to the message that contains its anchor; a dropped message closes its fds.
    auto on_line = [&](std::string_view text, uint64_t nl, size_t dropped) {
        IpcMessage m;
        for (auto it = in_fds_.begin(); it != in_fds_.end();) {
            if (it->first <= nl) {
                if (!m.fd && dropped == 0) m.fd = std::move(it->second);  // extras are closed
                it = in_fds_.erase(it);
            } else {
                ++it;
            }
        }
        if (dropped > 0) {
            m.error = too_large_message(dropped, lines_.max());
        } else {
            if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
            if (text.empty() && !m.fd) return;
            m.text.assign(text);
        }
        out.push_back(std::move(m));
    };
    char chunk[kReadChunk];
    for (size_t taken = 0; taken < kIpcReadBudget;) {
        iovec iov{chunk, sizeof chunk};
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFdsPerRead)];
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        ssize_t n = ::recvmsg(fd_.get(), &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        int err = errno;
        if (n < 0) {
            if (err == EINTR) continue;
            if (err == EAGAIN || err == EWOULDBLOCK) return true;
            if (err != ECONNRESET) throw SysError("ipc channel: read", err);
            n = 0;
        }
        std::string_view data(chunk, static_cast<size_t>(n));
        // The kernel ends a read right after the one write that carried fds, and
        // each write carries at most one message start: the fds belong to the last
        // message that starts within this chunk.
        uint64_t anchor = in_offset_;
        if (n >= 2) {
            size_t nl = data.rfind('\n', data.size() - 2);
            if (nl != std::string_view::npos) anchor = in_offset_ + nl + 1;
        }
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
            size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < count; ++i) {
                int fd;
                std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
                in_fds_.emplace_back(anchor, UniqueFd(fd));
            }
        }
        if (n == 0) {
            eof_ = true;
            // A message cut off by EOF is reported, not taken: Node's sender always ends
            // a message with "\n", so the rest is a peer that died mid-write.
            lines_.finish([&](std::string_view text, uint64_t, size_t dropped) {
                IpcMessage m;
                m.error = dropped > 0 ? too_large_message(dropped, lines_.max())
                                      : "message of " + std::to_string(text.size()) +
                                            " bytes cut off by the end of the channel (no "
                                            "newline); dropped";
                out.push_back(std::move(m));
            });
            in_fds_.clear();
            return false;
        }
        lines_.feed(data, on_line);
        in_offset_ += static_cast<uint64_t>(n);
        taken += static_cast<size_t>(n);
    }
    more_ = true;
    return true;
}

std::optional<LineBuffer::Saved> IpcChannel::save_input() const {
    if (!in_fds_.empty()) return std::nullopt;
    return lines_.save();
}

void IpcChannel::restore_input(LineBuffer::Saved saved) {
    in_offset_ = saved.dropping ? saved.dropped : saved.partial.size();
    lines_.restore(std::move(saved));
}

bool IpcChannel::read_blocking(std::vector<IpcMessage>& out, int timeout_ms) {
    size_t before = out.size();
    auto deadline_left = timeout_ms;
    for (;;) {
        bool open = read(out);
        if (out.size() > before || !open) return out.size() > before;
        // A simple wait: the timeout restarts only when partial data arrives.
        if (poll_one(fd_.get(), POLLIN, deadline_left) == 0) return false;
    }
}

IpcDecoded IpcChannel::decode(IpcMessage message) {
    IpcDecoded d;
    if (!message.error.empty()) {
        d.kind = IpcDecoded::Kind::invalid;
        d.error = std::move(message.error);
        return d;
    }
    JsonParse parsed = parse_json_text(message.text);
    if (!parsed) {
        d.kind = IpcDecoded::Kind::invalid;
        d.error = "invalid JSON " + parsed.error;
        return d;
    }
    d.data = std::move(*parsed.value);
    if (!is_node_internal(d.data)) {
        d.fd = std::move(message.fd);
        return d;
    }
    const auto& cmd = d.data["cmd"].get_ref<const std::string&>();
    if (cmd != "NODE_HANDLE") {
        if (cmd == "NODE_HANDLE_ACK" || cmd == "NODE_HANDLE_NACK")
            on_handle_reply(cmd == "NODE_HANDLE_ACK");
        d.kind = IpcDecoded::Kind::internal;
        return d;
    }
    // Our answers go out at once, past any message we hold for our own handle.
    if (!message.fd) {
        enqueue(make_pending(R"({"cmd":"NODE_HANDLE_NACK"})", -1));
        d.kind = IpcDecoded::Kind::internal;
        return d;
    }
    enqueue(make_pending(R"({"cmd":"NODE_HANDLE_ACK"})", -1));
    d.kind = IpcDecoded::Kind::handle;
    d.fd = std::move(message.fd);
    Json inner = d.data.contains("msg") ? d.data["msg"] : Json();
    d.data = std::move(inner);
    return d;
}

void IpcChannel::shutdown_write() {
    if (fd_ && ::shutdown(fd_.get(), SHUT_WR) != 0 && errno != ENOTCONN)
        throw SysError("ipc channel: shutdown", errno);
}

Json node_handle_envelope(const Json& message, int fd) {
    const char* type = "net.Native";
    int sotype = 0, listening = 0;
    socklen_t len = sizeof sotype;
    if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &sotype, &len) == 0) {
        len = sizeof listening;
        ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len);
        if (sotype == SOCK_DGRAM)
            type = "dgram.Native";
        else if (sotype == SOCK_STREAM)
            type = listening ? "net.Server" : "net.Socket";
    }
    return {{"cmd", "NODE_HANDLE"}, {"type", type}, {"msg", message}};
}

bool is_node_internal(const Json& message) {
    if (!message.is_object()) return false;
    auto it = message.find("cmd");
    return it != message.end() && it->is_string() &&
           it->get_ref<const std::string&>().starts_with("NODE_");
}

}  // namespace ptool
