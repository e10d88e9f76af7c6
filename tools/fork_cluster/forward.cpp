// The canonical-JSON check and envelope split behind the router's fast path (forward.hpp).
#include "tools/fork_cluster/forward.hpp"

#include <algorithm>

namespace ptool::cluster {

namespace {

constexpr int kMaxDepth = 64;
constexpr size_t kMaxKeys = 64;  // per object: the duplicate check stays cheap

int lower_hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

}  // namespace

bool CanonicalJson::check(std::string_view text) {
    s_ = text;
    i_ = 0;
    keys_.clear();
    return value(0) && i_ == s_.size();
}

bool CanonicalJson::value(int depth) {
    if (i_ >= s_.size()) return false;
    switch (s_[i_]) {
        case '{': return object(depth + 1);
        case '[': return array(depth + 1);
        case '"': return string();
        case 't': return literal("true");
        case 'f': return literal("false");
        case 'n': return literal("null");
        default: return number();
    }
}

bool CanonicalJson::object(int depth) {
    if (depth > kMaxDepth) return false;
    ++i_;
    if (i_ < s_.size() && s_[i_] == '}') {
        ++i_;
        return true;
    }
    size_t first = keys_.size();
    for (;;) {
        size_t start = i_;
        if (i_ >= s_.size() || s_[i_] != '"' || !string()) return false;
        std::string_view key = s_.substr(start, i_ - start);  // escapes are canonical: raw compares
        if (keys_.size() - first >= kMaxKeys ||
            std::find(keys_.begin() + static_cast<long>(first), keys_.end(), key) != keys_.end())
            return false;
        keys_.push_back(key);
        if (i_ >= s_.size() || s_[i_++] != ':' || !value(depth)) return false;
        if (i_ >= s_.size()) return false;
        char c = s_[i_++];
        if (c == '}') break;
        if (c != ',') return false;
    }
    keys_.resize(first);
    return true;
}

bool CanonicalJson::array(int depth) {
    if (depth > kMaxDepth) return false;
    ++i_;
    if (i_ < s_.size() && s_[i_] == ']') {
        ++i_;
        return true;
    }
    for (;;) {
        if (!value(depth) || i_ >= s_.size()) return false;
        char c = s_[i_++];
        if (c == ']') return true;
        if (c != ',') return false;
    }
}

// json_text escapes " and \ and the control characters (\b \t \n \f \r, the others as
// \u00xx in lower case) and writes everything else as it is, UTF-8 included.
bool CanonicalJson::string() {
    ++i_;
    while (i_ < s_.size()) {
        auto c = static_cast<unsigned char>(s_[i_]);
        if (c == '"') {
            ++i_;
            return true;
        }
        if (c < 0x20) return false;
        if (c >= 0x80) {
            if (!utf8()) return false;
            continue;
        }
        ++i_;
        if (c != '\\') continue;
        if (i_ >= s_.size()) return false;
        char e = s_[i_++];
        if (e == '"' || e == '\\' || e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't')
            continue;
        if (e != 'u' || i_ + 4 > s_.size() || s_[i_] != '0' || s_[i_ + 1] != '0') return false;
        int hi = lower_hex(s_[i_ + 2]), lo = lower_hex(s_[i_ + 3]);
        int code = hi * 16 + lo;
        if (hi < 0 || hi > 1 || lo < 0 || code == '\b' || code == '\t' || code == '\n' ||
            code == '\f' || code == '\r')
            return false;
        i_ += 4;
    }
    return false;
}

// One UTF-8 sequence as RFC 3629 allows (no overlong forms, no surrogates, <= U+10FFFF).
bool CanonicalJson::utf8() {
    auto at = [&](size_t k) {
        return i_ + k < s_.size() ? static_cast<unsigned char>(s_[i_ + k]) : 0u;
    };
    unsigned c = at(0);
    size_t n;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    else
        return false;
    if (at(1) < lo || at(1) > hi) return false;
    for (size_t k = 2; k < n; ++k)
        if (at(k) < 0x80 || at(k) > 0xBF) return false;
    i_ += n;
    return true;
}

// Integers only (a fraction or exponent may be written back otherwise), up to 18 digits
// so that they fit a 64-bit integer, and not -0 (written back as 0).
bool CanonicalJson::number() {
    size_t start = i_;
    if (s_[i_] == '-') ++i_;
    size_t digits = i_;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
    size_t n = i_ - digits;
    if (n == 0 || n > 18 || (n > 1 && s_[digits] == '0')) return false;
    if (n == 1 && s_[digits] == '0' && digits != start) return false;
    return i_ >= s_.size() || (s_[i_] != '.' && s_[i_] != 'e' && s_[i_] != 'E');
}

bool CanonicalJson::literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
}

std::optional<RawSend> split_raw_send(std::string_view line) {
    constexpr std::string_view head = R"({"cmd":"ptool:send","to":")";
    constexpr std::string_view middle = R"(","data":)";
    if (!line.starts_with(head) || !line.ends_with('}')) return std::nullopt;
    line.remove_prefix(head.size());
    size_t end = 0;
    while (end < line.size() && line[end] != '"') {
        auto c = static_cast<unsigned char>(line[end]);
        if (c < 0x20 || c >= 0x80 || c == '\\') return std::nullopt;
        ++end;
    }
    std::string_view to = line.substr(0, end);
    line.remove_prefix(end);
    if (!line.starts_with(middle)) return std::nullopt;
    line.remove_prefix(middle.size());
    line.remove_suffix(1);
    return RawSend{to, line};
}

}  // namespace ptool::cluster
