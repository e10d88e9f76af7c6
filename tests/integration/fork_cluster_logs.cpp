// fork-cluster's worker logs: stdout and stderr through the master tagged [worker N]
// (--log FILE, --log-dir DIR with master.log), --timestamps, rotation by size, reopening
// on SIGUSR1 and {"cmd":"rotate"}, and a flooding worker against a sink nobody reads.
#include <regex>

#include "cluster_harness.hpp"

using namespace cluster_test;

namespace {

size_t count_of(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = 0; (at = text.find(what, at)) != std::string::npos; at += what.size()) ++n;
    return n;
}

bool file_has(const std::string& path, const std::string& what) {
    return wait_until([&] {
        return std::filesystem::exists(path) && read_file(path).find(what) != std::string::npos;
    });
}

}  // namespace

TEST_CASE("fork-cluster --log tags each worker's stdout and stderr lines") {
    TempDir dir;
    std::string log = dir / "app.log";
    Master m({"-w", "2", "--ready", "exec", "--log", log, "--", "sh", "-c",
              "echo hello $PTOOL_WORKER_ID; echo oops $PTOOL_WORKER_ID >&2; exec sleep 60"});
    REQUIRE(file_has(log, "[worker 2] oops 2"));
    REQUIRE(file_has(log, "[worker 1] oops 1"));
    std::string text = read_file(log);
    CHECK(text.find("[worker 1] hello 1\n") != std::string::npos);
    CHECK(text.find("[worker 2] hello 2\n") != std::string::npos);
    CHECK(m.stop() == 0);
}

TEST_CASE("fork-cluster --log-dir writes one file per worker and the master's own") {
    TempDir dir;
    Master m({"-w", "2", "--ready", "exec", "--log-dir", dir.path(), "--timestamps", "--", "sh",
              "-c", "echo up; exec sleep 60"});
    REQUIRE(file_has(dir / "worker-1.log", "up"));
    REQUIRE(file_has(dir / "worker-2.log", "up"));
    REQUIRE(file_has(dir / "master.log", "\"online\""));
    std::regex line(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[worker 1\] up\n)");
    CHECK(std::regex_match(read_file(dir / "worker-1.log"), line));
    CHECK(m.stop() == 0);
}

TEST_CASE("fork-cluster --log-max rotates and keeps --log-keep files") {
    TempDir dir;
    std::string log = dir / "app.log";
    Master m({"-w", "1", "--ready", "exec", "--log", log, "--log-max", "1k", "--log-keep", "2",
              "--", "sh", "-c",
              "i=0; while [ $i -lt 200 ]; do echo line-$i-padding-padding-padding; "
              "i=$((i+1)); done; echo done; exec sleep 60"});
    REQUIRE(file_has(log, "done"));
    CHECK(std::filesystem::exists(log + ".1"));
    CHECK(std::filesystem::exists(log + ".2"));
    CHECK(!std::filesystem::exists(log + ".3"));
    for (auto p : {log, log + ".1", log + ".2"}) CHECK(std::filesystem::file_size(p) <= 1024);
    CHECK(m.stop() == 0);
}

TEST_CASE("fork-cluster reopens its log on SIGUSR1 and on the rotate command") {
    TempDir dir;
    std::string log = dir / "app.log";
    // SIGWINCH reaches the workers (forwarded; USR2 is the master's own upgrade); each one answers
    // with a line.
    Master m({"-w", "1", "--ready", "exec", "--log", log, "--control", "CTL", "--", "sh", "-c",
              "trap 'echo again' WINCH; echo first; while :; do sleep 0.05; done"});
    REQUIRE(file_has(log, "first"));
    std::filesystem::rename(log, log + ".old");
    kill(m.pid(), SIGUSR1);
    REQUIRE(m.wait_events("logs_reopened", 1));
    for (auto& e : m.events_named("signal")) CHECK(e.value("signal", "") != "SIGUSR1");
    kill(m.pid(), SIGWINCH);
    REQUIRE(file_has(log, "[worker 1] again"));
    CHECK(read_file(log + ".old").find("again") == std::string::npos);

    std::filesystem::rename(log, log + ".older");
    auto reply = json::parse(control_request(m.ctl(), R"({"cmd":"rotate"})"));
    CHECK(reply["ok"] == true);
    kill(m.pid(), SIGWINCH);
    REQUIRE(file_has(log, "again"));
    CHECK(count_of(read_file(log + ".older"), "again") == 1);
    CHECK(m.stop() == 0);
}

TEST_CASE("fork-cluster drops a flooding worker's lines when stderr is not read") {
    int p[2];
    REQUIRE(pipe2(p, O_CLOEXEC) == 0);  // nobody reads p[0]: stderr fills up
    Master m({"-w", "1", "--ready", "exec", "--log", "-", "--control", "CTL", "--", "sh", "-c",
              "yes flood-flood-flood | head -c 20000000; exec sleep 60"},
             {}, p[1]);
    close(p[1]);
    // The loop keeps answering while the worker floods, and counts what it dropped.
    REQUIRE(wait_until(
        [&] {
            std::string r = control_request(m.ctl(), R"({"cmd":"status"})");
            if (r.empty() || r == "connect failed") return false;
            return json::parse(r)["master"]["log_lines_dropped"].get<long long>() > 0;
        },
        20s));
    CHECK(m.stop() == 0);
    close(p[0]);
}
