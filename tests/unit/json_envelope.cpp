// The JSON envelope every event line gets from EventStream (man ptool(1), JSON OUTPUT):
// "ts" right after "event" in RFC 3339 UTC with milliseconds, "error" as an object.
#include <catch2/catch.hpp>

#include "libcommon/core/events.hpp"
#include "libcommon/core/json.hpp"

using namespace ptool;
using std::chrono::milliseconds;
using std::chrono::system_clock;

namespace {
const system_clock::time_point kWhen{milliseconds(1764617400123)};  // 2025-12-01T19:30:00.123Z
}

TEST_CASE("rfc3339_ms writes UTC with exactly three fraction digits") {
    CHECK(rfc3339_ms(kWhen) == "2025-12-01T19:30:00.123Z");
    CHECK(rfc3339_ms(system_clock::time_point{}) == "1970-01-01T00:00:00.000Z");
    CHECK(rfc3339_ms(system_clock::time_point{milliseconds(-1)}) == "1969-12-31T23:59:59.999Z");
}

TEST_CASE("an event line has ts right after event") {
    Json event{{"event", "exit"}, {"pid", 7}, {"code", 0}};
    CHECK(event_line(EventForm::json, event, "", kWhen) ==
          "{\"event\":\"exit\",\"ts\":\"2025-12-01T19:30:00.123Z\",\"pid\":7,\"code\":0}\n");
    CHECK(event_line(EventForm::json, Json{{"event", "reload"}}, "", kWhen) ==
          "{\"event\":\"reload\",\"ts\":\"2025-12-01T19:30:00.123Z\"}\n");
}

TEST_CASE("an object without a leading event gets ts last and one with ts keeps its own") {
    CHECK(event_line(EventForm::json, Json{{"pid", 1}}, "", kWhen) ==
          "{\"pid\":1,\"ts\":\"2025-12-01T19:30:00.123Z\"}\n");
    CHECK(event_line(EventForm::json, Json::object(), "", kWhen) ==
          "{\"ts\":\"2025-12-01T19:30:00.123Z\"}\n");
    CHECK(event_line(EventForm::json, Json{{"event", "x"}, {"ts", "then"}}, "", kWhen) ==
          "{\"event\":\"x\",\"ts\":\"then\"}\n");
}

TEST_CASE("an event's text error becomes a message object and an error object is kept") {
    Json text{{"event", "error"}, {"error", "boom"}, {"code", 125}};
    CHECK(event_line(EventForm::json, text, "", kWhen) ==
          "{\"event\":\"error\",\"ts\":\"2025-12-01T19:30:00.123Z\",\"error\":{\"message\":"
          "\"boom\"},\"code\":125}\n");
    Json object{{"event", "error"}, {"error", error_json("open: No such file", 2)}};
    CHECK(event_line(EventForm::json, object, "", kWhen) ==
          "{\"event\":\"error\",\"ts\":\"2025-12-01T19:30:00.123Z\",\"error\":{\"message\":"
          "\"open: No such file\",\"errno\":2}}\n");
}

TEST_CASE("error_json has errno only when one is given") {
    CHECK(json_text(error_json("bad")) == "{\"message\":\"bad\"}");
    CHECK(json_text(error_json("gone", 2)) == "{\"message\":\"gone\",\"errno\":2}");
}

TEST_CASE("an event's key with bytes that are not UTF-8 still gets its ts in place") {
    Json event{{"event", "message"}, {"data", std::string("\xff", 1)}};
    CHECK(
        event_line(EventForm::json, event, "", kWhen) ==
        "{\"event\":\"message\",\"ts\":\"2025-12-01T19:30:00.123Z\",\"data\":\"\xef\xbf\xbd\"}\n");
}
