#include "libcommon/bytes/codec.hpp"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

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

const char* hex_pair_table(bool upper) {
    return upper ? kHexPairsUpper.data() : kHexPairsLower.data();
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

bool simd_path_available(SimdPath path) {
#if defined(__x86_64__)
    // libgcc's checks include the OS saving YMM registers, not only the CPUID bit.
    static const bool ssse3 = __builtin_cpu_supports("ssse3");
    static const bool avx2 = __builtin_cpu_supports("avx2");
    if (path == SimdPath::ssse3) return ssse3;
    if (path == SimdPath::avx2) return avx2;
#else
    if (path == SimdPath::ssse3 || path == SimdPath::avx2) return false;
#endif
    return true;
}

SimdPath resolve_simd_path(SimdPath path) {
    if (path != SimdPath::best) return path;
    if (simd_path_available(SimdPath::avx2)) return SimdPath::avx2;
    if (simd_path_available(SimdPath::ssse3)) return SimdPath::ssse3;
    return SimdPath::scalar;
}

#if defined(__x86_64__)

namespace {

// Muła and Lemire's base64 encoder: per 32-bit lane, bytes 1 0 2 1 of each
// 3-byte group; the multiplies move the four sextets into the four bytes.
[[gnu::target("ssse3"), gnu::always_inline]] inline __m128i base64_sextets_ssse3(__m128i in) {
    in = _mm_shuffle_epi8(in, _mm_setr_epi8(1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10));
    __m128i ac =
        _mm_mulhi_epu16(_mm_and_si128(in, _mm_set1_epi32(0x0FC0FC00)), _mm_set1_epi32(0x04000040));
    __m128i bd =
        _mm_mullo_epi16(_mm_and_si128(in, _mm_set1_epi32(0x003F03F0)), _mm_set1_epi32(0x01000010));
    return _mm_or_si128(ac, bd);
}

// Sextet -> character: a class 0..13 of each sextet picks the offset to add.
[[gnu::target("ssse3"), gnu::always_inline]] inline __m128i base64_offsets(bool url) {
    return _mm_setr_epi8(static_cast<char>('a' - 26), static_cast<char>('0' - 52),
                         static_cast<char>('0' - 52), static_cast<char>('0' - 52),
                         static_cast<char>('0' - 52), static_cast<char>('0' - 52),
                         static_cast<char>('0' - 52), static_cast<char>('0' - 52),
                         static_cast<char>('0' - 52), static_cast<char>('0' - 52),
                         static_cast<char>('0' - 52), static_cast<char>((url ? '-' : '+') - 62),
                         static_cast<char>((url ? '_' : '/') - 63), 'A', 0, 0);
}

// 12 bytes (read as 16) -> 16 characters a step; returns the bytes consumed.
[[gnu::target("ssse3")]] size_t base64_encode_ssse3(char*& out, const unsigned char* p, size_t n,
                                                    bool url) {
    const __m128i offsets = base64_offsets(url);
    size_t i = 0;
    for (; i + 16 <= n; i += 12) {
        __m128i s = base64_sextets_ssse3(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i)));
        __m128i cls = _mm_subs_epu8(s, _mm_set1_epi8(51));
        cls = _mm_or_si128(cls,
                           _mm_and_si128(_mm_cmpgt_epi8(_mm_set1_epi8(26), s), _mm_set1_epi8(13)));
        __m128i chars = _mm_add_epi8(s, _mm_shuffle_epi8(offsets, cls));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out), chars);
        out += 16;
    }
    return i;
}

// The same on two 12-byte groups a step, one in each 128-bit lane.
[[gnu::target("avx2")]] size_t base64_encode_avx2(char*& out, const unsigned char* p, size_t n,
                                                  bool url) {
    const __m256i offsets = _mm256_broadcastsi128_si256(base64_offsets(url));
    const __m256i order = _mm256_broadcastsi128_si256(
        _mm_setr_epi8(1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10));
    size_t i = 0;
    for (; i + 28 <= n; i += 24) {
        __m256i in = _mm256_inserti128_si256(
            _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i))),
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i + 12)), 1);
        in = _mm256_shuffle_epi8(in, order);
        __m256i ac = _mm256_mulhi_epu16(_mm256_and_si256(in, _mm256_set1_epi32(0x0FC0FC00)),
                                        _mm256_set1_epi32(0x04000040));
        __m256i bd = _mm256_mullo_epi16(_mm256_and_si256(in, _mm256_set1_epi32(0x003F03F0)),
                                        _mm256_set1_epi32(0x01000010));
        __m256i s = _mm256_or_si256(ac, bd);
        __m256i cls = _mm256_subs_epu8(s, _mm256_set1_epi8(51));
        cls = _mm256_or_si256(cls, _mm256_and_si256(_mm256_cmpgt_epi8(_mm256_set1_epi8(26), s),
                                                    _mm256_set1_epi8(13)));
        __m256i chars = _mm256_add_epi8(s, _mm256_shuffle_epi8(offsets, cls));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), chars);
        out += 32;
    }
    return i;
}

}  // namespace

