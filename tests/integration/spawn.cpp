// ptool spawn as a user runs it: exit statuses, stdio modes, tags, timeouts,
// signal forwarding, detaching, JSON events and the Node IPC channel with real Node.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <sstream>

#include "test_support.hpp"

using namespace ptool::test;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

std::string stat_field(int pid, int index) {  // index 0 = state, after "(comm)"
    std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    std::istringstream in(stat.substr(stat.rfind(')') + 2));
    std::string field;
    for (int i = 0; i <= index; ++i) in >> field;
    return field;
}

}  // namespace

TEST_CASE("spawn runs a program and mirrors its exit code") {
    auto r = run_ptool({"spawn", "--", "sh", "-c", "echo out; echo err >&2; exit 3"});
    CHECK(r.status == 3);
    CHECK(r.out == "out\n");
    CHECK(r.err == "err\n");
}

TEST_CASE("spawn passes the program's arguments untouched after --") {
    auto r = run_ptool({"spawn", "--", "printf", "%s|", "--json", "-x", "a b", ""});
    CHECK(r.status == 0);
    CHECK(r.out == "--json|-x|a b||");
}

TEST_CASE("spawn reports a child killed by a signal as 128 plus the signal number") {
    auto r = run_ptool({"spawn", "--", "sh", "-c", "kill -KILL $$"});
    CHECK(r.status == 128 + SIGKILL);
}

TEST_CASE("spawn exits 127 naming a program that does not exist") {
    auto r = run_ptool({"spawn", "--", "ptool-nosuch-program"});
    CHECK(r.status == 127);
    CHECK(r.err == "ptool spawn: ptool-nosuch-program: No such file or directory\n");
}

TEST_CASE("spawn exits 126 for a directory or a file that is not executable") {
    TempDir dir;
    auto r = run_ptool({"spawn", "--", dir.path().string()});
    CHECK(r.status == 126);
    CHECK(r.err == "ptool spawn: " + dir.path().string() + ": Is a directory\n");
    write_file(dir / "plain", "echo hi\n");
    r = run_ptool({"spawn", "--", dir / "plain"});
    CHECK(r.status == 126);
    CHECK(r.err == "ptool spawn: " + dir / "plain" + ": Permission denied\n");
}

TEST_CASE("spawn exits 127 for a script whose interpreter is missing and names the interpreter") {
    TempDir dir;
    std::string script = dir / "script";
    write_file(script, "#!/nonexistent/interpreter -x\necho hi\n");
    REQUIRE(::chmod(script.c_str(), 0755) == 0);
    auto r = run_ptool({"spawn", "--", script});
    CHECK(r.status == 127);
    CHECK(r.err == "ptool spawn: " + script +
                       ": No such file or directory (its #! interpreter /nonexistent/interpreter "
                       "is missing)\n");
    // Found through PATH, the same.
    r = run_shell("PATH=" + dir.path().string() + ":/usr/bin:/bin exec \"$PTOOL\" spawn -- script");
    CHECK(r.status == 127);
    CHECK(r.err ==
          "ptool spawn: script: No such file or directory (its #! interpreter "
          "/nonexistent/interpreter is missing)\n");
}

TEST_CASE("spawn --cwd to a missing directory exits 125 naming the directory") {
    auto r = run_ptool({"spawn", "--cwd", "/nonexistent-ptool", "--", "true"});
    CHECK(r.status == 125);
    CHECK(r.err == "ptool spawn: --cwd /nonexistent-ptool: No such file or directory\n");
}

TEST_CASE("spawn rejects an unknown user a bad duration and a bad signal with exit 2") {
    auto r = run_ptool({"spawn", "--uid", "ptool-nosuchuser", "--", "true"});
    CHECK(r.status == 2);
    CHECK(r.err.find("ptool-nosuchuser") != std::string::npos);
    r = run_ptool({"spawn", "--timeout", "5 parsecs", "--", "true"});
    CHECK(r.status == 2);
    r = run_ptool({"spawn", "--timeout", "1", "--kill-signal", "SIGNOPE", "--", "true"});
    CHECK(r.status == 2);
    CHECK(r.err.find("SIGNOPE") != std::string::npos);
    r = run_ptool({"spawn", "--stdout", "tube", "--", "true"});
    CHECK(r.status == 2);
}

