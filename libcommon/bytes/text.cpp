// The character sets, as Node's buf.toString(enc) decodes and Buffer.from(str,
// enc) encodes them: UTF-8 made valid (WHATWG lossy), latin1, ascii, utf16le.
// Decoders stream: a sequence cut by a chunk's end is handed back to be carried.
#include "libcommon/bytes/text.hpp"

#include <array>
#include <cstring>

namespace ptool {

namespace {

void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// UTF-8 of every byte as a latin1 code point: 1 or 2 bytes.
struct Latin1Utf8 {
    char bytes[2];
    unsigned char len;
};
constexpr std::array<Latin1Utf8, 256> make_latin1_table() {
    std::array<Latin1Utf8, 256> t{};
    for (int b = 0; b < 256; ++b) {
        if (b < 0x80) {
            t[b] = {{static_cast<char>(b), 0}, 1};
        } else {
            t[b] = {{static_cast<char>(0xC0 | (b >> 6)), static_cast<char>(0x80 | (b & 0x3F))}, 2};
        }
    }
    return t;
}
constexpr auto kLatin1Utf8 = make_latin1_table();

// Decodes one code point from valid UTF-8 at p (as utf8_lossy produces).
uint32_t next_code_point(const unsigned char*& p) {
    uint32_t c = *p++;
    if (c < 0x80) return c;
    if (c < 0xE0) return ((c & 0x1F) << 6) | (*p++ & 0x3F);
    if (c < 0xF0) {
        uint32_t cp = ((c & 0x0F) << 12) | ((p[0] & 0x3Fu) << 6) | (p[1] & 0x3F);
        p += 2;
        return cp;
    }
    uint32_t cp =
        ((c & 0x07) << 18) | ((p[0] & 0x3Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3F);
    p += 3;
    return cp;
}

}  // namespace

size_t utf8_lossy_append(std::string& out, std::string_view bytes, bool final) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    const size_t n = bytes.size();
    out.reserve(out.size() + n);
    size_t i = 0;
    while (i < n) {
        // ASCII runs are copied 8 bytes at a time.
        size_t start = i;
        while (i + 8 <= n) {
            uint64_t w;
            std::memcpy(&w, p + i, 8);
            if (w & 0x8080808080808080ULL) break;
            i += 8;
        }
        while (i < n && p[i] < 0x80) ++i;
        if (i > start) out.append(bytes.data() + start, i - start);
        if (i == n) break;

        // The WHATWG decoder: a lead byte sets how many continuation bytes follow
        // and the allowed range of the first one; a byte out of range ends the
        // sequence with one U+FFFD and is looked at again.
        unsigned lead = p[i];
        size_t need;
        unsigned lower = 0x80, upper = 0xBF;
        uint32_t cp;
        if (lead >= 0xC2 && lead <= 0xDF) {
            need = 1;
            cp = lead & 0x1F;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            need = 2;
            cp = lead & 0x0F;
            if (lead == 0xE0) lower = 0xA0;
            if (lead == 0xED) upper = 0x9F;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            need = 3;
            cp = lead & 0x07;
            if (lead == 0xF0) lower = 0x90;
            if (lead == 0xF4) upper = 0x8F;
        } else {
            out.append(kReplacement);
            ++i;
            continue;
        }
        size_t j = i + 1;
        size_t seen = 0;
        while (seen < need && j < n && p[j] >= lower && p[j] <= upper) {
            cp = (cp << 6) | (p[j] & 0x3F);
            lower = 0x80;
            upper = 0xBF;
            ++j;
            ++seen;
        }
        if (seen == need) {
            append_utf8(out, cp);
        } else if (j == n && !final) {
            return n - i;  // a valid prefix cut by the chunk's end
        } else {
            out.append(kReplacement);
        }
        i = j;
    }
    return 0;
}

std::string utf8_lossy(std::string_view bytes) {
    std::string out;
    utf8_lossy_append(out, bytes, true);
    return out;
}

void latin1_to_utf8_append(std::string& out, std::string_view bytes) {
    size_t start = out.size();
    out.resize(start + 2 * bytes.size());
    char* o = out.data() + start;
    for (unsigned char b : bytes) {
        const Latin1Utf8& e = kLatin1Utf8[b];
        std::memcpy(o, e.bytes, 2);
        o += e.len;
    }
    out.resize(static_cast<size_t>(o - out.data()));
}

void ascii_to_utf8_append(std::string& out, std::string_view bytes) {
    size_t start = out.size();
    out.resize(start + bytes.size());
    char* o = out.data() + start;
    for (unsigned char b : bytes) *o++ = static_cast<char>(b & 0x7F);
}

size_t utf16le_to_utf8_append(std::string& out, std::string_view bytes, bool final) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    const size_t units = bytes.size() / 2;
    out.reserve(out.size() + units * 3);
    for (size_t i = 0; i < units; ++i) {
        uint32_t u = p[2 * i] | (uint32_t(p[2 * i + 1]) << 8);
        if (u < 0xD800 || u > 0xDFFF) {
            append_utf8(out, u);
        } else if (u <= 0xDBFF) {
            if (i + 1 == units && !final) return bytes.size() - 2 * i;
            uint32_t lo = i + 1 < units ? p[2 * i + 2] | (uint32_t(p[2 * i + 3]) << 8) : 0;
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                append_utf8(out, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
                ++i;
            } else {
                out.append(kReplacement);
            }
        } else {
            out.append(kReplacement);
        }
    }
    return final ? 0 : bytes.size() % 2;
}

