// fork-cluster's readiness probes: parsing --ready's probe forms, and one probe per
// starting worker on the master's loop (non-blocking connect, a bounded HTTP reply,
// or a /bin/sh -c child), never blocking the loop.
#include "tools/fork_cluster/probes.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "libcommon/core/error.hpp"
#include "libcommon/core/parse.hpp"

namespace ptool {

namespace {

constexpr size_t kMaxReplyLine = 4096;

uint16_t parse_port(std::string_view text, std::string_view whole) {
    auto n = parse_int(text);
    if (!n || *n < 1 || *n > 65535)
        throw UsageError("bad probe '" + std::string(whole) + "': expected a port 1..65535");
    return static_cast<uint16_t>(*n);
}

// "HOST:PORT", "[V6]:PORT" or "PORT" (loopback); HOST a numeric address or localhost.
void parse_host_port(std::string_view text, std::string_view whole, ProbeSpec& spec) {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
        spec.port = parse_port(text, whole);
        return;
    }
    std::string host(text.substr(0, colon));
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    if (host == "localhost") host = "127.0.0.1";
    in6_addr any{};
    if (::inet_pton(AF_INET, host.c_str(), &any) != 1 &&
        ::inet_pton(AF_INET6, host.c_str(), &any) != 1)
        throw UsageError("bad probe '" + std::string(whole) +
                         "': the host must be a numeric address or localhost");
    spec.host = host;
    spec.port = parse_port(text.substr(colon + 1), whole);
}

bool is_v6(const std::string& host) {
    return host.find(':') != std::string::npos;
}

}  // namespace

std::optional<ProbeSpec> parse_probe(std::string_view text) {
    ProbeSpec spec;
    spec.text = std::string(text);
    if (text.starts_with("tcp:")) {
        spec.kind = ProbeSpec::Kind::tcp;
        parse_host_port(text.substr(4), text, spec);
        return spec;
    }
    if (text.starts_with("http://")) {
        spec.kind = ProbeSpec::Kind::http;
        std::string_view rest = text.substr(7);
        size_t slash = rest.find('/');
        std::string_view authority = rest.substr(0, slash);
        if (slash != std::string_view::npos) spec.path = std::string(rest.substr(slash));
        if (authority.find(':') == std::string_view::npos ||
            (authority.front() == '[' && authority.back() == ']'))
            throw UsageError("bad probe '" + spec.text + "': the URL needs a port");
        parse_host_port(authority, text, spec);
        for (char c : spec.path)
            if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
                throw UsageError("bad probe '" + spec.text + "': space or control byte in path");
        return spec;
    }
    if (text.starts_with("http:") || text.starts_with("https:"))
        throw UsageError("bad probe '" + spec.text + "': expected http://HOST:PORT/PATH");
    if (text.starts_with("exec:")) {
        spec.kind = ProbeSpec::Kind::exec;
        spec.command = std::string(text.substr(5));
        if (spec.command.empty()) throw UsageError("bad probe 'exec:': the command is empty");
        return spec;
    }
    return std::nullopt;
}

unsigned long accepted_socket_inode(uint16_t server_port, uint16_t client_port, bool ipv6) {
    std::ifstream in(ipv6 ? "/proc/net/tcp6" : "/proc/net/tcp");
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string sl, local, remote, state, queues, timer, retr, uid, timeout;
        unsigned long inode = 0;
        if (!(fields >> sl >> local >> remote >> state >> queues >> timer >> retr >> uid >>
              timeout >> inode))
            continue;
        auto port_of = [](const std::string& addr) {
            size_t colon = addr.rfind(':');
            return colon == std::string::npos ? 0ul
                                              : std::strtoul(addr.c_str() + colon + 1, nullptr, 16);
        };
        if (port_of(local) == server_port && port_of(remote) == client_port) return inode;
    }
    return 0;
}

bool process_holds_socket(pid_t pid, unsigned long inode) {
    std::string dir = "/proc/" + std::to_string(pid) + "/fd";
    DIR* d = ::opendir(dir.c_str());
    if (!d) return false;
    std::string want = "socket:[" + std::to_string(inode) + "]";
    bool found = false;
    char target[64];
    while (dirent* e = ::readdir(d)) {
        if (e->d_name[0] == '.') continue;
        ssize_t n = ::readlinkat(::dirfd(d), e->d_name, target, sizeof target);
        if (n > 0 && std::string_view(target, static_cast<size_t>(n)) == want) {
            found = true;
            break;
        }
    }
    ::closedir(d);
    return found;
}

ReadyProbe::ReadyProbe(EventLoop& loop, const ProbeSpec& spec, pid_t pid, int worker_id,
                       bool shared_port, std::chrono::nanoseconds timeout,
                       std::function<void()> on_ready, std::function<void()> on_timeout)
    : loop_(loop),
      spec_(spec),
      pid_(pid),
      worker_id_(worker_id),
      shared_port_(shared_port),
      on_ready_(std::move(on_ready)),
      on_timeout_(std::move(on_timeout)) {
    if (timeout > std::chrono::nanoseconds::zero())
        deadline_ = loop_.add_timer(timeout, [this] {
            deadline_ = 0;
            done_ = true;
            close_socket();
            on_timeout_();  // may destroy this
        });
    tick_timer_ = loop_.add_timer(std::chrono::milliseconds(0), [this] { tick(); });
}

