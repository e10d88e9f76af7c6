// fork-cluster's operations parts without a master: --ready's probe forms, the /proc
// readers behind status and the probes, and UTC times with milliseconds.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <regex>

#include "libcommon/core/error.hpp"
#include "tools/fork_cluster/cluster.hpp"

using ptool::ProbeSpec;

TEST_CASE("parse_probe reads tcp, http and exec probes") {
    auto tcp = ptool::parse_probe("tcp:8080");
    REQUIRE(tcp);
    CHECK(tcp->kind == ProbeSpec::Kind::tcp);
    CHECK(tcp->host == "127.0.0.1");
    CHECK(tcp->port == 8080);
    auto v6 = ptool::parse_probe("tcp:[::1]:9");
    REQUIRE(v6);
    CHECK(v6->host == "::1");
    auto http = ptool::parse_probe("http://localhost:8000/health?x=1");
    REQUIRE(http);
    CHECK(http->kind == ProbeSpec::Kind::http);
    CHECK(http->host == "127.0.0.1");
    CHECK(http->port == 8000);
    CHECK(http->path == "/health?x=1");
    CHECK(ptool::parse_probe("http://127.0.0.1:80")->path == "/");
    auto ex = ptool::parse_probe("exec:curl -sf localhost");
    REQUIRE(ex);
    CHECK(ex->command == "curl -sf localhost");
    CHECK(!ptool::parse_probe("message"));
    CHECK(!ptool::parse_probe("exec"));
}

TEST_CASE("parse_probe refuses malformed probes") {
    for (const char* bad :
         {"tcp:", "tcp:0", "tcp:65536", "tcp:host.example:80", "http://h:80/", "http://127.0.0.1/",
          "http:x", "https://127.0.0.1:1/", "exec:", "http://127.0.0.1:80/a b"})
        CHECK_THROWS_AS(ptool::parse_probe(bad), ptool::UsageError);
}

TEST_CASE("accepted_socket_inode finds the accepted end of a loopback connection") {
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(l, reinterpret_cast<sockaddr*>(&sin), sizeof sin) == 0);
    REQUIRE(listen(l, 4) == 0);
    socklen_t len = sizeof sin;
    getsockname(l, reinterpret_cast<sockaddr*>(&sin), &len);
    uint16_t port = ntohs(sin.sin_port);
    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(connect(c, reinterpret_cast<sockaddr*>(&sin), sizeof sin) == 0);
    sockaddr_in local{};
    len = sizeof local;
    getsockname(c, reinterpret_cast<sockaddr*>(&local), &len);
    uint16_t client_port = ntohs(local.sin_port);
    CHECK(ptool::accepted_socket_inode(port, client_port, false) == 0);  // in the backlog
    int a = accept(l, nullptr, nullptr);
    REQUIRE(a >= 0);
    unsigned long inode = ptool::accepted_socket_inode(port, client_port, false);
    CHECK(inode != 0);
    CHECK(ptool::process_holds_socket(getpid(), inode));
    close(a);
    close(c);
    close(l);
}

TEST_CASE("utc_time_ms is RFC 3339 in UTC with milliseconds") {
    auto t = std::chrono::system_clock::time_point(std::chrono::milliseconds(1764616504123));
    CHECK(ptool::utc_time_ms(t) == "2025-12-01T19:15:04.123Z");
    CHECK(std::regex_match(ptool::utc_time_ms_now(),
                           std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
}
