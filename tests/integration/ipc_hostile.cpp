// Hostile input at every IPC boundary, as a worker, a child or a script would send
// it: 1e999, -1e999, 100,000 nested brackets, invalid UTF-8, NUL bytes, empty
// lines, a line without "\n" before EOF and a 64 MiB line. Each is dropped with a
// diagnostic in ptool's words; the child, the master and the loop go on.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>

#include "cluster_harness.hpp"
#include "test_support.hpp"

using namespace ptool::test;
using cluster_test::control_request;
using cluster_test::Master;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

const std::string kPython = "/usr/bin/python3";

std::string deep_closed() {
    return std::string(100000, '[') + std::string(100000, ']');
}

// The corpus of bad messages, one per line, and what stays valid around them.
struct Corpus {
    std::vector<std::string> bad = {
        "1e999",
        "-1e999",
        deep_closed(),
        std::string(100000, '['),
        std::string("[1]\0x", 5),
        "\"\xff\xfe\"",
        std::string("{\"a\":\"x\0\"}", 10),
    };
    std::string lines() const {
        std::string s = "{\"first\":1}\n\n";
        for (const auto& b : bad) s += b + "\n";
        return s;
    }
};

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    size_t start = 0;
    for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
        out.push_back(text.substr(start, nl - start));
    if (start < text.size()) out.push_back(text.substr(start));
    return out;
}

// No library exception text, no raw NUL, in anything ptool printed.
void check_own_words(const RunResult& r) {
    CHECK(r.err.find("json.exception") == std::string::npos);
    CHECK(r.err.find("terminate") == std::string::npos);
    CHECK(r.out.find('\0') == std::string::npos);
    CHECK(r.err.find('\0') == std::string::npos);
}

// Max RSS (KiB) of `argv` run under /usr/bin/time, whose output goes to `out`.
long max_rss_kb(std::vector<std::string> argv, const TempDir& dir, RunResult& out) {
    std::vector<std::string> timed = {"/usr/bin/time", "-f", "%M", "-o", dir / "rss"};
    timed.insert(timed.end(), argv.begin(), argv.end());
    out = run(timed);
    auto text = read_file(dir / "rss");
    return std::stol(text.substr(text.find_last_of('\n', text.size() - 2) + 1));
}

}  // namespace

TEST_CASE("ipc-send: 1e999 and -1e999 are usage errors with their position in ptool's words") {
    for (std::string bad : {"1e999", "-1e999", "[1e999]"}) {
        auto r = run_ptool({"ipc-send", "--socket", "/nonexistent/ctl", bad});
        CHECK(r.status == 2);
        CHECK(r.err.starts_with("ptool ipc-send: invalid JSON at line 1, column "));
        CHECK(r.err.find("number out of range") != std::string::npos);
        check_own_words(r);
    }
    auto r = run_ptool({"ipc-send", "--socket", "/nonexistent/ctl", std::string(60000, '[')});
    CHECK(r.status == 2);
    CHECK(r.err ==
          "ptool ipc-send: invalid JSON at line 1, column 513: nested deeper than 512 levels\n");
}

TEST_CASE(
    "ipc-send: hostile stdin lines are usage errors naming the line after the earlier lines went "
    "out") {
    Corpus corpus;
    TempDir dir;
    for (size_t i = 0; i < corpus.bad.size(); ++i) {
        // spawn --ipc is the parent; ipc-send reads its messages from the file.
        write_file(dir / "in", "{\"n\":1}\n\n" + corpus.bad[i] + "\n{\"n\":2}\n");
        auto r = run_ptool(
            {"spawn", "--ipc", "--stdin", "file:" + dir / "in", "--", ptool_bin(), "ipc-send"});
        INFO("corpus entry " << i);
        CHECK(r.status == 2);
        CHECK(r.out == "{\"n\":1}\n");
        CHECK(r.err.starts_with("ptool ipc-send: stdin line 3: "));
        check_own_words(r);
    }
    // A last line without "\n" is a message too.
    write_file(dir / "in", "{\"n\":1}\n{\"n\":2}");
    auto r = run_ptool(
        {"spawn", "--ipc", "--stdin", "file:" + dir / "in", "--", ptool_bin(), "ipc-send"});
    CHECK(r.status == 0);
    CHECK(r.out == "{\"n\":1}\n{\"n\":2}\n");
}

TEST_CASE("ipc-send: a stdin line over --max-message is refused in bounded memory") {
    TempDir dir;
    write_file(dir / "in", "{\"n\":1}\n\"" + std::string(64 << 20, 'a') + "\"\n{\"n\":2}\n");
    RunResult r;
    long rss = max_rss_kb({ptool_bin(), "spawn", "--ipc", "--stdin", "file:" + dir / "in", "--",
                           ptool_bin(), "ipc-send"},
                          dir, r);
    CHECK(r.status == 2);
    CHECK(r.out == "{\"n\":1}\n");
    CHECK(r.err ==
          "ptool ipc-send: stdin line 2: message of 67108866 bytes is larger than the limit "
          "of 4194304 bytes; dropped\n");
    CHECK(rss < 64 * 1024 + 100 * 1024);  // far below the 64 MiB line plus its parse
    WARN("ipc-send with a 64 MiB stdin line: max RSS " << rss << " KiB");
    r = run_ptool({"ipc-send", "--max-message", "0", "1"});
    CHECK(r.status == 2);
    r = run_ptool({"ipc-send", "--max-message", "", "1"});
    CHECK(r.status == 2);
}

