// Listening sockets from --listen text and from systemd activation (listen.hpp).
#include "tools/fork_cluster/listen.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "libcommon/core/error.hpp"
#include "libcommon/core/parse.hpp"

namespace ptool {

namespace {

std::string default_name(const ListenAddress& a) {
    // LISTEN_FDNAMES is ':'-separated, so names carry none.
    std::string name = a.kind == ListenAddress::Kind::unix_path ? "unix"
                       : a.kind == ListenAddress::Kind::udp     ? "udp"
                                                                : "tcp";
    if (a.kind == ListenAddress::Kind::unix_path) return name;
    return name + std::to_string(a.port);
}

UniqueFd make_socket(int family, int type) {
    int fd = ::socket(family, type | SOCK_CLOEXEC, 0);
    if (fd < 0) throw SysError("socket", errno);
    return UniqueFd(fd);
}

void set_flag(int fd, int level, int option, const std::string& what) {
    int one = 1;
    if (::setsockopt(fd, level, option, &one, sizeof one) != 0) throw SysError(what, errno);
}

// A Unix socket file that refuses connections is left over from a dead server.
void remove_stale_unix_socket(const std::string& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) return;
    UniqueFd probe = make_socket(AF_UNIX, SOCK_STREAM);
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::memcpy(sun.sun_path, path.data(), path.size());
    if (::connect(probe.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun) != 0 &&
        errno == ECONNREFUSED)
        ::unlink(path.c_str());
}

}  // namespace

ListenAddress parse_listen_address(std::string_view text) {
    ListenAddress a;
    a.text = std::string(text);
    auto bad = [&](const std::string& why) {
        return UsageError("invalid listen address '" + a.text + "': " + why);
    };
    std::string_view rest = text;
    if (rest.starts_with("systemd:")) {
        a.kind = ListenAddress::Kind::systemd;
        a.name = std::string(rest.substr(8));
        if (a.name.empty()) throw bad("empty name after systemd:");
        if (a.name.find_first_of(":=") != std::string::npos)
            throw bad("a name cannot contain ':' or '='");
        return a;
    }
    if (auto eq = rest.find('='); eq != std::string_view::npos && rest.find(':') > eq) {
        a.name = std::string(rest.substr(0, eq));
        rest.remove_prefix(eq + 1);
        if (a.name.empty()) throw bad("empty name before '='");
    }
    if (rest.starts_with("unix:")) {
        a.kind = ListenAddress::Kind::unix_path;
        a.path = std::string(rest.substr(5));
        if (a.path.starts_with("//")) a.path.erase(0, 2);  // unix://PATH
        if (a.path.empty()) throw bad("empty path");
        if (a.path.size() >= sizeof(sockaddr_un::sun_path)) throw bad("path too long");
    } else {
        if (rest.starts_with("tcp://")) {
            rest.remove_prefix(6);
        } else if (rest.starts_with("udp://")) {
            a.kind = ListenAddress::Kind::udp;
            rest.remove_prefix(6);
        }
        auto colon = rest.rfind(':');
        if (colon == std::string_view::npos) throw bad("expected HOST:PORT");
        std::string_view host = rest.substr(0, colon);
        if (host.starts_with('[')) {
            if (!host.ends_with(']')) throw bad("unclosed '['");
            host = host.substr(1, host.size() - 2);
        } else if (host.find(':') != std::string_view::npos) {
            throw bad("an IPv6 address goes in brackets: [::1]:PORT");
        }
        auto port = parse_int(rest.substr(colon + 1));
        if (!port || *port < 0 || *port > 65535) throw bad("port must be 0..65535");
        a.host = std::string(host);
        a.port = static_cast<uint16_t>(*port);
    }
    if (a.name.empty()) a.name = default_name(a);
    if (a.name.find(':') != std::string::npos) throw bad("a name cannot contain ':'");
    return a;
}