TEST_CASE("spawn --uid and --gid run the program as that user with its groups") {
    REQUIRE(geteuid() == 0);
    auto r = run_ptool({"spawn", "--uid", "nobody", "--", "id"});
    CHECK(r.status == 0);
    CHECK(r.out == "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n");
    r = run_ptool({"spawn", "--uid", "65534", "--gid", "0", "--", "id"});
    CHECK(r.out == "uid=65534(nobody) gid=0(root) groups=0(root),65534(nogroup)\n");
}

TEST_CASE("spawn --tag prefixes each line with the pid and flushes a partial last line") {
    auto r = run_ptool({"spawn", "--tag", "--", "sh", "-c", "echo $$; echo two; printf partial"});
    CHECK(r.status == 0);
    auto lines = lines_of(r.out);
    REQUIRE(lines.size() == 3);
    std::string pid = lines[0].substr(lines[0].rfind(' ') + 1);
    CHECK(lines[0] == "[" + pid + "] " + pid);
    CHECK(lines[1] == "[" + pid + "] two");
    CHECK(lines[2] == "[" + pid + "] partial");
    CHECK(r.out.back() == '\n');
}

TEST_CASE("spawn --tag=TEXT and --timestamps prefix stdout and stderr lines") {
    auto r = run_ptool(
        {"spawn", "--tag=web", "--timestamps", "--", "sh", "-c", "echo out; echo err >&2"});
    CHECK(r.status == 0);
    // 2026-01-02T03:04:05.678Z web out
    auto check_line = [](const std::string& line, const std::string& rest) {
        REQUIRE(line.size() == 25 + rest.size());
        CHECK(line[4] == '-');
        CHECK(line[10] == 'T');
        CHECK(line[23] == 'Z');
        CHECK(line.substr(25) == rest);
    };
    check_line(lines_of(r.out).at(0), "web out");
    check_line(lines_of(r.err).at(0), "web err");
}

TEST_CASE("spawn --tag cuts long lines only between UTF-8 characters") {
    // 100000 two-byte characters on one line: cut into pieces, each valid UTF-8.
    auto r = run_ptool({"spawn", "--tag=t", "--", "sh", "-c",
                        "head -c 100000 /dev/zero | tr '\\0' x | sed 's/x/\\xc3\\xa9/g'"});
    CHECK(r.status == 0);
    auto lines = lines_of(r.out);
    REQUIRE(lines.size() >= 3);
    size_t total = 0;
    for (const auto& line : lines) {
        REQUIRE(line.rfind("t ", 0) == 0);
        std::string body = line.substr(2);
        CHECK(body.size() % 2 == 0);
        CHECK(static_cast<unsigned char>(body[0]) == 0xc3);
        total += body.size();
    }
    CHECK(total == 200000);
}

TEST_CASE("spawn stdio modes ignore file append and fd send output where asked") {
    TempDir dir;
    std::string log = dir / "log";
    auto r = run_ptool({"spawn", "--stdout", "file:" + log, "--stderr", "ignore", "--", "sh", "-c",
                        "echo one; echo hidden >&2"});
    CHECK(r.status == 0);
    CHECK(r.out.empty());
    CHECK(r.err.empty());
    r = run_ptool({"spawn", "--stdout", "append:" + log, "--", "echo", "two"});
    CHECK(read_file(log) == "one\ntwo\n");
    r = run_shell("\"$PTOOL\" spawn --stdout fd:2 -- echo to-stderr");
    CHECK(r.out.empty());
    CHECK(r.err == "to-stderr\n");
    r = run_ptool({"spawn", "--stdin", "file:" + log, "--", "cat"});
    CHECK(r.out == "one\ntwo\n");
    r = run_ptool({"spawn", "--stdout", "file:" + dir / "no/such", "--", "true"});
    CHECK(r.status == 125);
    CHECK(r.err == "ptool spawn: " + dir / "no/such" + ": No such file or directory\n");
}

