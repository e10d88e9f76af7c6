// parse_json_text: outside text to JSON without exceptions, depth-bounded (json_text.hpp).
#include "libcommon/core/json_text.hpp"

#include <algorithm>
#include <new>

namespace ptool {

namespace {

using DomBuilder = nlohmann::detail::json_sax_dom_parser<Json>;

// nlohmann's own DOM builder behind a depth check and an error recorder: the SAX
// parser keeps its state on a heap stack, so refusing to open level N+1 bounds
// every later recursion over the value (dump, ==, the destructor's helpers).
class BoundedBuilder {
public:
    BoundedBuilder(Json& result, size_t max_depth) : dom_(result, false), max_(max_depth) {}

    bool null() { return dom_.null(); }
    bool boolean(bool v) { return dom_.boolean(v); }
    bool number_integer(Json::number_integer_t v) { return dom_.number_integer(v); }
    bool number_unsigned(Json::number_unsigned_t v) { return dom_.number_unsigned(v); }
    bool number_float(Json::number_float_t v, const Json::string_t& s) {
        return dom_.number_float(v, s);
    }
    bool string(Json::string_t& v) { return dom_.string(v); }
    bool binary(Json::binary_t& v) { return dom_.binary(v); }
    bool key(Json::string_t& v) { return dom_.key(v); }
    bool start_object(size_t n) { return open() && dom_.start_object(n); }
    bool start_array(size_t n) { return open() && dom_.start_array(n); }
    bool end_object() {
        --depth_;
        return dom_.end_object();
    }
    bool end_array() {
        --depth_;
        return dom_.end_array();
    }
    bool parse_error(size_t position, const std::string&, const nlohmann::detail::exception& e) {
        position_ = position;
        why_ = reason(e);
        return false;
    }

    bool too_deep() const { return too_deep_; }
    size_t position() const { return position_; }
    const std::string& why() const { return why_; }

private:
    bool open() {
        if (++depth_ <= max_) return true;
        too_deep_ = true;
        return false;
    }
    // nlohmann's what() is "[json.exception.parse_error.101] parse error at line 1,
    // column 5: syntax error while parsing value - invalid literal; last read: 'x'".
    // Keep the reason only: the position is ours to word, and "last read" echoes the
    // sender's raw bytes (NULs, invalid UTF-8) into our diagnostics.
    static std::string reason(const nlohmann::detail::exception& e) {
        if (e.id == 406) return "number out of range";
        std::string_view what = e.what();
        if (auto dash = what.find(" - "); dash != std::string_view::npos)
            what.remove_prefix(dash + 3);
        else if (auto colon = what.rfind(": "); colon != std::string_view::npos)
            what.remove_prefix(colon + 2);
        if (auto last = what.find("; last read:"); last != std::string_view::npos)
            what = what.substr(0, last);
        return std::string(what);
    }

    DomBuilder dom_;
    size_t max_;
    size_t depth_ = 0;
    bool too_deep_ = false;
    size_t position_ = 0;
    std::string why_;
};

std::string at(std::string_view text, size_t position, std::string_view why) {
    position = std::min(position, text.size());
    size_t line = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + position, '\n'));
    size_t line_start = text.rfind('\n', position == 0 ? 0 : position - 1);
    size_t column =
        line_start == std::string_view::npos || line == 1 ? position : position - line_start - 1;
    return "at line " + std::to_string(line) + ", column " + std::to_string(column) + ": " +
           std::string(why);
}

}  // namespace

std::string json_error_words(const nlohmann::json::exception& e) {
    std::string_view what = e.what();
    if (what.starts_with("[json.exception.")) {
        auto end = what.find("] ");
        if (end != std::string_view::npos) what.remove_prefix(end + 2);
    }
    return std::string(what);
}

JsonParse parse_json_text(std::string_view text, size_t max_depth) noexcept {
    JsonParse out;
    try {
        if (auto nul = text.find('\0'); nul != std::string_view::npos) {
            out.error = at(text, nul + 1, "NUL byte");
            return out;
        }
        if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
            out.error = at(text, text.size(), "empty message");
            return out;
        }
        Json value;
        BoundedBuilder builder(value, max_depth);
        bool ok = Json::sax_parse(text.begin(), text.end(), &builder);
        if (builder.too_deep()) {
            // The builder refused to open the level: find where, for the position.
            size_t depth = 0, i = 0;
            bool in_string = false, escaped = false;
            for (; i < text.size(); ++i) {
                char c = text[i];
                if (in_string) {
                    if (escaped)
                        escaped = false;
                    else if (c == '\\')
                        escaped = true;
                    else if (c == '"')
                        in_string = false;
                } else if (c == '"') {
                    in_string = true;
                } else if (c == '[' || c == '{') {
                    if (++depth > max_depth) break;
                } else if (c == ']' || c == '}') {
                    --depth;
                }
            }
            out.error =
                at(text, i + 1, "nested deeper than " + std::to_string(max_depth) + " levels");
            return out;
        }
        if (!ok) {
            out.error = at(text, builder.position(), builder.why());
            return out;
        }
        out.value = std::move(value);
    } catch (const std::bad_alloc&) {
        out.value.reset();
        out.error = "at line 1, column 0: out of memory";
    } catch (const std::exception& e) {  // nothing else is known to throw; never let it out
        out.value.reset();
        out.error = "at line 1, column 0: cannot parse";
    }
    return out;
}

}  // namespace ptool
