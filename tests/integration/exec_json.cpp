// The one JSON shape (man/ptool.1, JSON OUTPUT) in exec and spawn: exec --json has
// the pid and the resource figures spawn's exit event has, "error" is an object
// {"message", "errno"?} in both, and spawn's error event names the status "code".
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "test_support.hpp"

using namespace ptool::test;
using nlohmann::json;

TEST_CASE("exec --json gives pid, user_ms, sys_ms and max_rss_kb as spawn's exit event does") {
    auto r = run_ptool({"exec", "--json", "echo $$"});
    REQUIRE(r.status == 0);
    auto j = json::parse(r.out);
    CHECK(j["pid"].is_number_integer());
    CHECK(j["stdout"] == std::to_string(j["pid"].get<long>()) + "\n");
    for (const char* key : {"user_ms", "sys_ms", "max_rss_kb"}) {
        CAPTURE(key);
        CHECK(j[key].is_number_integer());
        CHECK(j[key].get<long>() >= 0);
    }
    CHECK(j["max_rss_kb"].get<long>() > 0);
    CHECK(j["error"].is_null());
}

TEST_CASE("exec --json error is an object with the message, and errno when a call failed") {
    auto r = run_ptool({"exec", "--json", "exit 3"});
    CHECK(r.status == 3);
    auto j = json::parse(r.out);
    CHECK(j["error"] == json{{"message", "Command failed: exit 3"}});

    r = run_ptool({"exec", "--json", "--file", "ptool-nosuch-program"});
    CHECK(r.status == 127);
    j = json::parse(r.out);
    CHECK(j["error"]["message"] == "ptool-nosuch-program: No such file or directory");
    CHECK(j["error"]["errno"] == 2);  // ENOENT
    CHECK(j["pid"].is_null());
    CHECK(j["user_ms"].is_null());
}

TEST_CASE("spawn --json error event says code and carries the error as an object") {
    auto r = run_ptool({"spawn", "--json", "--", "ptool-nosuch-program"});
    CHECK(r.status == 127);
    std::istringstream lines(r.err);
    std::string first;
    std::getline(lines, first);
    auto e = json::parse(first);
    CHECK(e["event"] == "error");
    CHECK(e["code"] == 127);
    CHECK_FALSE(e.contains("exit_code"));
    CHECK(e["error"]["message"] == "ptool-nosuch-program: No such file or directory");
    CHECK(e["error"]["errno"] == 2);
}

TEST_CASE("exec --encoding takes any case and Node's aliases, and names the words it takes") {
    for (const char* name : {"UTF8", "utf-8", "Utf-8"}) {
        CAPTURE(name);
        auto r = run_ptool({"exec", "--json", "--encoding", name, "printf hi"});
        CHECK(r.status == 0);
        CHECK(json::parse(r.out)["stdout"] == "hi");
    }
    auto hex = run_ptool({"exec", "--json", "--encoding", "HEX", "printf hi"});
    CHECK(json::parse(hex.out)["stdout"] == "6869");
    auto b64 = run_ptool({"exec", "--json", "--encoding", "Base64", "printf hi"});
    CHECK(json::parse(b64.out)["stdout"] == "aGk=");
    auto bad = run_ptool({"exec", "--json", "--encoding", "xxd", "printf hi"});
    CHECK(bad.status == 2);
    CHECK(bad.err == "ptool exec: --encoding: expected utf8, hex or base64, got 'xxd'\n");
}