TEST_CASE("spawn --stdin pipe relays ptool's stdin and --stdin ignore gives /dev/null") {
    auto r = run_ptool({"spawn", "--stdin", "pipe", "--", "cat"}, std::string(300000, 'z'));
    CHECK(r.status == 0);
    CHECK(r.out == std::string(300000, 'z'));
    r = run_ptool({"spawn", "--stdin", "ignore", "--", "cat"}, "not seen");
    CHECK(r.out.empty());
}

TEST_CASE("spawn --env --unset and --env-clear edit the environment") {
    RunOptions o;
    o.env["PTOOL_SPAWN_DROP"] = "x";
    auto r = run_ptool({"spawn", "--env", "A=1", "--env", "B=two words", "--unset",
                        "PTOOL_SPAWN_DROP", "--", "sh", "-c", "echo \"$A|$B|$PTOOL_SPAWN_DROP\""},
                       o);
    CHECK(r.out == "1|two words|\n");
    r = run_ptool({"spawn", "--env-clear", "--env", "ONLY=1", "--", "/usr/bin/env"});
    CHECK(r.out == "ONLY=1\n");
    r = run_ptool({"spawn", "--env", "NOEQUALS", "--", "true"});
    CHECK(r.status == 2);
}

TEST_CASE("spawn --argv0 renames the program and --shell runs through sh") {
    auto r = run_ptool({"spawn", "--argv0", "renamed", "--", "sh", "-c", "echo $0"});
    CHECK(r.out == "renamed\n");
    r = run_ptool({"spawn", "--shell", "--", "echo", "a", "&&", "echo", "$((1+2))"});
    CHECK(r.out == "a\n3\n");
}

TEST_CASE("spawn gives the child only fds 0-2 even when ptool inherited others") {
    auto r = run_shell("exec 7</dev/null 9>/dev/null; \"$PTOOL\" spawn -- ls /proc/self/fd");
    CHECK(lines_of(r.out) == std::vector<std::string>{"0", "1", "2", "3"});
    r = run_shell("exec 7</dev/null; \"$PTOOL\" spawn --ipc -- ls /proc/self/fd </dev/null");
    CHECK(lines_of(r.out) == std::vector<std::string>{"0", "1", "2", "3", "4"});
}

TEST_CASE("spawn --timeout signals the whole process group and exits 124") {
    TempDir dir;
    std::string pidfile = dir / "sleeper";
    auto r = run_ptool({"spawn", "--timeout", "200ms", "--", "sh", "-c",
                        "sleep 30 & echo $! > " + pidfile + "; wait"});
    CHECK(r.status == 124);
    int sleeper = std::stoi(read_file(pidfile));
    CHECK(wait_until([&] { return !process_alive(sleeper); }));
}

TEST_CASE("spawn --kill-after follows an ignored kill signal with SIGKILL") {
    auto r = run_ptool({"spawn", "--json", "--timeout", "100ms", "--kill-after", "100ms", "--",
                        "sh", "-c", "trap '' TERM; sleep 30"});
    CHECK(r.status == 124);
    auto exit_event = nlohmann::json::parse(lines_of(r.err).at(1));
    CHECK(exit_event["signal"] == "SIGKILL");
    CHECK(exit_event["timed_out"] == true);
}

TEST_CASE("spawn forwards SIGUSR1 to a child that traps it") {
    TempDir dir;
    auto r = run_shell("cd " + shell_quote(dir.path().string()) +
                       "; \"$PTOOL\" spawn -- sh -c 'trap \"echo got-usr1; exit 5\" USR1; "
                       ": > ready; while :; do sleep 0.02; done' & p=$!; "
                       "while [ ! -e ready ]; do sleep 0.01; done; kill -USR1 $p; wait $p; "
                       "echo status=$?");
    CHECK(r.out == "got-usr1\nstatus=5\n");
}

TEST_CASE("spawn forwards SIGTERM and reports the child's death by it") {
    // Whether TERM reaches sh before its exec or sleep after it, the child dies by it.
    TempDir dir;
    auto r = run_shell("cd " + shell_quote(dir.path().string()) +
                       "; \"$PTOOL\" spawn -- sh -c ': > ready; exec sleep 30' & p=$!; "
                       "while [ ! -e ready ]; do sleep 0.01; done; kill -TERM $p; "
                       "wait $p; echo status=$?");
    CHECK(r.out == "status=143\n");
}

