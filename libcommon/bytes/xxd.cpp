// xxd's layouts, byte-identical to xxd 2022: the default lines (SSSE3 below
// 4 GiB: five 16-byte stores a line), other hex layouts from pair tables,
// xxd -b's bits and the colored lines; and the writer that carries part lines.
#include "libcommon/bytes/xxd.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "libcommon/bytes/byte_class.hpp"
#include "libcommon/bytes/hex.hpp"
#include "libcommon/bytes/tables.hpp"

namespace ptool {

namespace {

constexpr std::array<char, 2048> make_bits() {
    std::array<char, 2048> t{};
    for (int b = 0; b < 256; ++b)
        for (int i = 0; i < 8; ++i) t[8 * b + i] = (b >> (7 - i)) & 1 ? '1' : '0';
    return t;
}
constexpr auto kBits = make_bits();

}  // namespace

XxdFormatter::XxdFormatter(const XxdLayout& layout, uint64_t offset)
    : layout_(layout), offset_(offset), digits_(layout.bits ? 8 : 2) {
    size_t cols = layout_.columns;
    size_t group = layout_.group;
    if (group == 0 || group > cols) group = cols;
    group_ = group;
    // xxd's arithmetic: a group is its digits and one space.
    size_t group_len = group * digits_ + 1;
    byte_pos_.resize(cols);
    for (size_t i = 0; i < cols; ++i)
        byte_pos_[i] = static_cast<uint16_t>(1 + (group_len * i) / group);
    ascii_pos_ = 3 + (group_len * cols - 1) / group;
    bool default_lines = cols == 16 && group == 2 && !layout_.bits && !layout_.color;
    simd_ = default_lines ? resolve_simd_path(layout_.simd) : SimdPath::scalar;
}

void XxdFormatter::format(const unsigned char* bytes, size_t n, OutputBuffer& out) {
    size_t cols = layout_.columns;
    if (simd_ != SimdPath::scalar) {
        size_t done = format_default_lines(bytes, n, out);
        bytes += done;
        n -= done;
    }
    if (!layout_.color && !layout_.bits) {
        while (n >= cols && offset_ + cols <= UINT32_MAX) {
            format_full_hex_line(bytes, out);
            bytes += cols;
            n -= cols;
            offset_ += cols;
        }
    }
    while (n > 0) {
        size_t take = n < cols ? n : cols;
        if (layout_.color) {
            format_line_colored(bytes, take, out);
        } else {
            format_line(bytes, take, out);
        }
        bytes += take;
        n -= take;
        offset_ += take;
    }
}

#if defined(__x86_64__)

namespace {

constexpr size_t kXxdLineLen = 68;  // "00000010: " 8 groups "xxxx " ' ' 16 text '\n'

// pshufb masks (-1 gives 0) and constants for one default xxd line, as five
// 16-byte stores: line[0,16), [16,32), [32,48), [48,64) and [52,68). H0 and H1
// are the 32 digits of bytes 0-7 and 8-15, T the text column.
struct XxdMasks {
    char h0_0[16], fill_0[16];
    char h0_1[16], h1_1[16], fill_1[16];
    char h1_2[16], fill_2[16];
    char h1_3[16], t_3[16], fill_3[16];
    char t_4[16], fill_4[16];
};
constexpr char S = ' ', X = -1;
constexpr XxdMasks kXxdMasks = {
    {X, X, X, X, X, X, X, X, X, X, 0, 1, 2, 3, X, 4},
    {0, 0, 0, 0, 0, 0, 0, 0, ':', S, 0, 0, 0, 0, S, 0},
    {5, 6, 7, X, 8, 9, 10, 11, X, 12, 13, 14, 15, X, X, X},
    {X, X, X, X, X, X, X, X, X, X, X, X, X, X, 0, 1},
    {0, 0, 0, S, 0, 0, 0, 0, S, 0, 0, 0, 0, S, 0, 0},
    {2, 3, X, 4, 5, 6, 7, X, 8, 9, 10, 11, X, 12, 13, 14},
    {0, 0, S, 0, 0, 0, 0, S, 0, 0, 0, 0, S, 0, 0, 0},
    {15, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X},
    {X, X, X, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12},
    {0, S, S, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, X},
    {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '\n'},
};

// `lines` default xxd lines from offset `off` (which stays below 2^32).
[[gnu::target("ssse3")]] void xxd_lines_ssse3(char* o, const unsigned char* bytes, size_t lines,
                                              uint32_t off, bool upper) {
    auto load = [](const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); };
    auto store = [](char* p, __m128i v) { _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v); };
    const XxdMasks& m = kXxdMasks;
    const __m128i lower = load(kHexDigitsLower);
    const __m128i digits = upper ? load(kHexDigitsUpper) : lower;
    const __m128i low4 = _mm_set1_epi8(0x0F);
    for (size_t k = 0; k < lines; ++k, bytes += 16, o += kXxdLineLen, off += 16) {
        __m128i v = load(bytes);
        __m128i dh = _mm_shuffle_epi8(digits, _mm_and_si128(_mm_srli_epi16(v, 4), low4));
        __m128i dl = _mm_shuffle_epi8(digits, _mm_and_si128(v, low4));
        __m128i h0 = _mm_unpacklo_epi8(dh, dl), h1 = _mm_unpackhi_epi8(dh, dl);
        __m128i printable = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(0x1F)),
                                          _mm_cmpgt_epi8(_mm_set1_epi8(0x7F), v));
        __m128i t = _mm_or_si128(_mm_and_si128(printable, v),
                                 _mm_andnot_si128(printable, _mm_set1_epi8('.')));
        // The offset's four bytes, most significant first, as eight digits.
        __m128i ov = _mm_cvtsi32_si128(static_cast<int>(__builtin_bswap32(off)));
        __m128i oh = _mm_shuffle_epi8(lower, _mm_and_si128(_mm_srli_epi16(ov, 4), low4));
        __m128i ol = _mm_shuffle_epi8(lower, _mm_and_si128(ov, low4));
        __m128i offset = _mm_move_epi64(_mm_unpacklo_epi8(oh, ol));
        store(o, _mm_or_si128(_mm_or_si128(offset, load(m.fill_0)),
                              _mm_shuffle_epi8(h0, load(m.h0_0))));
        store(o + 16, _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(h0, load(m.h0_1)),
                                                _mm_shuffle_epi8(h1, load(m.h1_1))),
                                   load(m.fill_1)));
        store(o + 32, _mm_or_si128(_mm_shuffle_epi8(h1, load(m.h1_2)), load(m.fill_2)));
        store(o + 48, _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(h1, load(m.h1_3)),
                                                _mm_shuffle_epi8(t, load(m.t_3))),
                                   load(m.fill_3)));
        store(o + 52, _mm_or_si128(_mm_shuffle_epi8(t, load(m.t_4)), load(m.fill_4)));
    }
}

}  // namespace

