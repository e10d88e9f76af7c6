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
        if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
            std::vector<IpcMessage> requests;
            open = c.channel.read(requests);
            for (auto& r : requests) {
                c.channel.send(answer_control_message(c.channel, std::move(r), *this));
                if (c.channel.queued_bytes() > kMaxClientOutput) {
                    emit(Json{{"event", "control_client_dropped"},
                              {"queued_bytes", c.channel.queued_bytes()}},
                         nullptr,
                         "control client dropped: it does not read its replies (" +
                             std::to_string(c.channel.queued_bytes()) + " bytes unread)");
                    loop_.unwatch_fd(fd);
                    clients_.erase(it);
                    router_.flush_channels();
                    return;
                }
            }
            router_.flush_channels();
        }
        c.channel.flush();
    } catch (const SysError&) {
        open = false;
        c.channel = IpcChannel();
    }
    if (!open) c.closing = true;
    if (c.closing && (!c.channel.is_open() || !c.channel.wants_write())) {
        loop_.unwatch_fd(fd);
        clients_.erase(it);
        return;
    }
    loop_.modify_fd(fd, (c.closing ? 0u : uint32_t{EPOLLIN}) |
                            (c.channel.wants_write() ? uint32_t{EPOLLOUT} : 0u));
}

}  // namespace ptool::cluster