UniqueFd bind_listen(const ListenAddress& a, const BindOptions& options) {
    if (a.kind == ListenAddress::Kind::systemd)
        throw Error(a.text + ": not bound here: socket activation passes it");
    if (a.kind == ListenAddress::Kind::unix_path) {
        UniqueFd fd = make_socket(AF_UNIX, SOCK_STREAM);
        remove_stale_unix_socket(a.path);
        sockaddr_un sun{};
        sun.sun_family = AF_UNIX;
        std::memcpy(sun.sun_path, a.path.data(), a.path.size());
        if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun) != 0)
            throw SysError(a.text, errno);
        if (options.listen && ::listen(fd.get(), options.backlog) != 0)
            throw SysError(a.text, errno);
        return fd;
    }
    int type = a.kind == ListenAddress::Kind::udp ? SOCK_DGRAM : SOCK_STREAM;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = type;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    std::string port = std::to_string(a.port);
    // No host: "::" accepting IPv4 too (as Node's listen(port)), else 0.0.0.0.
    std::vector<std::string> hosts;
    if (a.host.empty())
        hosts = {"::", "0.0.0.0"};
    else
        hosts = {a.host};
    int last_err = 0;
    for (const auto& host : hosts) {
        addrinfo* list = nullptr;
        int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &list);
        if (rc != 0) {
            if (a.host.empty()) continue;
            throw Error(a.text + ": " + ::gai_strerror(rc));
        }
        for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
            int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
            if (fd < 0) {
                last_err = errno;
                continue;
            }
            UniqueFd sock(fd);
            set_flag(fd, SOL_SOCKET, SO_REUSEADDR, a.text + ": SO_REUSEADDR");
            if (options.reuse_port)
                set_flag(fd, SOL_SOCKET, SO_REUSEPORT, a.text + ": SO_REUSEPORT");
            if (type == SOCK_STREAM && options.nodelay)
                set_flag(fd, IPPROTO_TCP, TCP_NODELAY, a.text + ": TCP_NODELAY");
            if (ai->ai_family == AF_INET6 && a.host.empty()) {
                int zero = 0;
                ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
            }
            if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
                (type == SOCK_STREAM && options.listen && ::listen(fd, options.backlog) != 0)) {
                last_err = errno;
                if (last_err == EADDRINUSE) {
                    ::freeaddrinfo(list);
                    throw SysError(a.text, last_err);
                }
                continue;
            }
            ::freeaddrinfo(list);
            return sock;
        }
        ::freeaddrinfo(list);
    }
    throw SysError(a.text, last_err ? last_err : EADDRNOTAVAIL);
}

bool set_tcp_nodelay(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    int type = 0;
    socklen_t type_len = sizeof type;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0 ||
        (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) ||
        ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_len) != 0 || type != SOCK_STREAM)
        return false;
    int one = 1;
    return ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0;
}

uint16_t bound_port(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
    if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
    return 0;
}

std::string bound_address(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "";
    char buf[INET6_ADDRSTRLEN] = "";
    if (ss.ss_family == AF_INET) {
        auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
        ::inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf);
        return std::string(buf) + ":" + std::to_string(ntohs(sin->sin_port));
    }
    if (ss.ss_family == AF_INET6) {
        auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
        ::inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof buf);
        std::string out =
            "[";  // built by appends: GCC 12 -O3 warns falsely (-Wrestrict) on "[" + s
        out += buf;
        out += "]:";
        out += std::to_string(ntohs(sin6->sin6_port));
        return out;
    }
    if (ss.ss_family == AF_UNIX) {
        auto* sun = reinterpret_cast<sockaddr_un*>(&ss);
        return "unix:" + std::string(sun->sun_path);
    }
    return "";
}

std::vector<std::string> listen_env(const std::vector<std::string>& names) {
    std::string joined;
    for (const auto& n : names) {
        if (!joined.empty()) joined += ':';
        joined += n;
    }
    return {"LISTEN_FDS=" + std::to_string(names.size()), "LISTEN_FDNAMES=" + joined};
}

std::vector<ActivatedSocket> activated_sockets(bool unset_env) {
    std::vector<ActivatedSocket> out;
    const char* pid_text = std::getenv(kListenPidEnv);
    const char* fds_text = std::getenv("LISTEN_FDS");
    const char* names_text = std::getenv("LISTEN_FDNAMES");
    long long pid = pid_text ? parse_int(pid_text).value_or(-1) : -1;
    long long count = fds_text ? parse_int(fds_text).value_or(0) : 0;
    std::string names = names_text ? names_text : "";
    if (unset_env) {
        ::unsetenv(kListenPidEnv);
        ::unsetenv("LISTEN_FDS");
        ::unsetenv("LISTEN_FDNAMES");
    }
    if (pid != ::getpid() || count <= 0) return out;
    size_t pos = 0;
    for (long long i = 0; i < count; ++i) {
        int fd = kListenFdsStart + static_cast<int>(i);
        if (::fcntl(fd, F_GETFD) < 0) break;
        set_cloexec(fd);
        std::string name = "unknown";
        if (pos <= names.size() && !names.empty()) {
            auto end = names.find(':', pos);
            name = names.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
            pos = end == std::string::npos ? names.size() + 1 : end + 1;
        }
        out.push_back({fd, name});
    }
    return out;
}

}  // namespace ptool
