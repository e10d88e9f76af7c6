// fork-cluster names each configured duration as it was typed, in its log lines and in
// its JSON events (issue 11: "10s", not "10000ms"); a computed one (a doubled restart
// delay) is whole seconds or else milliseconds.
#include "cluster_harness.hpp"

using namespace cluster_test;

namespace {

// A worker that never says it is ready and ignores SIGTERM: --grace runs out.
std::string stubborn_worker(const TempDir& dir) {
    std::string script = dir / "stubborn.sh";
    write_file(script, "trap '' TERM\nexec sleep 60\n");
    return script;
}

}  // namespace

TEST_CASE("fork-cluster log lines name --ready-timeout 2s and --grace 1.5s as typed") {
    TempDir dir;
    std::string err = shell_quote(dir / "err");
    auto r = run_shell("\"$PTOOL\" fork-cluster -w 1 --ready-timeout 2s --grace 1.5s -- sh " +
                       shell_quote(stubborn_worker(dir)) + " 2>" + err +
                       " & m=$!; i=0; until grep -q online " + err +
                       " || [ $i -gt 1000 ]; do sleep 0.02; i=$((i+1)); done; "
                       "kill $m; wait $m; echo $?");
    std::string log = read_file(dir / "err");
    INFO(log);
    CHECK(r.out == "0\n");
    CHECK(log.find(") sent no readiness within 2s; taken as ready\n") != std::string::npos);
    CHECK(log.find(") did not stop within 1.5s (--grace); killing it\n") != std::string::npos);
    CHECK(log.find("000ms") == std::string::npos);
}

TEST_CASE("fork-cluster JSON events carry configured durations as typed") {
    TempDir dir;
    Master m({"-w", "1", "--ready-timeout", "0.2", "--grace", "300ms", "--", "sh",
              stubborn_worker(dir)});
    REQUIRE(m.wait_events("ready_timeout", 1));
    CHECK(m.events_named("ready_timeout")[0]["timeout"] == "0.2s");  // a bare number: seconds
    REQUIRE(m.wait_events("online", 1));
    kill(m.pid(), SIGTERM);
    REQUIRE(m.wait_events("kill", 1));
    auto killed = m.events_named("kill")[0];
    CHECK(killed["grace"] == "300ms");
    CHECK(killed["worker_id"] == 1);
    CHECK(m.wait_exit() == 0);
}

TEST_CASE("fork-cluster restart delays: the first as typed, the doubled ones computed") {
    Master m({"-w", "1", "--restart-delay", "0.25", "--max-restarts", "2", "--restart-window", "1m",
              "--", "sh", "-c", "exit 1"});
    REQUIRE(m.wait_events("give_up", 1));
    auto restarts = m.events_named("restart");
    REQUIRE(restarts.size() >= 2);
    CHECK(restarts[0]["delay"] == "0.25s");
    CHECK(restarts[0]["delay_ms"] == 250);
    CHECK(restarts[1]["delay"] == "500ms");
    auto give_up = m.events_named("give_up")[0];
    CHECK(give_up["window"] == "1m");
    CHECK(give_up["window_ms"] == 60000);
    CHECK(m.wait_exit() == 1);
}
