// ptool exec as a user runs it, compared with Node's own child_process.exec.
#include <signal.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

using namespace ptool::test;
using nlohmann::json;

namespace {

json exec_json(const std::vector<std::string>& args, const RunOptions& options = {}) {
    std::vector<std::string> argv{"exec", "--json"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run_ptool(argv, options);
    INFO(r.err);
    return json::parse(r.out);
}

// What Node's exec callback gives for `command`.
json node_exec(const std::string& command, const std::string& options = "{}") {
    auto r = run({"node", "-e",
                  "require('child_process').exec(process.argv[1], " + options +
                      ", (e, out, err) => console.log(JSON.stringify({code: e ? e.code : 0, "
                      "signal: e ? (e.signal || null) : null, stdout: out, stderr: err})))",
                  command});
    REQUIRE(r.status == 0);
    return json::parse(r.out);
}

}  // namespace

TEST_CASE("exec prints the command's stdout and stderr after it ends and mirrors its status") {
    auto r = run_ptool({"exec", "echo out; echo err >&2; exit 3"});
    CHECK(r.status == 3);
    CHECK(r.out == "out\n");
    CHECK(r.err == "err\n");
    r = run_ptool({"exec", "kill -USR1 $$"});
    CHECK(r.status == 128 + SIGUSR1);
}

TEST_CASE("exec --json gives the same code signal stdout and stderr as Node's exec") {
    for (std::string command :
         {"echo hi; echo err >&2; exit 3", "kill -9 $$", "printf 'a\\377b\\n'",
          "printf '\\303\\251t\\303\\251'; exit 0", "nosuch-ptool-cmd", "echo x; kill -TERM $$"}) {
        INFO(command);
        json node = node_exec(command);
        json ours = exec_json({command});
        CHECK(ours["command"] == command);
        CHECK(ours["code"] == node["code"]);
        CHECK(ours["signal"] == node["signal"]);
        CHECK(ours["stdout"] == node["stdout"]);
        CHECK(ours["stderr"] == node["stderr"]);
    }
}

TEST_CASE("exec --max-buffer kills the command and keeps exactly max-buffer bytes as Node does") {
    json node = node_exec("yes", "{maxBuffer: 10}");
    json ours = exec_json({"--max-buffer", "10", "yes"});
    CHECK(ours["stdout"] == node["stdout"]);
    CHECK(ours["stdout"] == "y\ny\ny\ny\ny\n");
    CHECK(ours["max_buffer_exceeded"] == true);
    CHECK(ours["error"]["message"] == "stdout maxBuffer length exceeded");
    CHECK(ours["signal"] == "SIGTERM");
    auto r = run_ptool({"exec", "--max-buffer", "1k", "yes >&2"});
    CHECK(r.status == 1);
    std::string kept;
    while (kept.size() < 1024) kept += "y\n";
    CHECK(r.err == kept + "ptool exec: stderr maxBuffer length exceeded\n");
}

TEST_CASE("exec --max-buffer 0 is a usage error") {
    auto r = run_ptool({"exec", "--max-buffer", "0", "true"});
    CHECK(r.status == 2);
    CHECK(r.err == "ptool exec: --max-buffer must be at least 1 byte\n");
}

TEST_CASE("exec drains 10 MB on each pipe without deadlock") {
    auto r = run_ptool({"exec", "--max-buffer", "20M",
                        "head -c 10000000 /dev/zero >&2; head -c 10000000 /dev/zero; "
                        "head -c 10000000 /dev/zero >&2"});
    CHECK(r.status == 0);
    CHECK(r.out.size() == 10000000);
    CHECK(r.err.size() == 20000000);
}

TEST_CASE("exec --timeout kills the process group and exits 124") {
    json ours = exec_json({"--timeout", "100ms", "sleep 30 & sleep 30; echo never"});
    CHECK(ours["timed_out"] == true);
    CHECK(ours["code"].is_null());
    CHECK(ours["signal"] == "SIGTERM");
    CHECK(ours["stdout"] == "");
    auto r = run_ptool({"exec", "--timeout", "100ms", "--kill-signal", "KILL", "sleep 30"});
    CHECK(r.status == 124);
    ours = exec_json({"--timeout", "100ms", "--kill-signal", "9", "sleep 30"});
    CHECK(ours["signal"] == "SIGKILL");
}

TEST_CASE("exec rejects a bad duration and a bad signal with exit 2") {
    CHECK(run_ptool({"exec", "--timeout", "soon", "true"}).status == 2);
    auto r = run_ptool({"exec", "--kill-signal", "SIGNOPE", "true"});
    CHECK(r.status == 2);
    CHECK(r.err.find("SIGNOPE") != std::string::npos);
    CHECK(run_ptool({"exec", "--encoding", "latin9", "true"}).status == 2);
    CHECK(run_ptool({"exec", "echo", "two words"}).status == 2);
}

TEST_CASE("exec stdin is /dev/null unless --input or --input-file gives it") {
    auto r = run_ptool({"exec", "cat"}, "not for the child");
    CHECK(r.status == 0);
    CHECK(r.out.empty());
    r = run_ptool({"exec", "--input", "typed text", "cat"});
    CHECK(r.out == "typed text");
    TempDir dir;
    write_file(dir / "in", "from a file\n");
    r = run_ptool({"exec", "--input-file", dir / "in", "tr a-z A-Z"});
    CHECK(r.out == "FROM A FILE\n");
    r = run_ptool({"exec", "--input-file", dir / "missing", "cat"});
    CHECK(r.status == 125);
}

TEST_CASE("exec --file runs a program without a shell") {
    json ours = exec_json({"--file", "printf", "%s|", "$HOME", "a b"});
    CHECK(ours["stdout"] == "$HOME|a b|");
    CHECK(ours["command"] == "printf %s| $HOME a b");
    auto r = run_ptool({"exec", "--file", "ptool-nosuch-program"});
    CHECK(r.status == 127);
    CHECK(r.err == "ptool exec: ptool-nosuch-program: No such file or directory\n");
    ours = exec_json({"--file", "ptool-nosuch-program"});
    CHECK(ours["code"] == 127);
    CHECK(ours["error"]["message"] == "ptool-nosuch-program: No such file or directory");
    TempDir dir;
    r = run_ptool({"exec", "--file", dir.path().string()});
    CHECK(r.status == 126);
}

TEST_CASE("exec --encoding hex and base64 encode the captured bytes") {
    json hex = exec_json({"--encoding", "hex", "printf '\\000\\377A'; printf E >&2"});
    CHECK(hex["stdout"] == "00ff41");
    CHECK(hex["stderr"] == "45");
    json b64 = exec_json({"--encoding", "base64", "printf '\\000\\377A'"});
    CHECK(b64["stdout"] == "AP9B");
}

TEST_CASE("exec --cwd --env and --env-clear shape the command's surroundings") {
    TempDir dir;
    auto r = run_ptool({"exec", "--cwd", dir.path().string(), "--env", "X=1", "pwd; echo $X"});
    CHECK(r.out == dir.path().string() + "\n1\n");
    r = run_ptool({"exec", "--env-clear", "--env", "ONLY=1", "--file", "/usr/bin/env"});
    CHECK(r.out == "ONLY=1\n");
    r = run_ptool({"exec", "--cwd", "/nonexistent-ptool", "true"});
    CHECK(r.status == 125);
    CHECK(r.err == "ptool exec: --cwd /nonexistent-ptool: No such file or directory\n");
}

TEST_CASE("exec --json reports success with null error and a duration") {
    json ours = exec_json({"true"});
    CHECK(ours["code"] == 0);
    CHECK(ours["error"].is_null());
    CHECK(ours["timed_out"] == false);
    CHECK(ours["max_buffer_exceeded"] == false);
    CHECK(ours["duration_ms"].is_number_integer());
}
