// daemonize names a configured duration as it was typed: --wait-ready 1.5s fails with
// "not ready after 1.5s", not "1500ms" (issue 11: durations print as the user typed them).
#include <catch2/catch.hpp>
#include <filesystem>

#include "processes.hpp"
#include "test_support.hpp"

using namespace ptool::test;

TEST_CASE("daemonize --wait-ready 1.5s names the timeout as typed when the daemon is not ready") {
    ProcessReaper reaper;
    TempDir dir;
    std::string pids = dir / "pids";
    auto r = run_ptool({"daemonize", "--wait-ready", "1.5s", "--pidfile", dir / "d.pid", "--", "sh",
                        "-c", "echo $$ > " + pids + "; exec sleep 30"});
    CHECK(r.status == 1);
    CHECK(r.err == "ptool daemonize: sh: not ready after 1.5s (no READY=1)\n");
    int pid = reaper.add_from_file(pids);
    CHECK(wait_until([&] { return !process_alive(pid); }));
}