ReadyProbe::~ReadyProbe() {
    if (tick_timer_) loop_.cancel_timer(tick_timer_);
    if (deadline_) loop_.cancel_timer(deadline_);
    close_socket();
    if (exec_.running()) {
        loop_.unwatch_child(exec_);
        exec_.signal_tree(SIGKILL);
    }
}

void ReadyProbe::close_socket() {
    if (sock_) {
        if (loop_.watching_fd(sock_.get())) loop_.unwatch_fd(sock_.get());
        sock_.reset();
    }
}

void ReadyProbe::again() {
    close_socket();
    step_ = Step::idle;
    if (!done_ && !tick_timer_) tick_timer_ = loop_.add_timer(kProbeInterval, [this] { tick(); });
}

void ReadyProbe::answered() {
    done_ = true;
    close_socket();
    if (deadline_) loop_.cancel_timer(deadline_), deadline_ = 0;
    on_ready_();  // may destroy this
}

void ReadyProbe::tick() {
    tick_timer_ = 0;
    if (done_) return;
    if (step_ == Step::accepting) return check_accepted();
    if (step_ != Step::idle) return;
    if (spec_.kind == ProbeSpec::Kind::exec)
        start_exec();
    else
        start_connect();
}

void ReadyProbe::start_connect() {
    bool v6 = is_v6(spec_.host);
    sock_ =
        UniqueFd(::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!sock_) return again();
    sockaddr_storage ss{};
    socklen_t len;
    if (v6) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(spec_.port);
        ::inet_pton(AF_INET6, spec_.host.c_str(), &a->sin6_addr);
        len = sizeof *a;
    } else {
        auto* a = reinterpret_cast<sockaddr_in*>(&ss);
        a->sin_family = AF_INET;
        a->sin_port = htons(spec_.port);
        ::inet_pton(AF_INET, spec_.host.c_str(), &a->sin_addr);
        len = sizeof *a;
    }
    int rc = ::connect(sock_.get(), reinterpret_cast<sockaddr*>(&ss), len);
    if (rc != 0 && errno != EINPROGRESS) return again();
    step_ = Step::connecting;
    loop_.watch_fd(sock_.get(), EPOLLOUT, [this](uint32_t ev) { on_socket(ev); });
}

void ReadyProbe::on_socket(uint32_t events) {
    if (step_ == Step::connecting) {
        int err = 0;
        socklen_t len = sizeof err;
        if (::getsockopt(sock_.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)
            return again();
        sockaddr_storage local{};
        socklen_t llen = sizeof local;
        ::getsockname(sock_.get(), reinterpret_cast<sockaddr*>(&local), &llen);
        local_port_ =
            ntohs(local.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&local)->sin6_port
                                              : reinterpret_cast<sockaddr_in*>(&local)->sin_port);
        loop_.modify_fd(sock_.get(), 0);
        step_ = Step::accepting;
        return check_accepted();
    }
    if (step_ == Step::waiting_reply && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
        return read_reply();
}

// On a shared port, the connection may sit in the backlog or go to another worker:
// it counts once the probed worker holds its accepted end.
void ReadyProbe::check_accepted() {
    if (shared_port_) {
        unsigned long inode = accepted_socket_inode(spec_.port, local_port_, is_v6(spec_.host));
        if (inode == 0) {  // still in the backlog: look again next tick
            if (!tick_timer_) tick_timer_ = loop_.add_timer(kProbeInterval, [this] { tick(); });
            return;
        }
        if (!process_holds_socket(pid_, inode)) return again();  // another worker took it
    }
    if (spec_.kind == ProbeSpec::Kind::tcp) return answered();
    send_request();
}

void ReadyProbe::send_request() {
    std::string host = is_v6(spec_.host) ? "[" + spec_.host + "]" : spec_.host;
    std::string req = "GET " + spec_.path + " HTTP/1.0\r\nHost: " + host + ":" +
                      std::to_string(spec_.port) +
                      "\r\nUser-Agent: ptool-fork-cluster\r\nConnection: close\r\n\r\n";
    // A fresh connection's send buffer takes a request this small whole.
    if (::send(sock_.get(), req.data(), req.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(req.size()))
        return again();
    reply_.clear();
    step_ = Step::waiting_reply;
    loop_.modify_fd(sock_.get(), EPOLLIN);
}

// "HTTP/1.x NNN ...": 2xx and 3xx are ready.
void ReadyProbe::read_reply() {
    char buf[1024];
    ssize_t n = ::recv(sock_.get(), buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n > 0) reply_.append(buf, static_cast<size_t>(n));
    size_t eol = reply_.find('\n');
    if (eol == std::string::npos && n > 0 && reply_.size() < kMaxReplyLine) return;
    if (reply_.starts_with("HTTP/1.") && reply_.size() >= 12 && reply_[8] == ' ' &&
        (reply_[9] == '2' || reply_[9] == '3'))
        return answered();
    again();
}

void ReadyProbe::start_exec() {
    ChildSpec spec;
    spec.argv = {"/bin/sh", "-c", spec_.command};
    spec.new_process_group = true;
    spec.parent_death_signal = SIGKILL;
    spec.env_set = {{"PTOOL_WORKER_ID", std::to_string(worker_id_)},
                    {"PTOOL_WORKER_PID", std::to_string(pid_)}};
    try {
        exec_ = launch(spec);
    } catch (const Error&) {
        return again();
    }
    step_ = Step::running;
    loop_.watch_child(exec_, [this](const ExitStatus& st) {
        if (st.exited() && st.code() == 0) return answered();
        again();
    });
}

}  // namespace ptool
