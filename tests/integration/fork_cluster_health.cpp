// fork-cluster's health checks: readiness probes for servers that never notify
// (--ready tcp:|http:|exec:) and --max-rss retiring a worker with its replacement first.
#include "cluster_harness.hpp"

using namespace cluster_test;

TEST_CASE("fork-cluster --ready http: takes a silent Python server as online once it answers") {
    int port = free_port();
    std::string addr = "127.0.0.1:" + std::to_string(port);
    // The server starts late; the probe, not a timeout, says when it is ready.
    Master m({"-w", "1", "--listen", addr, "--ready", "http://" + addr + "/", "--ready-timeout",
              "30s", "--", "sh", "-c", "sleep 0.3; exec python3 " + fixture("http_server.py")});
    REQUIRE(m.wait_events("online", 1));
    auto online = m.events_named("online")[0];
    CHECK(m.events_named("ready_timeout").empty());
    auto reply = curl(addr, "/");
    CHECK(reply.status == 200);
    CHECK(pid_of(reply.body) == std::to_string(online["pid"].get<int>()));
    CHECK(m.stop() == 0);
}

TEST_CASE("fork-cluster --ready tcp: on a shared port waits for the new worker in a reload") {
    TempDir dir;
    int port = free_port();
    std::string addr = "127.0.0.1:" + std::to_string(port);
    // Each worker marks "serving-PID" just before it serves, after a slow start: while the
    // old ones answer on the shared port, only the new worker's own accept counts.
    Master m({"-w", "2", "--listen", addr, "--ready", "tcp:" + addr, "--ready-timeout", "30s", "--",
              "sh", "-c",
              "sleep 0.5; touch " + std::string(dir / "serving-") + "$$; exec python3 " +
                  fixture("http_server.py")});
    REQUIRE(m.wait_events("online", 2));
    kill(m.pid(), SIGHUP);
    for (size_t n = 3; n <= 4; ++n) {
        REQUIRE(m.wait_events("online", n));
        int pid = m.events_named("online")[n - 1]["pid"];
        CHECK(std::filesystem::exists(dir / ("serving-" + std::to_string(pid))));
    }
    REQUIRE(m.wait_events("exit", 2));
    CHECK(m.events_named("ready_timeout").empty());
    CHECK(m.stop() == 0);
}

TEST_CASE("fork-cluster --ready exec: runs the probe until it succeeds") {
    TempDir dir;
    std::string flag = dir / "ready";
    Master m({"-w", "1", "--ready", "exec:test -e " + flag + "-$PTOOL_WORKER_ID", "--", "sh", "-c",
              "sleep 0.2; touch " + flag + "-$PTOOL_WORKER_ID; exec sleep 60"});
    REQUIRE(m.wait_events("online", 1));
    CHECK(std::filesystem::exists(flag + "-1"));
    CHECK(m.stop() == 0);
}

TEST_CASE("fork-cluster restarts a worker whose probe never answers, then gives up") {
    int port = free_port();
    Master m({"-w", "1", "--ready", "tcp:127.0.0.1:" + std::to_string(port), "--ready-timeout",
              "200ms", "--max-restarts", "1", "--restart-delay", "10ms", "--", "sleep", "60"});
    REQUIRE(m.wait_events("give_up", 1));
    auto timeouts = m.events_named("ready_timeout");
    REQUIRE(timeouts.size() >= 2);
    CHECK(timeouts[0]["probe"] == "tcp:127.0.0.1:" + std::to_string(port));
    CHECK(m.events_named("online").empty());
    CHECK(m.wait_exit() == 1);
}

TEST_CASE("fork-cluster rejects a malformed probe with a usage error") {
    for (std::string bad : {"tcp:", "tcp:99999", "http://127.0.0.1/", "http:x",
                            "exec:", "tcp:example.com:80", "sometimes"}) {
        auto r = run_ptool({"fork-cluster", "--ready", bad, "--", "true"});
        CHECK(r.status == 2);
        CHECK(r.err.find("--ready") != std::string::npos);
    }
}

TEST_CASE("fork-cluster --max-rss replaces a worker over the limit before stopping it") {
    TempDir dir;
    std::string first = dir / "first";
    // The first run of worker 1 holds 64 MiB; its replacement stays small.
    std::string script = "if [ -e " + first + " ]; then exec sleep 60; fi; touch " + first +
                         "; exec python3 -c 'import time; b = b\"x\" * (64 << 20); "
                         "time.sleep(60)'";
    Master m({"-w", "1", "--ready", "exec", "--max-rss", "32M", "--check-interval", "50ms",
              "--grace", "5s", "--", "sh", "-c", script});
    REQUIRE(m.wait_events("max_rss", 1));
    REQUIRE(m.wait_events("exit", 1));
    auto big = m.events_named("max_rss")[0];
    CHECK(big["worker_id"] == 1);
    CHECK(big["rss_kb"].get<long long>() > 32 * 1024);
    // The replacement was online before the old one got its stop signal.
    auto events = m.events();
    int online_new = -1, exit_old = -1;
    for (size_t i = 0; i < events.size(); ++i) {
        auto name = events[i].value("event", "");
        if (name == "online" && events[i]["pid"] != big["pid"]) online_new = static_cast<int>(i);
        if (name == "exit" && events[i]["pid"] == big["pid"]) exit_old = static_cast<int>(i);
    }
    CHECK(online_new >= 0);
    CHECK(online_new < exit_old);
    CHECK(events[exit_old]["signal"] == "SIGTERM");  // drained, not killed
    CHECK(m.events_named("restart").empty());
    CHECK(m.stop() == 0);
}

TEST_CASE("fork-cluster --watchdog restarts a Node worker whose event loop is blocked") {
    TempDir dir;
    Master m({"-w", "1", "--watchdog", "300ms", "--restart-delay", "10ms", "--", "node",
              fixture("watchdog_worker.js")},
             {{"BLOCK_FILE", dir / "blocked"}});
    REQUIRE(m.wait_events("watchdog", 1));
    auto hung = m.events_named("watchdog")[0];
    CHECK(hung["worker_id"] == 1);
    REQUIRE(m.wait_events("online", 2));  // the restarted worker beats and stays
    auto exits = m.events_named("exit");
    REQUIRE(exits.size() == 1);
    CHECK(exits[0]["pid"] == hung["pid"]);
    CHECK(m.events_named("restart").size() == 1);
    CHECK(m.stop() == 0);
    CHECK(m.events_named("watchdog").size() == 1);
}
