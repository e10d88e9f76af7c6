// The one JSON type every tool and the IPC channel use, and the one way a value
// becomes text: compact, keys in the order written, invalid UTF-8 replaced by
// U+FFFD (a dump must never throw on a child's bytes). Event lines, --json output
// and IPC messages all go through json_text/json_line, so they look alike.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace ptool {

// Keys stay in the order given (events and replies read in that order).
using Json = nlohmann::ordered_json;

// `value` as one line of compact JSON, without a line end.
std::string json_text(const Json& value);
// The same for nlohmann's sorted-key type (a caller that built one: key order sorted).
std::string json_text(const nlohmann::json& value);
// json_text(value) + "\n".
std::string json_line(const Json& value);
// Appends json_text(value) and "\n" to `out` (hot loops reuse one string).
void append_json_line(std::string& out, const Json& value);

// The one shape of an error in --json output (man ptool(1), JSON OUTPUT):
// {"message": TEXT}, plus "errno": N (errno(3)'s number) when a system call failed.
Json error_json(std::string_view message, int errnum = 0);

}  // namespace ptool