#endif

// Whole default lines (16 bytes, groups of 2) below 4 GiB with vector code;
// returns the bytes formatted.
size_t XxdFormatter::format_default_lines(const unsigned char* bytes, size_t n, OutputBuffer& out) {
    size_t lines = n / 16;
    if (offset_ >= UINT32_MAX) return 0;
    lines = std::min<uint64_t>(lines, (UINT32_MAX - offset_) / 16);
    size_t batch_max = out.capacity() / kXxdLineLen;
    size_t done = 0;
    while (done < lines) {
        size_t batch = std::min(lines - done, batch_max);
        char* o = out.reserve(batch * kXxdLineLen);
#if defined(__x86_64__)
        xxd_lines_ssse3(o, bytes + 16 * done, batch, static_cast<uint32_t>(offset_), layout_.upper);
#endif
        out.commit(batch * kXxdLineLen);
        offset_ += 16 * batch;
        done += batch;
    }
    return 16 * done;
}

// The hot path: a whole hex line at an 8-digit offset, written front to back.
void XxdFormatter::format_full_hex_line(const unsigned char* bytes, OutputBuffer& out) {
    const size_t cols = layout_.columns;
    const size_t len = 9 + ascii_pos_ + cols + 1;
    const char* pairs = hex_pair_table(layout_.upper);
    char* line = out.reserve(len);
    format_hex_offset8(line, static_cast<uint32_t>(offset_));
    line[8] = ':';
    line[9] = ' ';
    char* o = line + 10;
    if (group_ == 2 && cols % 2 == 0) {
        for (size_t i = 0; i < cols; i += 2) {
            uint16_t a, b;
            std::memcpy(&a, pairs + 2 * bytes[i], 2);
            std::memcpy(&b, pairs + 2 * bytes[i + 1], 2);
            uint32_t v = a | (uint32_t(b) << 16);
            std::memcpy(o, &v, 4);
            o[4] = ' ';
            o += 5;
        }
    } else {
        for (size_t i = 0; i < cols; ++i) {
            std::memcpy(o, pairs + 2 * bytes[i], 2);
            o += 2;
            if ((i + 1) % group_ == 0 || i + 1 == cols) *o++ = ' ';
        }
    }
    char* text = line + 9 + ascii_pos_;
    while (o < text) *o++ = ' ';
    for (size_t i = 0; i < cols; ++i) {
        unsigned char b = bytes[i];
        text[i] = static_cast<unsigned char>(b - 0x20) < 0x5F ? static_cast<char>(b) : '.';
    }
    text[cols] = '\n';
    out.commit(len);
}

