// fork-cluster's control-request handler (libcommon/cluster_control) without a master:
// the {cmd -> handler} table, and replies in ptool's words whatever the line holds.
#include "libcommon/cluster_control.hpp"

#include <signal.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <stdexcept>

using namespace ptool;

namespace {

class FakeMaster final : public ControlActions {
public:
    IpcJson status() override {
        if (throw_in_status) throw std::out_of_range("[json.exception.out_of_range.406] boom");
        return IpcJson{{"ok", true}, {"workers", workers}};
    }
    bool shutting_down() const override { return stopping; }
    void reload() override { ++reloads; }
    int scale(int n) override { return workers = n; }
    int send(const RouteTarget& target, const IpcJson&, int) override {
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

IpcJson ask(FakeMaster& m, std::string line) {
    IpcChannel channel;
    channel.set_auto_flush(false);
    return answer_control_message(channel, IpcMessage{std::move(line), {}}, m);
}

std::string error_of(const IpcJson& reply) {
    REQUIRE(reply.is_object());
    REQUIRE(reply["ok"] == false);
    return reply["error"].get<std::string>();
}

}  // namespace

TEST_CASE("control requests reach their handlers") {
    FakeMaster m;
    CHECK(ask(m, R"({"cmd":"status"})") == IpcJson{{"ok", true}, {"workers", 1}});
    CHECK(ask(m, R"({"cmd":"scale","workers":3})") == IpcJson{{"ok", true}, {"workers", 3}});
    CHECK(ask(m, R"({"cmd":"reload"})") == IpcJson{{"ok", true}});
    CHECK(m.reloads == 1);
    CHECK(ask(m, R"({"cmd":"send","to":"worker:2","data":1})") ==
          IpcJson{{"ok", true}, {"delivered", 2}});
    CHECK(m.last_target.kind == RouteTarget::Kind::worker_id);
    CHECK(error_of(ask(m, R"({"cmd":"send","to":"agent"})")) == "no process matches 'agent'");
    CHECK(ask(m, R"({"cmd":"stop"})") == IpcJson{{"ok", true}});
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
        IpcJson reply = ask(m, line);
        std::string error = error_of(reply);
        CHECK(!error.empty());
        CHECK(error.find("json.exception") == std::string::npos);
        CHECK(error.size() < 400);
        CHECK_NOTHROW(reply.dump());  // strict UTF-8
    }
    CHECK(error_of(ask(m, R"({"cmd":"dance"})")) == "unknown cmd 'dance'");
    CHECK(error_of(ask(m, "{\"cmd\":\"d\xffnce\"}")).find("\\xff") != std::string::npos);
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
    CHECK_FALSE(nests_deeper_than(IpcJson::parse("[[1]]"), 2));
    CHECK(nests_deeper_than(IpcJson::parse("[[[1]]]"), 2));
    CHECK(nests_deeper_than(IpcJson::parse(R"({"a":{"b":[{}]}})"), 2));
    IpcJson deep = IpcJson::parse(std::string(100000, '[') + std::string(100000, ']'));
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