TEST_CASE("spawn --detached prints the pid of a child in its own session and exits") {
    auto r = run_ptool(
        {"spawn", "--detached", "--stdout", "ignore", "--stderr", "ignore", "--", "sleep", "30"});
    CHECK(r.status == 0);
    int pid = std::stoi(r.out);
    REQUIRE(process_alive(pid));
    CHECK(stat_field(pid, 3) == std::to_string(pid));  // session id
    CHECK(stat_field(pid, 2) == std::to_string(pid));  // process group
    ::kill(pid, SIGKILL);
    r = run_ptool({"spawn", "--detached", "--stdout", "pipe", "--", "true"});
    CHECK(r.status == 2);
}

TEST_CASE("spawn --json prints spawn and exit events with resource usage") {
    auto r = run_ptool({"spawn", "--json", "--", "sh", "-c", "exit 4"});
    CHECK(r.status == 4);
    auto lines = lines_of(r.err);
    REQUIRE(lines.size() == 2);
    auto spawn = nlohmann::json::parse(lines[0]);
    auto exit = nlohmann::json::parse(lines[1]);
    CHECK(spawn["event"] == "spawn");
    CHECK(exit["event"] == "exit");
    CHECK(exit["pid"] == spawn["pid"]);
    CHECK(exit["code"] == 4);
    CHECK(exit["signal"].is_null());
    CHECK(exit["timed_out"] == false);
    for (const char* key : {"duration_ms", "user_ms", "sys_ms", "max_rss_kb"})
        CHECK(exit[key].is_number_integer());
    CHECK(exit["max_rss_kb"].get<long>() > 0);
    CHECK(lines[0].rfind("{\"event\":\"spawn\",\"ts\":", 0) == 0);
}

TEST_CASE("spawn --events FILE writes the events to the file") {
    TempDir dir;
    auto r = run_ptool({"spawn", "--events", dir / "ev", "--", "true"});
    CHECK(r.status == 0);
    CHECK(r.err.empty());
    auto lines = lines_of(read_file(dir / "ev"));
    REQUIRE(lines.size() == 2);
    CHECK(nlohmann::json::parse(lines[1])["code"] == 0);
    r = run_ptool({"spawn", "--json", "--", "ptool-nosuch-program"});
    CHECK(r.status == 127);
    auto error = nlohmann::json::parse(lines_of(r.err).at(0));
    CHECK(error["event"] == "error");
    CHECK(error["error"]["message"] == "ptool-nosuch-program: No such file or directory");
    CHECK(error["code"] == 127);
}

TEST_CASE("spawn --ipc exchanges messages with a Node child which exits at stdin EOF") {
    auto r = run_ptool({"spawn", "--ipc", "--", "node", "-e",
                        "process.on('message', m => process.send({echo: m}))"},
                       "{\"b\":1,\"a\":[1,\"x\"]}\n\"text\"\nnot json\n42\n");
    CHECK(r.status == 0);
    CHECK(r.out == "{\"echo\":{\"b\":1,\"a\":[1,\"x\"]}}\n{\"echo\":\"text\"}\n{\"echo\":42}\n");
    CHECK(r.err.find("stdin line 3: invalid JSON") != std::string::npos);
}

TEST_CASE("spawn --ipc prints what a Node child sends on its own and sets the channel env") {
    auto r = run_ptool({"spawn", "--ipc", "--", "node", "-e",
                        "process.send({hello: 'w\u00f6rld'}, () => process.disconnect())"});
    CHECK(r.status == 0);
    CHECK(r.out == "{\"hello\":\"w\u00f6rld\"}\n");
    r = run_ptool({"spawn", "--ipc", "--", "sh", "-c",
                   "echo $NODE_CHANNEL_FD $NODE_CHANNEL_SERIALIZATION_MODE"});
    CHECK(r.out == "3 json\n");
}

TEST_CASE("spawn leaves no zombie behind") {
    auto r =
        run_ptool({"spawn", "--timeout", "50ms", "--", "sh", "-c", "sleep 1 & sleep 1 & wait"});
    CHECK(r.status == 124);
    CHECK(zombie_children(getpid()).empty());
}
