// The option layer's own complaints as users meet them in every subcommand: ptool's
// words (never a parser library's), a did-you-mean for a mistyped option, a bad
// option named before a missing program; and repeatable options that take exactly
// one value each, so the program after them runs (as `env A=1 prog`).
#include <unistd.h>
#include <catch2/catch.hpp>

#include <sstream>

#include "test_support.hpp"

using namespace ptool::test;

namespace {

std::vector<std::string> listed_tools() {
    std::vector<std::string> names;
    std::istringstream in(run_ptool({"--list"}).out);
    for (std::string line; std::getline(in, line);) names.push_back(line);
    return names;
}

}  // namespace

TEST_CASE("cli: an unknown option is 'ptool CMD: --OPT: unknown option' in every subcommand") {
    for (const auto& name : listed_tools()) {
        CAPTURE(name);
        auto r = run_ptool({name, "--bogus"});
        CHECK(r.status == 2);
        CHECK(r.out.empty());
        CHECK(r.err == "ptool " + name + ": --bogus: unknown option (see --help)\n");
    }
}

TEST_CASE("cli: a mistyped option gets the closest name, as git and ripgrep do") {
    struct Case {
        std::vector<std::string> args;
        std::string err;
    };
    std::vector<Case> cases = {
        {{"hashfile", "--recursve", "."},
         "ptool hashfile: --recursve: unknown option (did you mean --recursive?)\n"},
        {{"spawn", "--tiemout", "1s", "true"},
         "ptool spawn: --tiemout: unknown option (did you mean --timeout?)\n"},
        {{"fork-cluster", "--workres", "2", "true"},
         "ptool fork-cluster: --workres: unknown option (did you mean --workers?)\n"},
        {{"bufdump", "--colour"},
         "ptool bufdump: --colour: unknown option (did you mean --color?)\n"},
        {{"pstree", "--show-pid"},
         "ptool pstree: --show-pid: unknown option (did you mean --show-pids?)\n"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.args);
        auto r = run_ptool(c.args);
        CHECK(r.status == 2);
        CHECK(r.err == c.err);
    }
}

TEST_CASE("cli: spawn, exec and fork-cluster name a bad option, not a missing program") {
    for (const std::string name : {"spawn", "exec", "fork-cluster", "daemonize"}) {
        CAPTURE(name);
        auto r = run_ptool({name, "--bogus"});
        CHECK(r.status == 2);
        CHECK(r.err.find("--bogus: unknown option") != std::string::npos);
        CHECK(r.err.find("required") == std::string::npos);
    }
    auto missing = run_ptool({"spawn"});
    CHECK(missing.status == 2);
    CHECK(missing.err == "ptool spawn: missing COMMAND (see --help)\n");
}

TEST_CASE("cli: no message is a parser library's wording") {
    std::vector<std::vector<std::string>> lines = {
        {"hashfile", "--algo"},         {"hashfile", "-j", "-1"},
        {"spawn", "--timeout"},         {"pstree", "1", "2"},
        {"bufdump", "a", "b", "c"},     {"daemonize", "--log", "a", "--stdout", "b", "true"},
        {"exec", "--json=yes", "true"}, {"ipc-send", "--fd"},
    };
    for (const auto& args : lines) {
        CAPTURE(args);
        auto r = run_ptool(args);
        CHECK(r.status == 2);
        CHECK(r.err.rfind("ptool " + args[0] + ": ", 0) == 0);
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
        for (const char* phrase : {"not expected", "required", "Could not convert", "TEXT",
                                   "Expected", "excludes", "INT"})
            CHECK(r.err.find(phrase) == std::string::npos);
    }
    CHECK(run_ptool({"hashfile", "--algo"}).err ==
          "ptool hashfile: --algo: missing value (see --help)\n");
    CHECK(run_ptool({"pstree", "1", "2"}).err ==
          "ptool pstree: unexpected argument '2' (see --help)\n");
    CHECK(run_ptool({"daemonize", "--log", "a", "--stdout", "b", "true"}).err ==
          "ptool daemonize: --stdout: cannot be combined with --log\n");
}

