// Every --json stream against its schema in schemas/ (man ptool(1), JSON OUTPUT): each
// subcommand's output, including its error and bad-message lines, is checked line by
// line with python3-jsonschema (schemas/validate), so a field renamed or retyped in one
// tool shows here.
#include <signal.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "cluster_harness.hpp"
#include "test_support.hpp"

using namespace ptool::test;

namespace {

// Validates `text` (JSON lines, or one document) against schemas/NAME.schema.json.
void check_schema(const std::string& name, const std::string& text, bool document = false) {
    TempDir dir;
    write_file(dir / "output", text);
    std::vector<std::string> argv = {"python3", source_dir() + "/schemas/validate",
                                     name + ".schema.json", dir / "output"};
    if (document) argv.push_back("--document");
    auto r = run(argv);
    INFO(name << ":\n" << text << r.err);
    CHECK(r.status == 0);
}

// Whether `ptool CMD --help` mentions `option` (a stream another change is adding).
bool offers(const std::string& cmd, const std::string& option) {
    return run_ptool({cmd, "--help"}).out.find(option) != std::string::npos;
}

}  // namespace

TEST_CASE("spawn --json events follow spawn-events.schema.json") {
    auto ok = run_ptool({"spawn", "--json", "--", "sh", "-c", "exit 3"});
    CHECK(ok.status == 3);
    check_schema("spawn-events", ok.err);
    auto killed = run_ptool({"spawn", "--json", "--", "sh", "-c", "kill -TERM $$"});
    check_schema("spawn-events", killed.err);
    auto missing = run_ptool({"spawn", "--json", "--", "ptool-nosuch-program"});
    CHECK(missing.status == 127);
    // The error event is followed by main's text line today (spawn's own change to make).
    check_schema("spawn-events", missing.err.substr(0, missing.err.find('\n') + 1));
    auto bad = run_ptool({"spawn", "--ipc", "--json", "--", "node", "-e",
                          "process.on('message', m => process.send({echo: m}))"},
                         "1e999\n[1]\n");
    CHECK(bad.err.find("bad_message") != std::string::npos);
    check_schema("spawn-events", bad.err);
}

TEST_CASE("every event line carries ts right after event, in RFC 3339 UTC with ms") {
    auto r = run_ptool({"spawn", "--json", "--", "true"});
    std::istringstream in(r.err);
    for (std::string line; std::getline(in, line);) {
        INFO(line);
        CHECK(line.rfind("{\"event\":", 0) == 0);
        auto e = nlohmann::ordered_json::parse(line);
        REQUIRE(e.size() >= 2);
        CHECK(std::next(e.begin()).key() == "ts");
        std::string ts = e["ts"];
        CHECK(ts.size() == 24);
        CHECK(ts.back() == 'Z');
    }
}

TEST_CASE("exec --json results follow exec-result.schema.json") {
    check_schema("exec-result", run_ptool({"exec", "--json", "echo hi; echo err >&2"}).out);
    check_schema("exec-result", run_ptool({"exec", "--json", "kill -KILL $$"}).out);
    check_schema("exec-result",
                 run_ptool({"exec", "--json", "--file", "ptool-nosuch-program"}).out);
}

TEST_CASE("fork-cluster --json events and the status reply follow their schemas") {
    cluster_test::Master m(
        {"-w", "2", "--ready", "exec", "--listen", "127.0.0.1:0", "--control", "CTL", "--", "bash",
         "-c",
         "\"$PTOOL\" ipc-send '{\"hello\":1}'; printf '{\\n' >&$NODE_CHANNEL_FD; "
         "exec sleep 30"});
    REQUIRE(m.wait_events("online", 2));
    REQUIRE(m.wait_events("message", 2));
    REQUIRE(m.wait_events("bad_message", 2));
    auto status = run_ptool({"ipc-send", "--socket", m.ctl(), "{\"cmd\":\"status\"}"});
    CHECK(status.status == 0);
    check_schema("fork-cluster-status", status.out);
    check_schema("ipc-send", status.out);
    auto refused = run_ptool({"ipc-send", "--socket", m.ctl(), "{\"cmd\":\"dance\"}"});
    check_schema("ipc-send", refused.out);
    CHECK(m.stop() == 0);
    check_schema("fork-cluster-events", read_file(m.dir() / "events.jsonl"));
}

TEST_CASE("hashfile --json records follow hashfile.schema.json") {
    TempDir dir;
    write_file(dir / "a", "hello\n");
    write_file(dir / "b", "");
    auto r = run_ptool({"hashfile", "--json", "-a", "sha256", "-a", "blake3", "-a", "xxh64",
                        dir / "a", dir / "b"});
    CHECK(r.status == 0);
    check_schema("hashfile", r.out);
}

TEST_CASE("hashfile -c --json records follow hashfile-check.schema.json") {
    TempDir dir;
    write_file(dir / "a", "hello\n");
    auto sums = run_ptool({"hashfile", "-a", "sha256", dir / "a"}).out;
    write_file(dir / "sums", sums + std::string(64, '0') + "  " + (dir / "gone") + "\n");
    auto r = run_ptool({"hashfile", "-c", "--json", dir / "sums"});
    if (r.status == 2) {
        WARN("hashfile -c --json not available in this build: " << r.err);
        return;
    }
    check_schema("hashfile-check", r.out);
}

TEST_CASE("pstree --json follows pstree.schema.json") {
    auto one = run_ptool({"pstree", "--json", std::to_string(::getpid())});
    CHECK(one.status == 0);
    check_schema("pstree", one.out, true);
    auto user = run_ptool({"pstree", "--json", "root"});
    CHECK(user.status == 0);
    check_schema("pstree", user.out, true);
}

TEST_CASE("bufdump -f json follows bufdump-json.schema.json") {
    auto r = run_ptool({"bufdump", "-f", "json"}, std::string("\x00\x7f\xff hi", 6));
    CHECK(r.status == 0);
    check_schema("bufdump-json", r.out, true);
}

TEST_CASE("daemonize --json results follow daemonize.schema.json") {
    if (!offers("daemonize", "--json")) {
        WARN("daemonize --json not available in this build");
        return;
    }
    TempDir dir;
    auto start =
        run_ptool({"daemonize", "--json", "--pidfile", dir / "d.pid", "--", "sleep", "30"});
    CHECK(start.status == 0);
    auto status = run_ptool({"daemonize", "--json", "--status", "--pidfile", dir / "d.pid"});
    auto stop = run_ptool({"daemonize", "--json", "--stop", "--pidfile", dir / "d.pid"});
    CHECK(stop.status == 0);
    for (const auto* r : {&start, &status, &stop})
        if (!r->out.empty()) check_schema("daemonize", r->out);
}
