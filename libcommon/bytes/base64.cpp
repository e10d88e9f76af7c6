// base64 and base64url, as Node's Buffer writes and reads them: the encoder
// (Muła and Lemire's SSSE3/AVX2 kernels, then 12-bit pair tables) and the
// streaming decoder (four characters a step until one is not in the alphabet).
#include "libcommon/bytes/base64.hpp"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "libcommon/bytes/tables.hpp"

namespace ptool {

namespace {

constexpr char kBase64Std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Two base64 characters per 12 bits: three bytes become two lookups.
constexpr auto kBase64PairsStd = make_pair_table<64>(kBase64Std);
constexpr auto kBase64PairsUrl = make_pair_table<64>(kBase64Url);

}  // namespace

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

// ---------------------------------------------------------------------------
// The decoder

namespace {

constexpr unsigned char kInvalid = 0xFF;
constexpr unsigned char kSpace = 0xFE;  // skipped whitespace (newlines are handled apart)
constexpr unsigned char kNewline = 0xFD;
constexpr unsigned char kPad = 0xFC;

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

}  // namespace

void Base64Decoder::feed(std::string_view text, std::string& out) {
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const auto* end = p + text.size();
    DecodeCursor cur{p, column_};
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
            cur = DecodeCursor{p + 1, 1};
        } else if (v != kSpace && !ignore_garbage_) {
            out.resize(static_cast<size_t>(o - out.data()));
            throw DecodeError(describe_invalid_char(*p, "base64"), line_, cur.column(p));
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

}  // namespace ptool
