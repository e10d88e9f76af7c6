// The option layer as a user meets it: every subcommand reports a bad option value
// as one line `ptool CMD: --OPT: why` with exit 2, under the option's long name,
// before it starts anything.
#include <catch2/catch.hpp>

#include "test_support.hpp"

using namespace ptool::test;

TEST_CASE("options: a bad value is 'ptool CMD: --OPT: why' in every subcommand") {
    struct Case {
        std::vector<std::string> args;
        std::string err;
    };
    const std::string dur = " (use e.g. 250ms, 5s, 2m, 1h, 1.5)\n";
    std::vector<Case> cases = {
        {{"spawn", "--timeout", "5x", "--", "true"},
         "ptool spawn: --timeout: invalid duration '5x'" + dur},
        {{"spawn", "--kill-signal", "NOPE", "--", "true"},
         "ptool spawn: --kill-signal: invalid signal 'NOPE' (use e.g. TERM, SIGKILL or 9)\n"},
        {{"spawn", "--env", "NOEQUALS", "--", "true"},
         "ptool spawn: --env: expected NAME=VALUE, got 'NOEQUALS'\n"},
        {{"spawn", "--stdout", "sideways", "--", "true"},
         "ptool spawn: --stdout: expected inherit, pipe, ignore, file:PATH, append:PATH or fd:N, "
         "got 'sideways'\n"},
        {{"exec", "--max-buffer", "lots", "true"},
         "ptool exec: --max-buffer: invalid size 'lots' (use e.g. 4096, 64k, 1M, 2G)\n"},
        {{"exec", "--encoding", "rot13", "true"},
         "ptool exec: --encoding: expected utf8, hex or base64, got 'rot13'\n"},
        {{"fork-cluster", "-w", "0", "--", "true"},
         "ptool fork-cluster: --workers: expected 1..4096 or auto, got '0'\n"},
        {{"fork-cluster", "--restart", "sometimes", "--", "true"},
         "ptool fork-cluster: --restart: expected always, on-failure or never, got "
         "'sometimes'\n"},
        {{"fork-cluster", "--grace", "soon", "--", "true"},
         "ptool fork-cluster: --grace: invalid duration 'soon'" + dur},
        {{"ipc-send", "--wait", "5x", "{}"}, "ptool ipc-send: --wait: invalid duration '5x'" + dur},
        {{"bufdump", "-c", "-1"},
         "ptool bufdump: --cols: '-1' is negative (expected a number from 0 to 1073741824)\n"},
        {{"bufdump", "--color=sometimes"},
         "ptool bufdump: --color: expected auto, always or never, got 'sometimes'\n"},
        {{"pstree", "-H", "0"}, "ptool pstree: --highlight-pid: expected 1..2147483647, got '0'\n"},
        {{"daemonize", "--max-restarts", "-1", "--respawn", "--", "true"},
         "ptool daemonize: --max-restarts: expected 0..2147483647, got '-1'\n"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.args);
        auto r = run_ptool(c.args);
        CHECK(r.status == 2);
        CHECK(r.out.empty());
        CHECK(r.err == c.err);
    }
}

TEST_CASE("options: hashfile -a names the algorithm it does not know, in a comma list too") {
    auto r = run_ptool({"hashfile", "-a", "sha1,sha999", "/dev/null"});
    CHECK(r.status == 2);
    CHECK(r.err.rfind("ptool hashfile: --algo: unknown algorithm 'sha999' (valid: ", 0) == 0);
    auto ok = run_ptool({"hashfile", "-a", "md5,sha1", "/dev/null"});
    CHECK(ok.status == 0);
    CHECK(std::count(ok.out.begin(), ok.out.end(), '\n') == 2);
}

TEST_CASE("options: typed values reach the tool (exec --timeout keeps its text)") {
    auto r = run_ptool({"exec", "--json", "--timeout", "0.2", "sleep 5"});
    CHECK(r.status == 124);
    CHECK(r.out.find("\"error\":{\"message\":\"timed out after 0.2\"}") != std::string::npos);
}
