// Listening addresses and systemd socket activation.
#include "tools/fork_cluster/listen.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>

#include "libcommon/core/error.hpp"
#include "test_support.hpp"

using ptool::ListenAddress;
using ptool::parse_listen_address;

TEST_CASE("listen addresses parse in every documented form") {
    auto a = parse_listen_address("127.0.0.1:8080");
    CHECK(a.kind == ListenAddress::Kind::tcp);
    CHECK(a.host == "127.0.0.1");
    CHECK(a.port == 8080);
    CHECK(a.name == "tcp8080");
    auto b = parse_listen_address("tcp://localhost:0");
    CHECK(b.host == "localhost");
    CHECK(b.port == 0);
    auto c = parse_listen_address("[::1]:443");
    CHECK(c.host == "::1");
    CHECK(c.port == 443);
    auto d = parse_listen_address(":3000");
    CHECK(d.host.empty());
    CHECK(d.port == 3000);
    auto e = parse_listen_address("unix:/run/app.sock");
    CHECK(e.kind == ListenAddress::Kind::unix_path);
    CHECK(e.path == "/run/app.sock");
    auto f = parse_listen_address("udp://127.0.0.1:53");
    CHECK(f.kind == ListenAddress::Kind::udp);
    CHECK(f.name == "udp53");
    auto g = parse_listen_address("web=127.0.0.1:80");
    CHECK(g.name == "web");
    CHECK(g.port == 80);
}

TEST_CASE("malformed listen addresses are usage errors naming the text") {
    for (const char* text : {"8080", "host:", "host:65536", "::1:80", "[::1:80", "unix:", "x:y"}) {
        try {
            parse_listen_address(text);
            FAIL("accepted " << text);
        } catch (const ptool::UsageError& e) {
            CHECK(std::string(e.what()).find(text) != std::string::npos);
        }
    }
}

TEST_CASE("bind_listen binds an ephemeral loopback port that accepts connections") {
    auto fd = ptool::bind_listen(parse_listen_address("127.0.0.1:0"));
    uint16_t port = ptool::bound_port(fd.get());
    REQUIRE(port != 0);
    CHECK(ptool::bound_address(fd.get()) == "127.0.0.1:" + std::to_string(port));
    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(connect(c, reinterpret_cast<sockaddr*>(&sin), sizeof sin) == 0);
    close(c);
}

TEST_CASE("bind_listen reports a port in use clearly") {
    auto first = ptool::bind_listen(parse_listen_address("127.0.0.1:0"));
    std::string addr = "127.0.0.1:" + std::to_string(ptool::bound_port(first.get()));
    try {
        ptool::bind_listen(parse_listen_address(addr));
        FAIL("second bind succeeded");
    } catch (const ptool::SysError& e) {
        CHECK(std::string(e.what()) == addr + ": Address already in use");
    }
}

TEST_CASE("bind_listen with reuse_port lets two sockets share a port") {
    ptool::BindOptions opts;
    opts.reuse_port = true;
    auto first = ptool::bind_listen(parse_listen_address("127.0.0.1:0"), opts);
    std::string addr = "127.0.0.1:" + std::to_string(ptool::bound_port(first.get()));
    auto second = ptool::bind_listen(parse_listen_address(addr), opts);
    CHECK(ptool::bound_port(second.get()) == ptool::bound_port(first.get()));
}

TEST_CASE("bind_listen replaces a stale unix socket file") {
    ptool::test::TempDir dir;
    std::string path = dir / "s.sock";
    auto addr = parse_listen_address("unix:" + path);
    { auto stale = ptool::bind_listen(addr); }  // closed: the file stays behind
    auto fd = ptool::bind_listen(addr);
    CHECK(ptool::bound_address(fd.get()) == "unix:" + path);
    // A live one is not stolen.
    CHECK_THROWS_AS(ptool::bind_listen(addr), ptool::SysError);
}

TEST_CASE("bind_listen binds udp sockets without listen") {
    auto fd = ptool::bind_listen(parse_listen_address("udp://127.0.0.1:0"));
    int type = 0;
    socklen_t len = sizeof type;
    getsockopt(fd.get(), SOL_SOCKET, SO_TYPE, &type, &len);
    CHECK(type == SOCK_DGRAM);
    CHECK(ptool::bound_port(fd.get()) != 0);
}

TEST_CASE("listen_env names the sockets for LISTEN_FDNAMES") {
    auto env = ptool::listen_env({"web", "admin"});
    REQUIRE(env.size() == 2);
    CHECK(env[0] == "LISTEN_FDS=2");
    CHECK(env[1] == "LISTEN_FDNAMES=web:admin");
}

TEST_CASE("activated_sockets ignores variables meant for another pid") {
    setenv("LISTEN_PID", "1", 1);
    setenv("LISTEN_FDS", "1", 1);
    CHECK(ptool::activated_sockets().empty());
    CHECK(getenv("LISTEN_FDS") == nullptr);
}

TEST_CASE("activated_sockets returns fds 3 and on with their names") {
    auto sock = ptool::bind_listen(parse_listen_address("127.0.0.1:0"));
    int saved = dup(3);
    REQUIRE(dup2(sock.get(), 3) == 3);
    setenv("LISTEN_PID", std::to_string(getpid()).c_str(), 1);
    setenv("LISTEN_FDS", "1", 1);
    setenv("LISTEN_FDNAMES", "web", 1);
    auto got = ptool::activated_sockets();
    REQUIRE(got.size() == 1);
    CHECK(got[0].fd == 3);
    CHECK(got[0].name == "web");
    CHECK(ptool::bound_port(3) == ptool::bound_port(sock.get()));
    if (saved >= 0) {
        dup2(saved, 3);
        close(saved);
    } else {
        close(3);
    }
}