TEST_CASE(
    "spawn --ipc: hostile stdin lines are dropped with their line number and the child goes on") {
    Corpus corpus;
    std::string input = corpus.lines() + "{\"last\":1}";  // no "\n" before EOF
    auto r = run_ptool({"spawn", "--ipc", "--", "node", "-e",
                        "process.on('message', m => process.send({echo: m}))"},
                       input);
    CHECK(r.status == 0);
    CHECK(r.out == "{\"echo\":{\"first\":1}}\n{\"echo\":{\"last\":1}}\n");
    auto err = lines_of(r.err);
    REQUIRE(err.size() == corpus.bad.size());
    for (size_t i = 0; i < err.size(); ++i)
        CHECK(err[i].starts_with("ptool spawn: stdin line " + std::to_string(i + 3) +
                                 ": invalid JSON at line 1, column "));
    check_own_words(r);
}

TEST_CASE(
    "spawn --ipc: hostile child messages are dropped and never relayed raw and the child goes on") {
    Corpus corpus;
    TempDir dir;
    write_file(dir / "msgs", corpus.lines() + "{\"after\":1}\n");
    // The child sends the corpus, then proves it still runs by answering a message.
    std::string script = "cat " + shell_quote(dir / "msgs") +
                         " >&3; read -r line <&3; printf '{\"got\":%s}\\n' \"$line\" >&3; "
                         "printf '{\"cut\":' >&3";  // the last one cut off by the child's exit
    auto run_it = [&](bool json_mode) {
        std::vector<std::string> args = {"spawn", "--ipc"};
        if (json_mode) args.push_back("--json");
        for (auto a : {"--", "sh", "-c"}) args.push_back(a);
        args.push_back(script);
        return run_ptool(args, "[7]\n");
    };
    auto r = run_it(false);
    CHECK(r.status == 0);
    // [7] may be read by the child's `read` before or after the corpus is relayed.
    CHECK(r.out.find("{\"first\":1}\n{\"after\":1}\n") != std::string::npos);
    CHECK(r.out.find("{\"got\":[7]}\n") != std::string::npos);
    check_own_words(r);
    auto err = lines_of(r.err);
    REQUIRE(err.size() == corpus.bad.size() + 1);
    for (const auto& line : err)
        CHECK(line.starts_with("ptool spawn: ipc: message from the child dropped: "));
    CHECK(err.back().ends_with("cut off by the end of the channel (no newline); dropped"));

    // Under --json every diagnostic is an event: stderr is JSON lines only.
    r = run_it(true);
    CHECK(r.status == 0);
    check_own_words(r);
    size_t bad = 0;
    for (const auto& line : lines_of(r.err)) {
        json e = json::parse(line, nullptr, false);
        REQUIRE_FALSE(e.is_discarded());
        if (e["event"] == "bad_message") {
            ++bad;
            CHECK(e["from"] == "child");
            CHECK(e["error"]["message"].is_string());
        }
    }
    CHECK(bad == corpus.bad.size() + 1);
}

TEST_CASE("spawn --ipc --json: a bad stdin line is a bad_message event and not a text line") {
    auto r = run_ptool({"spawn", "--ipc", "--json", "--", "node", "-e",
                        "process.on('message', m => process.send({echo: m}))"},
                       "1e999\n[1]\n");
    CHECK(r.status == 0);
    CHECK(r.out == "{\"echo\":[1]}\n");
    bool seen = false;
    for (const auto& line : lines_of(r.err)) {
        json e = json::parse(line, nullptr, false);
        REQUIRE_FALSE(e.is_discarded());
        if (e["event"] == "bad_message") {
            seen = true;
            e.erase("ts");
            CHECK(e ==
                  json{{"event", "bad_message"},
                       {"from", "stdin"},
                       {"line", 1},
                       {"error",
                        {{"message", "invalid JSON at line 1, column 5: number out of range"}}}});
        }
    }
    CHECK(seen);
}

