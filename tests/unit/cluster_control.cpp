// fork-cluster's control-request handler (libcommon/cluster_control) without a master:
// the {cmd -> handler} table, and replies in ptool's words whatever the line holds.
#include "tools/fork_cluster/cluster_control.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <stdexcept>

#include "libcommon/core/output.hpp"

using namespace ptool;

namespace {

class FakeMaster final : public ControlActions {
public:
    Json status() override {
        if (throw_in_status) throw std::out_of_range("[json.exception.out_of_range.406] boom");
        return Json{{"ok", true}, {"workers", workers}};
    }
    bool shutting_down() const override { return stopping; }
    void reload() override { ++reloads; }
    int scale(int n) override { return workers = n; }
    int send(const RouteTarget& target, const Json&, int) override {
        last_target = target;
        return target.kind == RouteTarget::Kind::agent ? 0 : 2;
    }
    void stop() override { stopping = true; }

    int workers = 1;
    int reloads = 0;
    bool stopping = false;
    bool throw_in_status = false;
    RouteTarget last_target;
};

Json ask(FakeMaster& m, std::string line) {
    IpcChannel channel;
    channel.set_auto_flush(false);
    return answer_control_message(channel, IpcMessage{std::move(line), {}}, m);
}

std::string error_of(const Json& reply) {
    REQUIRE(reply.is_object());
    REQUIRE(reply["ok"] == false);
    return reply["error"].get<std::string>();
}

}  // namespace

TEST_CASE("control requests reach their handlers") {
    FakeMaster m;
    CHECK(ask(m, R"({"cmd":"status"})") == Json{{"ok", true}, {"workers", 1}});
    CHECK(ask(m, R"({"cmd":"scale","workers":3})") == Json{{"ok", true}, {"workers", 3}});
    CHECK(ask(m, R"({"cmd":"reload"})") == Json{{"ok", true}});
    CHECK(m.reloads == 1);
    CHECK(ask(m, R"({"cmd":"send","to":"worker:2","data":1})") ==
          Json{{"ok", true}, {"delivered", 2}});
    CHECK(m.last_target.kind == RouteTarget::Kind::worker_id);
    CHECK(error_of(ask(m, R"({"cmd":"send","to":"agent"})")) == "no process matches 'agent'");
    CHECK(ask(m, R"({"cmd":"stop"})") == Json{{"ok", true}});
    CHECK(error_of(ask(m, R"({"cmd":"reload"})")) == "shutting down");
    CHECK(ask(m, R"({"cmd":"status"})")["ok"] == true);  // still served while stopping
}

TEST_CASE("control requests that are not usable get an error in ptool's words") {
    FakeMaster m;
    const std::vector<std::string> corpus = {
        "1e999",
        "-1e999",
        "{nope",
        std::string(100000, '['),
        std::string(100000, '[') + std::string(100000, ']'),
        R"({"cmd":"send","to":"master","data":)" + std::string(600, '[') + std::string(600, ']') +
            "}",
        "{\"cmd\":\"\xff\xfe\"}",
        "\"\xc3\"",
        std::string("\0\0", 2),
        R"({"cmd":"scale","workers":1e999})",
        R"({"cmd":"scale","workers":5000})",
        R"({"cmd":"scale","workers":1.5})",
        R"({"cmd":"send","to":7})",
        R"({"cmd":"send","to":"pid:-1"})",
        R"({"cmd":"NODE_HANDLE_ACK"})",
        R"([1,2])",
        R"({"cmd":"dance"})",
    };
    for (const auto& line : corpus) {
        INFO(line.substr(0, 60));
        Json reply = ask(m, line);
        std::string error = error_of(reply);
        CHECK(!error.empty());
        CHECK(error.find("json.exception") == std::string::npos);
        CHECK(error.size() < 400);
        CHECK_NOTHROW(reply.dump());  // strict UTF-8
    }
    CHECK(error_of(ask(m, R"({"cmd":"dance"})")) == "unknown cmd 'dance'");
    // Invalid UTF-8 is refused by the parser, with its position.
    CHECK(error_of(ask(m, "{\"cmd\":\"d\xffnce\"}")).find("column") != std::string::npos);
    CHECK(m.workers == 1);
}