void utf8_to_latin1_append(std::string& out, std::string_view utf8) {
    const auto* p = reinterpret_cast<const unsigned char*>(utf8.data());
    const auto* end = p + utf8.size();
    out.reserve(out.size() + utf8.size());
    while (p < end) {
        uint32_t cp = next_code_point(p);
        if (cp < 0x10000) {
            out.push_back(static_cast<char>(cp & 0xFF));
        } else {
            cp -= 0x10000;
            out.push_back(static_cast<char>((0xD800 + (cp >> 10)) & 0xFF));
            out.push_back(static_cast<char>((0xDC00 + (cp & 0x3FF)) & 0xFF));
        }
    }
}

void utf8_to_utf16le_append(std::string& out, std::string_view utf8) {
    const auto* p = reinterpret_cast<const unsigned char*>(utf8.data());
    const auto* end = p + utf8.size();
    out.reserve(out.size() + 2 * utf8.size());
    auto unit = [&](uint32_t u) {
        out.push_back(static_cast<char>(u & 0xFF));
        out.push_back(static_cast<char>(u >> 8));
    };
    while (p < end) {
        uint32_t cp = next_code_point(p);
        if (cp < 0x10000) {
            unit(cp);
        } else {
            cp -= 0x10000;
            unit(0xD800 + (cp >> 10));
            unit(0xDC00 + (cp & 0x3FF));
        }
    }
}

void TextEncodeWriter::convert(std::string_view text, bool final) {
    std::string_view data = text;
    if (!carry_.empty()) {
        carry_.append(text);
        data = carry_;
    }
    valid_.clear();
    size_t left = utf8_lossy_append(valid_, data, final);
    std::string rest(data.substr(data.size() - left));
    carry_ = std::move(rest);
    if (charset_ == Charset::utf8) {
        out_.write(valid_);
        return;
    }
    encoded_.clear();
    if (charset_ == Charset::latin1) {
        utf8_to_latin1_append(encoded_, valid_);
    } else {
        utf8_to_utf16le_append(encoded_, valid_);
    }
    out_.write(encoded_);
}

void TextEncodeWriter::write(std::string_view text) {
    convert(text, false);
}
void TextEncodeWriter::finish() {
    convert({}, true);
}

}  // namespace ptool
