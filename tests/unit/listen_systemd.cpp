// Listen addresses for socket activation (systemd:NAME) and TCP_NODELAY on listeners.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>

#include "libcommon/core/error.hpp"
#include "tools/fork_cluster/listen.hpp"

using ptool::ListenAddress;
using ptool::parse_listen_address;

namespace {

int nodelay_of(int fd) {
    int v = -1;
    socklen_t len = sizeof v;
    getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len);
    return v;
}

}  // namespace

TEST_CASE("systemd:NAME names passed sockets and is never bound") {
    auto a = parse_listen_address("systemd:web");
    CHECK(a.kind == ListenAddress::Kind::systemd);
    CHECK(a.name == "web");
    CHECK_THROWS_AS(ptool::bind_listen(a), ptool::Error);
    for (const char* bad : {"systemd:", "systemd:a:b", "systemd:a=b"})
        CHECK_THROWS_AS(parse_listen_address(bad), ptool::UsageError);
}

TEST_CASE("TCP listeners get TCP_NODELAY unless asked not to, Unix ones never") {
    auto on = ptool::bind_listen(parse_listen_address("127.0.0.1:0"));
    CHECK(nodelay_of(on.get()) != 0);
    ptool::BindOptions off;
    off.nodelay = false;
    auto plain = ptool::bind_listen(parse_listen_address("127.0.0.1:0"), off);
    CHECK(nodelay_of(plain.get()) == 0);
    CHECK(ptool::set_tcp_nodelay(plain.get()));
    CHECK(nodelay_of(plain.get()) != 0);
    auto udp = ptool::bind_listen(parse_listen_address("udp://127.0.0.1:0"));
    CHECK_FALSE(ptool::set_tcp_nodelay(udp.get()));
}