void XxdFormatter::format_line(const unsigned char* bytes, size_t n, OutputBuffer& out) {
    size_t addr_len = (offset_ >> 32 ? hex_width(offset_) : 8) + 1;
    size_t len = addr_len + ascii_pos_ + n + 1;
    char* line = out.reserve(len);
    format_hex_offset(line, offset_, 8);
    line[addr_len - 1] = ':';
    char* body = line + addr_len;
    std::memset(body, ' ', ascii_pos_);
    if (layout_.bits) {
        for (size_t i = 0; i < n; ++i)
            std::memcpy(body + byte_pos_[i], kBits.data() + 8 * bytes[i], 8);
    } else {
        const char* pairs = hex_pair_table(layout_.upper);
        for (size_t i = 0; i < n; ++i) std::memcpy(body + byte_pos_[i], pairs + 2 * bytes[i], 2);
    }
    char* text = body + ascii_pos_;
    for (size_t i = 0; i < n; ++i) text[i] = kTextColumn[bytes[i]];
    text[n] = '\n';
    out.commit(len);
}

void XxdFormatter::format_line_colored(const unsigned char* bytes, size_t n, OutputBuffer& out) {
    std::string line;
    char addr[20];
    line.append(addr, format_hex_offset(addr, offset_, 8));
    line += ':';
    size_t col = 0;  // column after the offset
    const char* pairs = hex_pair_table(layout_.upper);
    for (size_t i = 0; i < n; ++i) {
        line.append(byte_pos_[i] - col, ' ');
        line += byte_class_color(classify_byte(bytes[i]));
        if (layout_.bits) {
            line.append(kBits.data() + 8 * bytes[i], 8);
        } else {
            line.append(pairs + 2 * bytes[i], 2);
        }
        line += kColorReset;
        col = byte_pos_[i] + digits_;
    }
    line.append(ascii_pos_ - col, ' ');
    for (size_t i = 0; i < n; ++i) {
        line += byte_class_color(classify_byte(bytes[i]));
        line += kTextColumn[bytes[i]];
        line += kColorReset;
    }
    line += '\n';
    out.write(line);
}

void XxdWriter::write(std::string_view bytes) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    size_t n = bytes.size();
    if (!carry_.empty()) {
        size_t take = std::min(n, columns_ - carry_.size());
        carry_.append(bytes.substr(0, take));
        p += take;
        n -= take;
        if (carry_.size() < columns_) return;
        formatter_.format(reinterpret_cast<const unsigned char*>(carry_.data()), columns_, out_);
        carry_.clear();
    }
    size_t whole = n - n % columns_;
    formatter_.format(p, whole, out_);
    carry_.assign(reinterpret_cast<const char*>(p + whole), n - whole);
}

void XxdWriter::finish() {
    formatter_.format(reinterpret_cast<const unsigned char*>(carry_.data()), carry_.size(), out_);
    carry_.clear();
}

}  // namespace ptool
