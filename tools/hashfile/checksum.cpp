// Writing and reading GNU, BSD, b3sum and xxhsum checksum lines (checksum.hpp).
#include "tools/hashfile/checksum.hpp"

#include <array>
#include <cstdio>

namespace ptool {

namespace {

bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

bool is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Exactly `n` hex digits, then the end of the text or a NUL (coreutils' hex_digits).
bool hex_digits(std::string_view s, size_t n) {
    if (s.size() < n) return false;
    for (size_t i = 0; i < n; ++i)
        if (!is_hex(s[i])) return false;
    return s.size() == n || s[n] == '\0';
}

}  // namespace

std::optional<std::string> unescape_name(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '\0') return std::nullopt;
        if (c != '\\') {
            out += c;
            continue;
        }
        if (++i == s.size()) return std::nullopt;
        switch (s[i]) {
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case '\\': out += '\\'; break;
            default: return std::nullopt;
        }
    }
    return out;
}

namespace {

// A name read raw is a C string in coreutils: it ends at the first NUL.
std::string c_string(std::string_view s) {
    return std::string(s.substr(0, s.find('\0')));
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// cksum's "CRC SIZE NAME": the CRC as 8 hex digits and the name, or nullopt.
std::optional<std::pair<std::string, std::string_view>> split_cksum_line(std::string_view s) {
    size_t i = 0;
    uint64_t crc = 0;
    while (i < s.size() && is_digit(s[i]) && i < 11) crc = crc * 10 + (s[i++] - '0');
    if (i == 0 || i > 10 || crc > 0xffffffffu || i >= s.size() || s[i] != ' ') return std::nullopt;
    size_t j = ++i;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == j || i - j > 20 || i + 1 >= s.size() || s[i] != ' ') return std::nullopt;
    char hex[9];
    std::snprintf(hex, sizeof hex, "%08x", static_cast<unsigned>(crc));
    return std::pair{std::string(hex), s.substr(i + 1)};
}

// Length of the UTF-8 sequence at s[i], or 0 when it is not valid UTF-8.
size_t utf8_sequence_length(std::string_view s, size_t i) {
    auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = b(i);
    size_t n;
    uint32_t cp;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, cp = c & 0x07;
    else
        return 0;
    if (i + n > s.size()) return 0;
    for (size_t k = 1; k < n; ++k) {
        if ((b(i + k) & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (b(i + k) & 0x3f);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return n;
}

// Characters the shell treats specially anywhere in a word (plus ':' for quotef).
bool shell_special(char c) {
    return std::string_view(" !\"$&()*;<=>?[\\^`|':").find(c) != std::string_view::npos;
}

// Characters that read the same inside C-style double quotes as in the shell:
// all but the specials, though a space or a single quote is plain there.
bool double_quote_compatible(char c) {
    return c == ' ' || c == '\'' || !shell_special(c);
}

void append_c_escape(std::string& out, unsigned char c) {
    switch (c) {
        case '\a': out += "\\a"; return;
        case '\b': out += "\\b"; return;
        case '\f': out += "\\f"; return;
        case '\n': out += "\\n"; return;
        case '\r': out += "\\r"; return;
        case '\t': out += "\\t"; return;
        case '\v': out += "\\v"; return;
        default: break;
    }
    char buf[5];
    std::snprintf(buf, sizeof buf, "\\%03o", c);
    out += buf;
}

}  // namespace

std::optional<DigestAlgo> default_algo_for_hex_length(size_t n) {
    switch (n) {
        case 8: return DigestAlgo::xxh32;
        case 16: return DigestAlgo::xxh64;
        case 32: return DigestAlgo::md5;
        case 40: return DigestAlgo::sha1;
        case 56: return DigestAlgo::sha224;
        case 64: return DigestAlgo::sha256;
        case 96: return DigestAlgo::sha384;
        case 128: return DigestAlgo::sha512;
        default: return std::nullopt;
    }
}

std::vector<DigestAlgo> algos_of_hex_length(size_t n) {
    std::vector<DigestAlgo> out;
    for (const DigestInfo& info : digest_algos())
        if (info.size * 2 == n && info.algo != DigestAlgo::cksum && !info.bsd_default)
            out.push_back(info.algo);
    return out;
}

bool ambiguous_untagged(DigestAlgo algo, size_t n) {
    return algo != DigestAlgo::cksum && default_algo_for_hex_length(n) != algo;
}

bool name_needs_escape(std::string_view name, NameEscaping escaping) {
    switch (escaping) {
        case NameEscaping::coreutils: return name.find_first_of("\\\n\r") != std::string_view::npos;
        case NameEscaping::b3sum: return name.find_first_of("\\\n") != std::string_view::npos;
        case NameEscaping::newline_only: return name.find('\n') != std::string_view::npos;
    }
    return false;
}

void append_escaped_name(std::string& out, std::string_view name, NameEscaping escaping) {
    bool escape_cr = escaping != NameEscaping::b3sum;
    for (char c : name) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else if (c == '\r' && escape_cr)
            out += "\\r";
        else
            out += c;
    }
}

std::string quote_name(std::string_view name) {
    if (name.empty()) return std::string(2, '\'');
    bool needs_quotes = false, unprintable = false, single_quote = false, dq_compatible = true;
    for (size_t i = 0; i < name.size();) {
        size_t n = utf8_sequence_length(name, i);
        unsigned char c = static_cast<unsigned char>(name[i]);
        if (n == 0 || (n == 1 && (c < 0x20 || c == 0x7f))) {
            unprintable = true;
            ++i;
            continue;
        }
        if (n == 1) {
            if (shell_special(name[i])) needs_quotes = true;
            if ((name[i] == '#' || name[i] == '~') && i == 0) needs_quotes = true;
            if ((name[i] == '{' || name[i] == '}') && name.size() == 1) needs_quotes = true;
            if (name[i] == '\'') single_quote = true;
            if (!double_quote_compatible(name[i])) dq_compatible = false;
        }
        i += n;
    }
    if (!needs_quotes && !unprintable) return std::string(name);
    if (!unprintable && single_quote && dq_compatible) {
        std::string out;
        out.reserve(name.size() + 2);
        out.push_back('"');
        out.append(name);
        out.push_back('"');
        return out;
    }
    // Single quotes, with '\'' for a quote and $'\ooo' segments for unprintable bytes.
    std::string out = "'";
    bool in_dollar = false;
    for (size_t i = 0; i < name.size();) {
        size_t n = utf8_sequence_length(name, i);
        unsigned char c = static_cast<unsigned char>(name[i]);
        if (n == 0 || (n == 1 && (c < 0x20 || c == 0x7f))) {
            if (!in_dollar) out += "'$'";
            in_dollar = true;
            append_c_escape(out, c);
            ++i;
            continue;
        }
        if (in_dollar) {
            out += "''";
            in_dollar = false;
        }
        if (name[i] == '\'')
            out += "'\\''";
        else
            out.append(name.substr(i, n));
        i += n;
    }
    out += '\'';
    return out;
}

void append_cksum_line(std::string& out, std::string_view hex, uint64_t size,
                       const std::string_view* name, char delim) {
    bool escape = name && delim == '\n' && name_needs_escape(*name, NameEscaping::newline_only);
    if (escape) out += '\\';
    out += std::to_string(std::stoul(std::string(hex), nullptr, 16));
    out += ' ';
    out += std::to_string(size);
    if (name) {
        out += ' ';
        if (escape)
            append_escaped_name(out, *name, NameEscaping::newline_only);
        else
            out.append(*name);
    }
    out += delim;
}

void append_checksum_line(std::string& out, const DigestInfo& info, std::string_view hex,
                          std::string_view name, bool bsd, char delim, bool binary) {
    bool escape = delim == '\n' && name_needs_escape(name, info.escaping);
    if (escape) out += '\\';
    auto put_name = [&] {
        if (escape)
            append_escaped_name(out, name, info.escaping);
        else
            out.append(name);
    };
    if (bsd || info.bsd_default) {
        out.append(info.tag);
        if (info.algo == DigestAlgo::blake2b && hex.size() != info.size * 2)
            out += "-" + std::to_string(hex.size() * 4);
        out += " (";
        put_name();
        out += ") = ";
        out.append(hex);
    } else {
        out.append(hex);
        out += binary ? " *" : "  ";
        put_name();
    }
    out += delim;
}

std::optional<std::string_view> check_line_body(std::string_view raw) {
    if (raw.empty() || raw[0] == '#') return std::nullopt;
    if (raw.back() == '\n') raw.remove_suffix(1);
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    if (raw.empty()) return std::nullopt;
    return raw;
}

std::optional<CheckEntry> CheckLineParser::parse(std::string_view s) {
    size_t i = 0;
    while (i < s.size() && is_blank(s[i])) ++i;
    bool escaped = false;
    if (i < s.size() && s[i] == '\\') {
        ++i;
        escaped = true;
    }

    // A BSD line: "TAG (NAME) = HEX". Once a tag matches, the line must be BSD.
    std::string_view rest = s.substr(i);
    size_t tag_end = rest.find_first_of(" (");
    std::string_view word = rest.substr(0, tag_end);
    for (const DigestInfo& info : digest_algos()) {
        if (forced_ && info.algo != *forced_) continue;
        if (!word.starts_with(info.tag)) continue;
        size_t j = info.tag.size(), length = 0;
        // b2sum writes "BLAKE2b-256" for other lengths (multiples of 8 bits).
        if (j < word.size()) {
            if (word[j] != '-' ||
                (info.algo != DigestAlgo::blake2b && info.algo != DigestAlgo::blake2s))
                continue;
            size_t bits = 0, k = j + 1;
            while (k < word.size() && is_digit(word[k]) && bits <= 512)
                bits = bits * 10 + (word[k++] - '0');
            if (k != word.size() || k == j + 1 || bits == 0 || bits % 8 || bits > info.size * 8)
                return std::nullopt;
            j = k;
            if (bits != info.size * 8) length = bits / 8;
        }
        if (j < rest.size() && rest[j] == ' ') ++j;
        if (j < rest.size() && rest[j] == '(')
            return parse_bsd(rest.substr(j + 1), info.algo, escaped, length);
        return std::nullopt;
    }

    // cksum's "CRC SIZE NAME".
    if (!forced_ || *forced_ == DigestAlgo::cksum) {
        if (auto split = split_cksum_line(rest)) {
            CheckEntry entry{DigestAlgo::cksum, std::move(split->first), {}, true};
            auto name = escaped ? unescape_name(split->second) : c_string(split->second);
            if (!name) return std::nullopt;
            entry.file = std::move(*name);
            return entry;
        }
        if (forced_) return std::nullopt;
    }

    // A GNU line: "HEX  NAME" or "HEX *NAME" (or md5 -r's "HEX NAME").
    std::optional<DigestAlgo> algo = forced_;
    size_t n = 0;
    while (i + n < s.size() && is_hex(s[i + n])) ++n;
    if (!algo) algo = default_algo_for_hex_length(n);
    if (!algo) return std::nullopt;
    size_t hex_len = digest_info(*algo).size * 2, length = 0;
    bool variable = *algo == DigestAlgo::blake3 || *algo == DigestAlgo::blake2b;
    if (variable && n != hex_len && n % 2 == 0 && n > 0 &&
        n <= (*algo == DigestAlgo::blake3 ? 2 * kMaxDigestSize : hex_len))
        hex_len = n, length = n / 2;
    if (s.size() - i < hex_len + 2) return std::nullopt;
    std::string_view hex = s.substr(i, hex_len);
    i += hex_len;
    if (!is_blank(s[i])) return std::nullopt;
    ++i;
    for (char c : hex)
        if (!is_hex(c)) return std::nullopt;
    if (s.size() - i == 1 || (s[i] != ' ' && s[i] != '*')) {
        // Mixing "HEX NAME" with GNU lines could let a name with a leading blank pass.
        if (bsd_reversed_ == 0) return std::nullopt;
        bsd_reversed_ = 1;
    } else if (bsd_reversed_ != 1) {
        bsd_reversed_ = 0;
        ++i;
    }
    std::string_view file = s.substr(i);
    CheckEntry entry{*algo, std::string(hex), {}, false, length};
    if (escaped) {
        auto name = unescape_name(file);
        if (!name) return std::nullopt;
        entry.file = std::move(*name);
    } else {
        entry.file = c_string(file);
    }
    return entry;
}

std::optional<CheckEntry> CheckLineParser::parse_bsd(std::string_view s, DigestAlgo algo,
                                                     bool escaped, size_t length) {
    if (s.empty()) return std::nullopt;
    size_t i = s.size() - 1;
    while (i && s[i] != ')') --i;
    if (s[i] != ')') return std::nullopt;
    CheckEntry entry{algo, {}, {}, true, length};
    if (escaped) {
        auto name = unescape_name(s.substr(0, i));
        if (!name) return std::nullopt;
        entry.file = std::move(*name);
    } else {
        entry.file = c_string(s.substr(0, i));
    }
    ++i;
    while (i < s.size() && is_blank(s[i])) ++i;
    if (i >= s.size() || s[i] != '=') return std::nullopt;
    ++i;
    while (i < s.size() && is_blank(s[i])) ++i;
    size_t hex_len = length ? length * 2 : digest_info(algo).size * 2;
    if (algo == DigestAlgo::blake3) {  // b3sum --length: any length
        size_t n = 0;
        while (i + n < s.size() && is_hex(s[i + n])) ++n;
        if (n && n % 2 == 0 && n <= 2 * kMaxDigestSize) hex_len = n;
        if (hex_len != 64) entry.length = hex_len / 2;
    }
    if (!hex_digits(s.substr(i), hex_len)) return std::nullopt;
    entry.hex = std::string(s.substr(i, hex_len));
    return entry;
}

}  // namespace ptool
