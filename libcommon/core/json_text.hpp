// The one way text from outside becomes JSON: an IPC line from a worker or child,
// a control-socket request, a stdin line for ipc-send or spawn --ipc. Parsing
// cannot throw and cannot recurse without bound, so a hostile text costs its
// sender that one message and never the caller's loop:
//   - nesting deeper than kMaxJsonDepth is refused while parsing (dump() and
//     the comparison operators recurse; the parser itself does not);
//   - a number that does not fit a double (1e999) is an error, not an exception;
//   - a NUL byte anywhere is an error (nlohmann stops reading at one, which
//     would let "[1]\0junk" through as [1] and relay the NUL);
//   - invalid UTF-8 is an error, as JSON requires.
// Errors are worded in ptool's terms: "at line L, column C: WHY", never a
// library's exception text.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "libcommon/core/json.hpp"

namespace ptool {

// As deep as any real message nests and far below what dump() can recurse through
// (Python's json and Node's JSON.parse stop at about 1000).
inline constexpr size_t kMaxJsonDepth = 512;

struct JsonParse {
    std::optional<Json> value;  // set on success
    std::string error;          // otherwise: "at line L, column C: WHY"
    explicit operator bool() const { return value.has_value(); }
};

// Parses `text` as exactly one JSON text (surrounding whitespace allowed).
JsonParse parse_json_text(std::string_view text, size_t max_depth = kMaxJsonDepth) noexcept;

// A JSON library exception (a message of the wrong shape: type_error, out_of_range)
// in ptool's words: its what() without the "[json.exception.type_error.302] " tag.
std::string json_error_words(const nlohmann::json::exception& e);

}  // namespace ptool