TEST_CASE("cli: spawn --env A=1 echo hi runs echo hi, as env A=1 prog") {
    auto r = run_ptool({"spawn", "--env", "A=1", "sh", "-c", "echo $A hi"});
    CHECK(r.status == 0);
    CHECK(r.out == "1 hi\n");
    r = run_ptool({"spawn", "--env", "A=1", "--env", "B=2", "--unset", "HOME", "sh", "-c",
                   "echo $A $B ${HOME-unset}"});
    CHECK(r.status == 0);
    CHECK(r.out == "1 2 unset\n");
}

TEST_CASE("cli: exec --env takes one value and leaves the command") {
    auto r = run_ptool({"exec", "--env", "A=1", "echo $A"});
    CHECK(r.status == 0);
    CHECK(r.out == "1\n");
    r = run_ptool({"exec", "--file", "--env", "A=1", "sh", "-c", "echo $A"});
    CHECK(r.status == 0);
    CHECK(r.out == "1\n");
}

TEST_CASE("cli: fork-cluster --listen takes one address each and leaves the program") {
    auto r = run_ptool({"fork-cluster", "-w", "1", "--restart", "never", "--listen", "127.0.0.1:0",
                        "--listen", "127.0.0.1:0", "sh", "-c", "echo $LISTEN_FDS >&2"});
    CHECK(r.status == 0);
    CHECK(r.err.find("2\n") != std::string::npos);
}

TEST_CASE("cli: hashfile -a takes one value (or one comma list) each, files after it") {
    TempDir dir;
    write_file(dir / "f", "x");
    auto r = run_ptool({"hashfile", "-a", "md5", dir / "f", "-a", "sha1,sha256", dir / "f"});
    CHECK(r.status == 0);
    CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 6);  // 3 algorithms x 2 files
}

TEST_CASE("cli: bufdump --color alone is always, --color=never is not") {
    RunOptions opts;
    opts.input = "A\x01";
    auto always = run_ptool({"bufdump", "--color"}, opts);
    CHECK(always.status == 0);
    CHECK(always.out.find("\x1b[") != std::string::npos);
    auto never = run_ptool({"bufdump", "--color=never"}, opts);
    CHECK(never.out.find("\x1b[") == std::string::npos);
    // auto on a pipe is off whatever TERM says; TERM=dumb keeps --color=always honest.
    opts.env["TERM"] = "dumb";
    auto forced = run_ptool({"bufdump", "--color=always"}, opts);
    CHECK(forced.out.find("\x1b[") != std::string::npos);
}

TEST_CASE("cli: ptool --install into a file is one error") {
    TempDir dir;
    write_file(dir / "file", "");
    auto r = run_ptool({"--install", dir / "file"});
    CHECK(r.status == 1);
    CHECK(r.err == "ptool: " + dir / "file" + ": Not a directory\n");
}

TEST_CASE("cli: a link with a name ptool does not know says which name") {
    TempDir dir;
    std::string link = dir / "hsahfile";
    REQUIRE(symlink(ptool_bin().c_str(), link.c_str()) == 0);
    auto r = run({link, "--help"});
    CHECK(r.status == 2);
    CHECK(r.err == "ptool: called as 'hsahfile': unknown command (did you mean 'hashfile'?)\n");
    std::string other = dir / "zzzzzzzzzz";
    REQUIRE(symlink(ptool_bin().c_str(), other.c_str()) == 0);
    r = run({other});
    CHECK(r.err == "ptool: called as 'zzzzzzzzzz': unknown command\n");
}

TEST_CASE("cli: every subcommand answers --version as ptool does") {
    auto top = run_ptool({"--version"});
    for (const auto& name : listed_tools()) {
        CAPTURE(name);
        auto r = run_ptool({name, "--version"});
        CHECK(r.status == 0);
        CHECK(r.out == top.out);
    }
}