#endif

char* base64_encode_to(char* out, const unsigned char* p, size_t n, bool url, SimdPath path) {
    size_t i = 0;
#if defined(__x86_64__)
    path = resolve_simd_path(path);
    if (path == SimdPath::avx2) i = base64_encode_avx2(out, p, n, url);
    if (path == SimdPath::avx2 || path == SimdPath::ssse3)
        i += base64_encode_ssse3(out, p + i, n - i, url);
#else
    (void)path;
#endif
    const char* pairs = url ? kBase64PairsUrl.data() : kBase64PairsStd.data();
    const char* alphabet = url ? kBase64Url : kBase64Std;
    // Six bytes (read as eight) give four 12-bit indexes and one 8-byte store.
    for (; i + 8 <= n; i += 6) {
        uint64_t w;
        std::memcpy(&w, p + i, 8);
        w = __builtin_bswap64(w);
        uint16_t a, b, c, d;
        std::memcpy(&a, pairs + 2 * ((w >> 52) & 0xFFF), 2);
        std::memcpy(&b, pairs + 2 * ((w >> 40) & 0xFFF), 2);
        std::memcpy(&c, pairs + 2 * ((w >> 28) & 0xFFF), 2);
        std::memcpy(&d, pairs + 2 * ((w >> 16) & 0xFFF), 2);
        uint64_t chars =
            uint64_t(a) | (uint64_t(b) << 16) | (uint64_t(c) << 32) | (uint64_t(d) << 48);
        std::memcpy(out, &chars, 8);
        out += 8;
    }
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
    base64_encode_to(out.data(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                     url);
    return out;
}

}  // namespace ptool

// ---------------------------------------------------------------------------
// Text decodings and encodings