TEST_CASE("a handler that throws becomes an error reply, not an escape") {
    FakeMaster m;
    m.throw_in_status = true;
    CHECK(error_of(ask(m, R"({"cmd":"status"})")) == "internal error while handling the request");
}

TEST_CASE("printable_excerpt keeps UTF-8, escapes the rest and cuts long text") {
    CHECK(printable_excerpt("caf\xc3\xa9") == "caf\xc3\xa9");
    CHECK(printable_excerpt("a\xff\x01z") == "a\\xff\\x01z");
    CHECK(printable_excerpt("\xed\xa0\x80") == "\\xed\\xa0\\x80");  // a surrogate
    CHECK(printable_excerpt(std::string(100, 'x')) == std::string(64, 'x') + "...");
    CHECK(ipc_error_words("[json.exception.parse_error.101] parse error: x") == "parse error: x");
}

TEST_CASE("nests_deeper_than counts levels without recursion") {
    CHECK_FALSE(nests_deeper_than(Json::parse("[[1]]"), 2));
    CHECK(nests_deeper_than(Json::parse("[[[1]]]"), 2));
    CHECK(nests_deeper_than(Json::parse(R"({"a":{"b":[{}]}})"), 2));
    Json deep = Json::parse(std::string(100000, '[') + std::string(100000, ']'));
    CHECK(nests_deeper_than(deep, kMaxMessageDepth));
}

TEST_CASE("the master forwards every catchable signal it gives no meaning") {
    auto sigs = cluster_forwarded_signals();
    for (int s : {SIGUSR1, SIGUSR2, SIGALRM, SIGWINCH, SIGCONT, SIGRTMIN, SIGRTMAX})
        CHECK(std::count(sigs.begin(), sigs.end(), s) == 1);
    for (int s : {SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGTTIN, SIGTTOU, SIGCHLD, SIGKILL, SIGSTOP,
                  SIGSEGV, SIGPIPE, SIGXFSZ})
        CHECK(std::count(sigs.begin(), sigs.end(), s) == 0);
}

TEST_CASE("split_simple_command executes plain commands directly") {
    using V = std::vector<std::string>;
    CHECK(split_simple_command("node agent.js") == V{"node", "agent.js"});
    CHECK(split_simple_command("exec node  'my agent.js' \"a b\" c\\ d --x=1") ==
          V{"node", "my agent.js", "a b", "c d", "--x=1"});
    for (const char* shell : {"a && b", "a; b", "a | b", "a > f", "$X", "a `b`", "A=1 node", "a *",
                              "'open", "exec", ""})
        CHECK_FALSE(split_simple_command(shell));
}

TEST_CASE("EventWriter never blocks on a full pipe and reports what it dropped") {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    std::string line(1000, 'x');
    line += '\n';
    size_t dropped;
    {
        EventWriter w(fds[1], 8 * 1024,
                      [](size_t n) { return "dropped " + std::to_string(n) + "\n"; });
        REQUIRE(w.poll_fd() >= 0);
        for (int i = 0; i < 200; ++i) w.write_line(line);  // 200 KB into a 64 KiB pipe: no wait
        dropped = w.dropped_total();
        CHECK(dropped > 0);
        CHECK(w.buffered() <= 8 * 1024 + line.size());
        CHECK(w.wants_write());
        // Drain the pipe, then the writer catches up and says how many lines it lost.
        fcntl(fds[0], F_SETFL, O_NONBLOCK);
        std::string got;
        char buf[65536];
        for (int round = 0; round < 100 && got.find("dropped") == std::string::npos; ++round) {
            for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;)
                got.append(buf, static_cast<size_t>(n));
            w.flush();
        }
        for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;)
            got.append(buf, static_cast<size_t>(n));
        CHECK(got.find("dropped " + std::to_string(dropped) + "\n") != std::string::npos);
        size_t whole = std::count(got.begin(), got.end(), '\n');
        CHECK(whole == 200 - dropped + 1);  // whole lines only, then the notice
        CHECK_FALSE(w.wants_write());
        // The pipe's own file description stays blocking for everyone else.
        CHECK((fcntl(fds[1], F_GETFL) & O_NONBLOCK) == 0);
    }
    close(fds[0]);
    close(fds[1]);
}
