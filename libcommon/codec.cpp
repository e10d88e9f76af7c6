#include "libcommon/codec.hpp"

#include <array>
#include <cstring>

namespace ptool {

namespace {

constexpr char kHexLower[] = "0123456789abcdef";
constexpr char kHexUpper[] = "0123456789ABCDEF";
constexpr char kBase64Std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Two digits per byte, so one 16-bit copy formats a byte.
constexpr std::array<char, 512> make_hex_pairs(const char* digits) {
    std::array<char, 512> t{};
    for (int b = 0; b < 256; ++b) {
        t[2 * b] = digits[b >> 4];
        t[2 * b + 1] = digits[b & 15];
    }
    return t;
}
constexpr auto kHexPairsLower = make_hex_pairs(kHexLower);
constexpr auto kHexPairsUpper = make_hex_pairs(kHexUpper);

// Two base64 characters per 12 bits: three bytes become two lookups (8 KiB table).
constexpr std::array<char, 8192> make_base64_pairs(const char* alphabet) {
    std::array<char, 8192> t{};
    for (int v = 0; v < 4096; ++v) {
        t[2 * v] = alphabet[v >> 6];
        t[2 * v + 1] = alphabet[v & 63];
    }
    return t;
}
constexpr auto kBase64PairsStd = make_base64_pairs(kBase64Std);
constexpr auto kBase64PairsUrl = make_base64_pairs(kBase64Url);

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

char* hex_encode_to(char* out, const unsigned char* bytes, size_t n, bool upper) {
    const char* pairs = upper ? kHexPairsUpper.data() : kHexPairsLower.data();
    for (size_t i = 0; i < n; ++i) {
        std::memcpy(out, pairs + 2 * bytes[i], 2);
        out += 2;
    }
    return out;
}

std::string hex_encode(std::string_view bytes, bool upper) {
    std::string out(bytes.size() * 2, '\0');
    hex_encode_to(out.data(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                  upper);
    return out;
}

char* base64_encode_to(char* out, const unsigned char* p, size_t n, bool url) {
    const char* pairs = url ? kBase64PairsUrl.data() : kBase64PairsStd.data();
    const char* alphabet = url ? kBase64Url : kBase64Std;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t(p[i]) << 16) | (uint32_t(p[i + 1]) << 8) | p[i + 2];
        std::memcpy(out, pairs + 2 * (v >> 12), 2);
        std::memcpy(out + 2, pairs + 2 * (v & 0xFFF), 2);
        out += 4;
    }
    size_t rest = n - i;
    if (rest == 1) {
        uint32_t v = p[i];
        *out++ = alphabet[v >> 2];
        *out++ = alphabet[(v & 3) << 4];
        if (!url) {
            *out++ = '=';
            *out++ = '=';
        }
    } else if (rest == 2) {
        uint32_t v = (uint32_t(p[i]) << 8) | p[i + 1];
        *out++ = alphabet[v >> 10];
        *out++ = alphabet[(v >> 4) & 63];
        *out++ = alphabet[(v & 15) << 2];
        if (!url) *out++ = '=';
    }
    return out;
}

std::string base64_encode(std::string_view bytes, bool url) {
    std::string out(base64_encoded_size(bytes.size(), url), '\0');
    base64_encode_to(out.data(), reinterpret_cast<const unsigned char*>(bytes.data()),
                     bytes.size(), url);
    return out;
}

}  // namespace ptool