namespace ptool {

namespace {

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

// ---------------------------------------------------------------------------
// Byte-form decoders

namespace {

constexpr unsigned char kInvalid = 0xFF;
constexpr unsigned char kSpace = 0xFE;  // skipped whitespace (newlines are handled apart)
constexpr unsigned char kNewline = 0xFD;
constexpr unsigned char kPad = 0xFC;

constexpr std::array<unsigned char, 256> make_hex_values() {
    std::array<unsigned char, 256> t{};
    for (auto& v : t) v = kInvalid;
    for (int c = '0'; c <= '9'; ++c) t[c] = static_cast<unsigned char>(c - '0');
    for (int c = 'a'; c <= 'f'; ++c) t[c] = static_cast<unsigned char>(c - 'a' + 10);
    for (int c = 'A'; c <= 'F'; ++c) t[c] = static_cast<unsigned char>(c - 'A' + 10);
    t[' '] = t['\t'] = t['\r'] = t['\v'] = t['\f'] = kSpace;
    t['\n'] = kNewline;
    return t;
}
constexpr auto kHexValues = make_hex_values();

constexpr std::array<unsigned char, 256> make_base64_values() {
    std::array<unsigned char, 256> t{};
    for (auto& v : t) v = kInvalid;
    for (int i = 0; i < 64; ++i)
        t[static_cast<unsigned char>(kBase64Std[i])] = static_cast<unsigned char>(i);
    t['-'] = 62;
    t['_'] = 63;
    t[' '] = t['\t'] = t['\r'] = t['\v'] = t['\f'] = kSpace;
    t['\n'] = kNewline;
    t['='] = kPad;
    return t;
}
constexpr auto kBase64Values = make_base64_values();

std::string describe_char(unsigned char c, std::string_view kind) {
    std::string why = "invalid " + std::string(kind) + " character ";
    if (c >= 0x21 && c < 0x7F) {
        why += '\'';
        why += static_cast<char>(c);
        why += '\'';
    } else {
        why += "0x";
        why += kHexLower[c >> 4];
        why += kHexLower[c & 15];
    }
    return why;
}

// Column bookkeeping over one chunk: the column of p is (p - line_begin) + col0.
struct Cursor {
    const unsigned char* line_begin;
    size_t col0;
    size_t column(const unsigned char* p) const {
        return static_cast<size_t>(p - line_begin) + col0;
    }
};

}  // namespace

void ByteDecoder::advance_position(const char* begin, const char* end) {
    for (const char* p = begin; p < end; ++p) {
        if (*p == '\n') {
            ++line_;
            column_ = 1;
        } else {
            ++column_;
        }
    }
}

void HexDecoder::feed(std::string_view text, std::string& out) {
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const auto* end = p + text.size();
    Cursor cur{p, column_};
    size_t start = out.size();
    out.resize(start + text.size() / 2 + 1);
    char* o = out.data() + start;
    while (p < end) {
        if (pending_ < 0) {
            while (end - p >= 2) {
                unsigned a = kHexValues[p[0]], b = kHexValues[p[1]];
                if ((a | b) & 0xF0) break;
                *o++ = static_cast<char>((a << 4) | b);
                p += 2;
            }
            if (p == end) break;
        }
        unsigned v = kHexValues[*p];
        if (v < 16) {
            if (pending_ < 0) {
                pending_ = static_cast<int>(v);
                pending_line_ = line_;
                pending_column_ = cur.column(p);
            } else {
                *o++ = static_cast<char>((pending_ << 4) | static_cast<int>(v));
                pending_ = -1;
            }
        } else if (v == kNewline) {
            ++line_;
            cur = Cursor{p + 1, 1};
        } else if (v != kSpace && !ignore_garbage_) {
            out.resize(static_cast<size_t>(o - out.data()));
            throw DecodeError(describe_char(*p, "hex"), line_, cur.column(p));
        }
        ++p;
    }
    out.resize(static_cast<size_t>(o - out.data()));
    column_ = cur.column(end);
}

void HexDecoder::finish(std::string&) {
    if (pending_ >= 0)
        throw DecodeError("odd number of hex digits", pending_line_, pending_column_);
}

void Base64Decoder::feed(std::string_view text, std::string& out) {
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const auto* end = p + text.size();
    Cursor cur{p, column_};
    size_t start = out.size();
    out.resize(start + text.size() / 4 * 3 + 3);
    char* o = out.data() + start;
    while (p < end) {
        if (count_ == 0 && padding_ == 0) {
            while (end - p >= 4) {
                uint32_t a = kBase64Values[p[0]], b = kBase64Values[p[1]], c = kBase64Values[p[2]],
                         d = kBase64Values[p[3]];
                if ((a | b | c | d) & 0xC0) break;
                uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
                o[0] = static_cast<char>(v >> 16);
                o[1] = static_cast<char>(v >> 8);
                o[2] = static_cast<char>(v);
                o += 3;
                p += 4;
            }
            if (p == end) break;
        }
        unsigned v = kBase64Values[*p];
        if (v < 64) {
            if (padding_ > 0) {
                out.resize(static_cast<size_t>(o - out.data()));
                throw DecodeError("base64 data after '=' padding", line_, cur.column(p));
            }
            acc_ = (acc_ << 6) | v;
            last_line_ = line_;
            last_column_ = cur.column(p);
            if (++count_ == 4) {
                o[0] = static_cast<char>(acc_ >> 16);
                o[1] = static_cast<char>(acc_ >> 8);
                o[2] = static_cast<char>(acc_);
                o += 3;
                count_ = 0;
                acc_ = 0;
            }
        } else if (v == kPad) {
            if (padding_ == 0 && count_ >= 2) {
                if (count_ == 2) {
                    *o++ = static_cast<char>(acc_ >> 4);
                } else {
                    *o++ = static_cast<char>(acc_ >> 10);
                    *o++ = static_cast<char>(acc_ >> 2);
                }
                pad_base_ = count_;
                count_ = 0;
                acc_ = 0;
                padding_ = 1;
            } else if (padding_ > 0 && pad_base_ + padding_ < 4) {
                ++padding_;
            } else {
                out.resize(static_cast<size_t>(o - out.data()));
                throw DecodeError("unexpected '=' in base64", line_, cur.column(p));
            }
        } else if (v == kNewline) {
            ++line_;
            cur = Cursor{p + 1, 1};
        } else if (v != kSpace && !ignore_garbage_) {
            out.resize(static_cast<size_t>(o - out.data()));
            throw DecodeError(describe_char(*p, "base64"), line_, cur.column(p));
        }
        ++p;
    }
    out.resize(static_cast<size_t>(o - out.data()));
    column_ = cur.column(end);
}

void Base64Decoder::finish(std::string& out) {
    if (count_ == 1)
        throw DecodeError("truncated base64 (one character left over)", last_line_, last_column_);
    if (count_ == 2) {
        out.push_back(static_cast<char>(acc_ >> 4));
    } else if (count_ == 3) {
        out.push_back(static_cast<char>(acc_ >> 10));
        out.push_back(static_cast<char>(acc_ >> 2));
    }
    count_ = 0;
    acc_ = 0;
}

void JsonBufferDecoder::fail(std::string why) const {
    throw DecodeError(std::move(why), token_line_, token_column_);
}

void JsonBufferDecoder::feed(std::string_view text, std::string& out) {
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        if (in_string_) {
            if (c == '"') {
                in_string_ = false;
                on_token('"', out);
            } else if (c == '\\' || c < 0x20) {
                token_line_ = line_;
                token_column_ = column_;
                fail(c == '\\' ? "escapes are not expected in a Buffer's JSON"
                               : "control character in a JSON string");
            } else if (token_.size() < 64) {
                token_.push_back(ch);
            }
        } else if (c >= '0' && c <= '9') {
            if (!in_number_) {
                in_number_ = true;
                number_ = 0;
                digits_ = 0;
                token_line_ = line_;
                token_column_ = column_;
            } else if (number_ == 0) {
                fail("leading zero in a JSON number");
            }
            number_ = number_ * 10 + (c - '0');
            if (++digits_ > 3 || number_ > 255) fail("byte value out of range 0..255");
        } else {
            if (in_number_) {
                in_number_ = false;
                on_token('0', out);
            }
            token_line_ = line_;
            token_column_ = column_;
            switch (c) {
                case ' ':
                case '\t':
                case '\r':
                case '\n': break;
                case '"':
                    in_string_ = true;
                    token_.clear();
                    break;
                case '{':
                case '}':
                case '[':
                case ']':
                case ':':
                case ',': on_token(ch, out); break;
                case '-':
                case '.':
                case 'e':
                case 'E':
                case '+': fail("byte values must be integers 0..255");
                default: fail(describe_char(c, "JSON"));
            }
        }
        if (c == '\n') {
            ++line_;
            column_ = 1;
        } else {
            ++column_;
        }
    }
}

void JsonBufferDecoder::on_token(char kind, std::string& out) {
    auto unexpected = [&]() -> void {
        switch (kind) {
            case '"': fail("unexpected string");
            case '0': fail("unexpected number");
            default: fail(std::string("unexpected '") + kind + "'");
        }
    };
    switch (state_) {
        case State::start:
            if (kind == '{') {
                in_object_ = true;
                state_ = State::object_first;
            } else if (kind == '[') {
                state_ = State::array_first;
            } else {
                unexpected();
            }
            break;
        case State::object_first:
        case State::key:
            if (kind != '"') unexpected();
            key_ = token_;
            if (key_ != "type" && key_ != "data")
                fail("unexpected key \"" + key_ + "\" in a Buffer's JSON");
            state_ = State::colon;
            break;
        case State::colon:
            if (kind != ':') unexpected();
            state_ = key_ == "type" ? State::type_value : State::data_open;
            break;
        case State::type_value:
            if (kind != '"' || token_ != "Buffer") fail("\"type\" must be \"Buffer\"");
            state_ = State::object_after;
            break;
        case State::data_open:
            if (kind != '[') unexpected();
            if (has_data_) fail("duplicate \"data\"");
            state_ = State::array_first;
            break;
        case State::array_first:
        case State::array_item:
            if (kind == '0') {
                out.push_back(static_cast<char>(number_));
                state_ = State::array_after;
            } else if (kind == ']' && state_ == State::array_first) {
                has_data_ = true;
                state_ = in_object_ ? State::object_after : State::done;
            } else {
                unexpected();
            }
            break;
        case State::array_after:
            if (kind == ',') {
                state_ = State::array_item;
            } else if (kind == ']') {
                has_data_ = true;
                state_ = in_object_ ? State::object_after : State::done;
            } else {
                unexpected();
            }
            break;
        case State::object_after:
            if (kind == ',') {
                state_ = State::key;
            } else if (kind == '}') {
                if (!has_data_) fail("no \"data\" in a Buffer's JSON");
                state_ = State::done;
            } else {
                unexpected();
            }
            break;
        case State::done: fail("data after the end of the JSON value");
    }
}

void JsonBufferDecoder::finish(std::string& out) {
    if (in_number_) {
        in_number_ = false;
        on_token('0', out);
    }
    if (in_string_ || state_ != State::done) {
        token_line_ = line_;
        token_column_ = column_;
        fail("unexpected end of JSON input");
    }
}

}  // namespace ptool
