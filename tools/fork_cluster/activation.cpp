// fork-cluster's listening sockets: those it binds for --listen, and those systemd's
// socket activation passed it (LISTEN_FDS/LISTEN_PID, sd_listen_fds(3)). `--listen
// systemd:NAME` takes the passed sockets named NAME in LISTEN_FDNAMES; with no
// --listen at all every passed socket is used. Workers get both kinds alike.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "libcommon/core/error.hpp"
#include "tools/fork_cluster/master.hpp"

namespace ptool::cluster {

namespace {

// A passed socket moves above the fds workers get (3..): mapping sockets to 3.. for a
// worker then never has one socket's target be another's source.
UniqueFd lift_activated(int fd) {
    int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
    if (moved < 0) throw SysError("fcntl(F_DUPFD_CLOEXEC)", errno);
    ::close(fd);
    return UniqueFd(moved);
}

std::string passed_names(const std::vector<ActivatedSocket>& passed) {
    if (passed.empty()) return "no sockets were passed (LISTEN_FDS/LISTEN_PID are not for us)";
    std::string names;
    for (const auto& s : passed) names += (names.empty() ? "" : ":") + s.name;
    return "no passed socket has that name (LISTEN_FDNAMES=" + names + ")";
}

}  // namespace

void Master::bind_sockets() {
    std::vector<ActivatedSocket> passed = activated_sockets();
    std::vector<UniqueFd> passed_fds;
    for (const auto& s : passed) passed_fds.push_back(lift_activated(s.fd));
    auto take = [&](size_t i) {
        ListenAddress a;
        a.kind = ListenAddress::Kind::systemd;
        a.name = passed[i].name;
        a.text = "systemd:" + a.name;
        if (!config_.no_nodelay) set_tcp_nodelay(passed_fds[i].get());
        add_socket(std::move(passed_fds[i]), a, true);
    };
    if (config_.listen.empty())
        for (size_t i = 0; i < passed.size(); ++i) take(i);
    for (const auto& address : config_.listen) {
        if (address.kind == ListenAddress::Kind::systemd) {
            bool found = false;
            for (size_t i = 0; i < passed.size(); ++i)
                if (passed_fds[i] && passed[i].name == address.name) {
                    take(i);
                    found = true;
                }
            if (!found) throw Error("--listen " + address.text + ": " + passed_names(passed));
            continue;
        }
        BindOptions opts;
        // With --reuseport the master only holds the port; each worker gets its own socket.
        opts.reuse_port = per_worker_socket(address);
        opts.listen = !opts.reuse_port;
        opts.nodelay = !config_.no_nodelay;
        add_socket(bind_listen(address, opts), address, false);
    }
}

void Master::add_socket(UniqueFd fd, const ListenAddress& address, bool activated) {
    ListenAddress real = address;
    if (real.kind == ListenAddress::Kind::tcp || real.kind == ListenAddress::Kind::udp)
        real.port = bound_port(fd.get());
    std::string where = bound_address(fd.get());
    Json ev{{"event", "listen"}, {"address", where}, {"name", address.name}};
    if (uint16_t port = bound_port(fd.get())) ev["port"] = port;  // the kernel's, for :0
    if (activated) ev["systemd"] = true;
    emit(ev, nullptr, "listening on " + where + (activated ? " (passed by systemd)" : ""));
    sockets_.push_back(std::move(fd));
    socket_names_.push_back(address.name);
    bound_.push_back(real);
}

}  // namespace ptool::cluster