TEST_CASE("spawn --ipc: a 64 MiB child message is dropped in bounded memory and time") {
    TempDir dir;
    write_file(dir / "big", "\"" + std::string(64 << 20, 'a') + "\"\n{\"after\":1}\n");
    RunResult r;
    auto started = std::chrono::steady_clock::now();
    // cat is the child: its RSS is small, so the figure is ptool's.
    long rss = max_rss_kb({ptool_bin(), "spawn", "--ipc", "--", "sh", "-c",
                           "cat " + shell_quote(dir / "big") + " >&3"},
                          dir, r);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - started)
                  .count();
    CHECK(r.status == 0);
    CHECK(r.out == "{\"after\":1}\n");
    CHECK(r.err ==
          "ptool spawn: ipc: message from the child dropped: message of 67108866 bytes is "
          "larger than the limit of 4194304 bytes; dropped\n");
    CHECK(rss < 64 * 1024 + 100 * 1024);
    WARN("spawn --ipc, 64 MiB child message: " << ms << " ms, max RSS " << rss << " KiB");
    // --max-message moves the limit both ways.
    write_file(dir / "two",
               "\"" + std::string(200, 'a') + "\"\n\"" + std::string(50, 'b') + "\"\n");
    r = run_ptool({"spawn", "--ipc", "--max-message", "100", "--", "sh", "-c",
                   "cat " + shell_quote(dir / "two") + " >&3"});
    CHECK(r.status == 0);
    CHECK(r.out == "\"" + std::string(50, 'b') + "\"\n");
    CHECK(r.err.find("message of 202 bytes is larger than the limit of 100 bytes") !=
          std::string::npos);
    CHECK(run_ptool({"spawn", "--max-message", "8M", "--", "true"}).status == 2);
}

TEST_CASE("fork-cluster: hostile worker messages and control requests never stop the master") {
    // The worker sends the corpus, a message over --max-message, then a good one.
    TempDir dir;
    Corpus corpus;
    write_file(dir / "msgs", "{\"cmd\":\"online\"}\n" + corpus.lines() + "\"" +
                                 std::string(2 << 20, 'b') + "\"\n{\"good\":1}\n");
    // bash, not sh: the channel is fd 100 and dash redirects only fds 0-9.
    std::string script = "cat " + shell_quote(dir / "msgs") + " >&$NODE_CHANNEL_FD; exec sleep 30";
    Master m({"-w", "1", "--max-message", "1M", "--control", "CTL", "--", "bash", "-c", script});
    REQUIRE(m.wait_events("online", 1));
    REQUIRE(m.wait_events("message", 2));  // {"first":1} and {"good":1}
    auto bad = m.events_named("bad_message");
    CHECK(bad.size() == corpus.bad.size() + 1);
    for (const auto& e : bad) {
        std::string why = e["error"]["message"];
        CHECK(why.find("json.exception") == std::string::npos);
    }
    CHECK(bad.back()["error"]["message"] ==
          "message of 2097154 bytes is larger than the limit of 1048576 bytes; dropped");
    CHECK(m.events_named("message").back()["data"] == json{{"good", 1}});
    CHECK(m.events_named("exit").empty());  // the worker lives

    // The control socket: each hostile request gets an {"ok":false} reply in our words.
    for (const auto& req : corpus.bad) {
        json reply = json::parse(control_request(m.ctl(), req, 20s), nullptr, false);
        REQUIRE_FALSE(reply.is_discarded());
        CHECK(reply["ok"] == false);
        std::string why = reply["error"];
        CHECK(why.starts_with("invalid JSON at line 1, column "));
    }
    json reply = json::parse(
        control_request(m.ctl(), "{\"cmd\":\"send\",\"to\":\"all\",\"data\":" + deep_closed() + "}",
                        20s),
        nullptr, false);
    CHECK(reply["ok"] == false);
    CHECK(reply["error"].get<std::string>().ends_with(": nested deeper than 512 levels"));
    CHECK(json::parse(control_request(m.ctl(), R"({"cmd":"status"})", 20s))["ok"] == true);
    CHECK(m.stop() == 0);
}

TEST_CASE(
    "fork-cluster: two flooding workers do not starve the control socket or grow the master") {
    // Each worker floods its channel with Node-internal messages (parsed, then ignored)
    // and, after a while, one line that never ends.
    std::string worker = R"(
import os
fd = int(os.environ['NODE_CHANNEL_FD'])
os.write(fd, b'{"cmd":"online"}\n')
burst = b'{"cmd":"NODE_FLOOD","pad":"' + b'x' * 200 + b'"}\n'
burst *= 256
for _ in range(2000):
    os.write(fd, burst)
os.write(fd, b'"')
chunk = b'y' * 65536
while True:
    os.write(fd, chunk)
)";
    Master m({"-w", "2", "--control", "CTL", "--", kPython, "-c", worker});
    REQUIRE(m.wait_events("online", 2));
    for (int i = 0; i < 3; ++i) {
        auto started = std::chrono::steady_clock::now();
        std::string reply = control_request(m.ctl(), R"({"cmd":"status"})", 20s);
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
        REQUIRE_FALSE(reply.empty());
        CHECK(json::parse(reply)["ok"] == true);
        WARN("status under a two-worker flood answered in " << ms << " ms");
    }
    long hwm = vm_hwm_kb(m.pid());
    WARN("master VmHWM under the flood: " << hwm << " KiB");
    CHECK(hwm < 200 * 1024);
    CHECK(m.stop() == 0);
}
