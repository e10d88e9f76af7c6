// fork-cluster --http: /healthz, /readyz (503 until enough workers are online) and
// /metrics, read with curl and checked with promtool; a silent or flooding client
// does not hold up the master.
#include "cluster_harness.hpp"

using namespace cluster_test;

TEST_CASE("fork-cluster --http answers healthz and readyz, 503 until the workers are ready") {
    TempDir dir;
    std::string flag = dir / "go";
    Master m({"-w", "2", "--http", "127.0.0.1:0", "--ready", "exec:test -e " + flag, "--", "sleep",
              "60"});
    std::string addr = http_address(m);
    REQUIRE(!addr.empty());
    REQUIRE(m.wait_events("fork", 2));
    CHECK(curl(addr, "/healthz").status == 200);
    auto not_ready = curl(addr, "/readyz");
    CHECK(not_ready.status == 503);
    CHECK(not_ready.body == "not ready 0/2\n");
    write_file(flag, "");
    REQUIRE(m.wait_events("online", 2));
    CHECK(curl(addr, "/readyz").status == 200);
    CHECK(curl(addr, "/nothing").status == 404);
    CHECK(m.stop() == 0);
}

TEST_CASE("fork-cluster --min-ready makes readyz answer with fewer workers online") {
    TempDir dir;
    Master m({"-w", "2", "--http", "127.0.0.1:0", "--min-ready", "1", "--ready",
              "exec:test -e " + std::string(dir / "go-") + "$PTOOL_WORKER_ID", "--", "sleep",
              "60"});
    std::string addr = http_address(m);
    REQUIRE(m.wait_events("fork", 2));
    CHECK(curl(addr, "/readyz").status == 503);
    write_file(dir / "go-1", "");
    REQUIRE(m.wait_events("online", 1));
    CHECK(curl(addr, "/readyz").status == 200);
    CHECK(m.stop() == 0);
}

TEST_CASE("fork-cluster /metrics passes promtool check metrics") {
    Master m({"-w", "2", "--http", "127.0.0.1:0", "--ready", "exec", "--", "sleep", "60"});
    std::string addr = http_address(m);
    REQUIRE(m.wait_events("online", 2));
    auto page = curl(addr, "/metrics");
    REQUIRE(page.status == 200);
    CHECK(page.body.find("ptool_cluster_workers{state=\"online\"} 2") != std::string::npos);
    CHECK(page.body.find("ptool_cluster_worker_resident_memory_bytes{worker=\"1\"") !=
          std::string::npos);
    RunOptions o;
    o.input = page.body;
    auto check = run({"promtool", "check", "metrics"}, o);
    INFO(check.out << check.err);
    CHECK(check.status == 0);
    CHECK(m.stop() == 0);
}

TEST_CASE("fork-cluster --http serves others while a client is silent or floods") {
    Master m({"-w", "1", "--http", "127.0.0.1:0", "--ready", "exec", "--", "sleep", "60"});
    std::string addr = http_address(m);
    REQUIRE(m.wait_events("online", 1));
    int port = std::stoi(addr.substr(addr.rfind(':') + 1));
    int silent = connect_loopback(port);
    REQUIRE(silent >= 0);
    int flood = connect_loopback(port);
    REQUIRE(flood >= 0);
    std::string junk(9000, 'x');  // past the 8 KiB bound, all of it read by the master
    (void)!write(flood, junk.data(), junk.size());
    CHECK(curl(addr, "/healthz").status == 200);
    // The flooder gets 431 and a closed connection.
    std::string reply;
    char buf[4096];
    for (ssize_t n; (n = read(flood, buf, sizeof buf)) > 0;)
        reply.append(buf, static_cast<size_t>(n));
    CHECK(reply.starts_with("HTTP/1.1 431"));
    close(flood);
    close(silent);
    CHECK(m.stop() == 0);
}
