// The router's fast path for ptool:send (routing.cpp): a worker's line in exactly the shape
// Node's process.send writes, {"cmd":"ptool:send","to":T,"data":D}, is forwarded as D's own
// bytes when they are what json_text would write for D anyway, so a routed payload is
// neither parsed into a tree nor dumped again. Any other line takes the parsing path.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace ptool::cluster {

// True when `text` is one JSON value that json_text(parse_json_text(text)) gives back byte
// for byte: compact, integers of at most 18 digits (not -0), strings in valid UTF-8 with
// only the escapes json_text writes, no key twice in an object, at most 64 levels deep.
// False for anything else, valid JSON or not (the caller then parses).
class CanonicalJson {
public:
    bool check(std::string_view text);

private:
    bool value(int depth);
    bool object(int depth);
    bool array(int depth);
    bool string();
    bool number();
    bool literal(std::string_view word);
    bool utf8();

    std::string_view s_;
    size_t i_ = 0;
    std::vector<std::string_view> keys_;  // the open objects' keys, reused across calls
};

// The "to" and "data" texts of a line {"cmd":"ptool:send","to":"T","data":D} (in that key
// order, no spaces, T without escapes); nullopt for any other line. D is not checked.
struct RawSend {
    std::string_view to;
    std::string_view data;
};
std::optional<RawSend> split_raw_send(std::string_view line);

}  // namespace ptool::cluster
