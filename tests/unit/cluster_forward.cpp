// The router's fast path (tools/fork_cluster/forward.hpp): which ptool:send lines are
// forwarded unparsed, and that a payload it accepts is exactly what json_text writes.
#include "tools/fork_cluster/forward.hpp"

#include <catch2/catch.hpp>
#include <random>
#include <string>

#include "libcommon/core/json.hpp"
#include "libcommon/core/json_text.hpp"

using ptool::cluster::CanonicalJson;
using ptool::cluster::split_raw_send;

namespace {

// What the parsing path would forward for `text` (empty when it does not parse).
std::string written_back(std::string_view text) {
    auto parsed = ptool::parse_json_text(text);
    return parsed ? ptool::json_text(*parsed.value) : std::string();
}

}  // namespace

TEST_CASE("forward: compact JSON that json_text writes back alike is canonical") {
    CanonicalJson canonical;
    for (std::string_view text :
         {R"({"seq":1,"text":"hello"})", R"([])", R"({})", R"([1,-2,0,true,false,null])",
          R"({"a":{"b":[{"c":"d"}]},"e":"\"\\\n\t\r\b\f\u0001\u001f"})",
          "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \x7f\"", R"("/")", R"(123456789012345678)",
          R"({"a":1,"b":{"a":2}})", R"("")"}) {
        INFO(text);
        CHECK(canonical.check(text));
        CHECK(written_back(text) == text);
    }
}

TEST_CASE("forward: anything json_text would write otherwise takes the parsing path") {
    CanonicalJson canonical;
    for (std::string_view text : {R"({"a": 1})",
                                  R"( 1)",
                                  R"(1.5)",
                                  R"(1e3)",
                                  R"(-0)",
                                  R"(01)",
                                  R"(1234567890123456789)",
                                  R"("\/")",
                                  R"("\u0041")",
                                  R"("\u000a")",
                                  R"("\u001F")",
                                  R"("\ud83d\ude00")",
                                  R"({"a":1,"a":2})",
                                  "\"\xc3\"",
                                  "\"\xc0\xaf\"",
                                  "\"\xed\xa0\x80\"",
                                  "\"\xf4\x90\x80\x80\"",
                                  "\"a\x01\"",
                                  R"({"a":1)",
                                  R"([1,])",
                                  R"(tru)",
                                  R"(1 2)",
                                  R"()",
                                  R"(nul)",
                                  R"({"a":1}x)",
                                  R"([-])"}) {
        INFO(text);
        CHECK_FALSE(canonical.check(text));
    }
    std::string deep(65, '['), shallow(64, '[');
    CHECK_FALSE(canonical.check(deep + std::string(65, ']')));
    CHECK(canonical.check(shallow + std::string(64, ']')));
}

TEST_CASE("forward: a key may repeat in different objects but not in one") {
    CanonicalJson canonical;
    CHECK(canonical.check(R"([{"a":1},{"a":2}])"));
    CHECK(canonical.check(R"({"a":{"a":{"a":1}}})"));
    CHECK_FALSE(canonical.check(R"({"a":{"b":1},"a":2})"));
    CHECK(canonical.check(R"({"a":{"b":1},"b":2})"));
}

TEST_CASE("forward: only Node's own ptool:send shape is split") {
    auto raw = split_raw_send(R"({"cmd":"ptool:send","to":"worker:2","data":{"i":1}})");
    REQUIRE(raw);
    CHECK(raw->to == "worker:2");
    CHECK(raw->data == R"({"i":1})");
    for (std::string_view line :
         {R"({"to":"worker:2","cmd":"ptool:send","data":1})",
          R"({"cmd":"ptool:send","to":"worker:2"})",
          R"({"cmd":"ptool:send","to":"wor\u006ber:2","data":1})",
          R"({"cmd": "ptool:send","to":"worker:2","data":1})",
          R"({"cmd":"ptool:send","to":2,"data":1})", R"({"cmd":"online"})"}) {
        INFO(line);
        CHECK_FALSE(split_raw_send(line));
    }
    // Keys after data make the payload text more than one value: the check refuses it.
    raw = split_raw_send(R"({"cmd":"ptool:send","to":"all","data":1,"act":"suicide"})");
    REQUIRE(raw);
    CHECK_FALSE(CanonicalJson().check(raw->data));
}

TEST_CASE("forward: whatever the check accepts, json_text writes back byte for byte") {
    // Random texts from pieces of JSON, valid or not; some thousands pass the check.
    static const std::string pieces[] = {
        "{", "}",     "[",        "]",     "\"",           ",",    ":",   "0",       "1",
        "9", "-",     "true",     "false", "null",         "\\",   "\\n", "\\u0001", "\\u00",
        "a", "\"a\"", "\xc3\xa9", "\xc3",  "\xe2\x82\xac", "\x7f", " ",   "\"k\":",  "1.5",
        "e"};
    CanonicalJson canonical;
    std::mt19937 rng(7);
    int accepted = 0;
    for (int n = 0; n < 30000; ++n) {
        std::string text;
        for (int k = 0, len = 1 + static_cast<int>(rng() % 12); k < len; ++k)
            text += pieces[rng() % std::size(pieces)];
        if (!canonical.check(text)) continue;
        ++accepted;
        INFO(text);
        CHECK(written_back(text) == text);
    }
    CHECK(accepted > 100);
}
