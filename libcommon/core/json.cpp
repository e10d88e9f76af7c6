// The one JSON serialisation (see json.hpp): every dump in ptool happens here.
#include "libcommon/core/json.hpp"

namespace ptool {

namespace {
template <class J>
std::string dump_compact(const J& value) {
    return value.dump(-1, ' ', false, J::error_handler_t::replace);
}
}  // namespace

std::string json_text(const Json& value) {
    return dump_compact(value);
}

std::string json_text(const nlohmann::json& value) {
    return dump_compact(value);
}

std::string json_line(const Json& value) {
    std::string line = dump_compact(value);
    line += '\n';
    return line;
}

void append_json_line(std::string& out, const Json& value) {
    out += dump_compact(value);
    out += '\n';
}

Json error_json(std::string_view message, int errnum) {
    Json error{{"message", message}};
    if (errnum != 0) error["errno"] = errnum;
    return error;
}

}  // namespace ptool
