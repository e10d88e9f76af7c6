// Helpers for the fork-cluster operations tests (probes, status, --http, --max-rss): a
// free loopback port, curl against the master's HTTP endpoint, the master's status.
#pragma once

#include <netinet/in.h>

#include "fork_cluster_harness.hpp"

namespace cluster_test {

// A loopback TCP port nothing listens on now (bound, then closed).
inline int free_port() {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) == 0);
    socklen_t len = sizeof sin;
    getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len);
    close(fd);
    return ntohs(sin.sin_port);
}

// A loopback TCP connection to `port` (reads give up after 5 s), or -1.
inline int connect_loopback(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(static_cast<uint16_t>(port));
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0) {
        close(fd);
        return -1;
    }
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

struct HttpReply {
    int status = 0;  // 0: no answer
    std::string body;
};

// curl http://ADDRESS/PATH (ADDRESS as the "http" event names it).
inline HttpReply curl(const std::string& address, const std::string& path) {
    RunOptions o;
    auto r = run({"curl", "-sS", "--max-time", "10", "-o", "-", "-w", "\n%{http_code}",
                  "http://" + address + path},
                 o);
    HttpReply out;
    auto nl = r.out.rfind('\n');
    if (nl == std::string::npos) return out;
    out.status = std::atoi(r.out.c_str() + nl + 1);
    out.body = r.out.substr(0, nl);
    return out;
}

// The address of the master's --http endpoint, from its "http" event.
inline std::string http_address(const Master& m) {
    if (!m.wait_events("http", 1)) return "";
    return m.events_named("http")[0]["address"];
}

inline json status_of(const Master& m) {
    return json::parse(control_request(m.ctl(), R"({"cmd":"status"})"));
}

}  // namespace cluster_test
