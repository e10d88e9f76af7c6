// fork-cluster's control server: the 0600 unix socket, accepting clients (same uid or
// root), reading their requests and answering them through cluster_control's
// {cmd -> handler} table (the "status" reply is status.cpp's).
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libcommon/core/error.hpp"
#include "tools/fork_cluster/master.hpp"

namespace ptool::cluster {

constexpr size_t kMaxControlClients = 64;
// Replies a control client has not read yet; past this it is dropped (a client that
// sends requests and never reads must not grow the master).
constexpr size_t kMaxClientOutput = 1024 * 1024;

void Master::setup_control() {
    if (control_) {  // an upgrade's new image: the socket and its clients carried over
        set_nonblocking(control_.get());
        loop_.watch_fd(control_.get(), EPOLLIN, [this](uint32_t) { on_control_accept(); });
        for (auto& [fd, c] : clients_) {
            int f = fd;
            loop_.watch_fd(f, 0, [this, f](uint32_t ev) { on_control_client(f, ev); });
            update_client_watch(f);
        }
        return;
    }
    ListenAddress a = parse_listen_address("unix:" + config_.control_path);
    mode_t old = ::umask(0177);  // the socket is created 0600: no window where others may connect
    try {
        control_ = bind_listen(a);
    } catch (...) {
        ::umask(old);
        throw;
    }
    ::umask(old);
    ::chmod(config_.control_path.c_str(), 0600);
    set_nonblocking(control_.get());
    loop_.watch_fd(control_.get(), EPOLLIN, [this](uint32_t) { on_control_accept(); });
}

void Master::on_control_accept() {
    for (;;) {
        int fd = ::accept4(control_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) return;  // EAGAIN, or a client that went away meanwhile
        auto client = std::make_unique<ControlClient>();
        client->channel = IpcChannel(UniqueFd(fd));
        client->channel.set_max_message(config_.max_message);
        ucred cred{};
        socklen_t len = sizeof cred;
        bool allowed = ::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
                       (cred.uid == ::geteuid() || cred.uid == 0);
        if (!allowed || clients_.size() >= kMaxControlClients) {
            try {
                client->channel.send(Json{
                    {"ok", false}, {"error", allowed ? "too many clients" : "permission denied"}});
            } catch (const SysError&) {
            }
            continue;  // closed by the destructor
        }
        loop_.watch_fd(fd, EPOLLIN, [this, fd](uint32_t ev) { on_control_client(fd, ev); });
        clients_[fd] = std::move(client);
    }
}

void Master::on_control_client(int fd, uint32_t events) {
    auto it = clients_.find(fd);
    if (it == clients_.end()) return;
    ControlClient& c = *it->second;
    bool open = true;
    try {
        if (events & EPOLLOUT) c.channel.flush();
        if (events & (EPOLLIN | EPOLLHUP | EPOLLERR) && !c.held) {
            std::vector<IpcMessage> requests;
            open = c.channel.read(requests);
            if (!answer_requests(fd, c, requests)) return;
        }
        c.channel.flush();
    } catch (const SysError&) {
        open = false;
        c.held = false;  // gone: no reply to wait for
        loop_.unwatch_fd(fd);
        c.channel = IpcChannel();
    }
    if (!open) c.closing = true;
    update_client_watch(fd);
}

bool Master::answer_requests(int fd, ControlClient& c, std::vector<IpcMessage>& requests) {
    for (auto& r : requests) {
        if (c.held) {  // after an upgrade request: answered once its reply is out
            c.pending.push_back(std::move(r));
            continue;
        }
        serving_client_ = fd;
        Json reply = answer_control_message(c.channel, std::move(r), *this);
        serving_client_ = -1;
        if (reply.is_null()) {
            c.held = true;
            continue;
        }
        c.channel.send(reply);
        if (c.channel.queued_bytes() > kMaxClientOutput) {
            emit(Json{{"event", "control_client_dropped"},
                      {"queued_bytes", c.channel.queued_bytes()}},
                 nullptr,
                 "control client dropped: it does not read its replies (" +
                     std::to_string(c.channel.queued_bytes()) + " bytes unread)");
            loop_.unwatch_fd(fd);
            clients_.erase(fd);
            router_.flush_channels();
            return false;
        }
    }
    router_.flush_channels();
    return true;
}

// Closes a client that is done (nothing left to write), else watches what it needs.
void Master::update_client_watch(int fd) {
    auto it = clients_.find(fd);
    if (it == clients_.end()) return;
    ControlClient& c = *it->second;
    if (c.closing && !c.held && (!c.channel.is_open() || !c.channel.wants_write())) {
        loop_.unwatch_fd(fd);
        clients_.erase(it);
        return;
    }
    if (!c.channel.is_open()) return;
    loop_.modify_fd(fd, (c.closing || c.held ? 0u : uint32_t{EPOLLIN}) |
                            (c.channel.wants_write() ? uint32_t{EPOLLOUT} : 0u));
}

void Master::release_held_client(int fd, const Json& reply) {
    auto it = clients_.find(fd);
    if (it == clients_.end() || !it->second->held) return;  // gone meanwhile
    ControlClient& c = *it->second;
    c.held = false;
    std::vector<IpcMessage> pending = std::move(c.pending);
    c.pending.clear();
    try {
        if (c.channel.is_open()) {
            c.channel.send(reply);
            if (!answer_requests(fd, c, pending)) return;
            c.channel.flush();
        }
    } catch (const SysError&) {
        c.closing = true;
        loop_.unwatch_fd(fd);
        c.channel = IpcChannel();
    }
    update_client_watch(fd);
}

}  // namespace ptool::cluster
