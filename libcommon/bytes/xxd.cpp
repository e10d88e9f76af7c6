// xxd's layouts, byte-identical to xxd 2022: the default lines (SSSE3 below
// 4 GiB: five 16-byte stores a line), other hex layouts from pair tables,
// xxd -b's bits and the colored lines; and the writer that carries part lines.
#include "libcommon/bytes/xxd.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
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

// xxd -E's text column: EBCDIC through xxd's etoa64 table, then '.' for what
// is not printable ASCII.
constexpr unsigned char kEbcdicToAscii[192] = {
    0040, 0240, 0241, 0242, 0243, 0244, 0245, 0246, 0247, 0250, 0325, 0056, 0074, 0050, 0053, 0174,
    0046, 0251, 0252, 0253, 0254, 0255, 0256, 0257, 0260, 0261, 0041, 0044, 0052, 0051, 0073, 0176,
    0055, 0057, 0262, 0263, 0264, 0265, 0266, 0267, 0270, 0271, 0313, 0054, 0045, 0137, 0076, 0077,
    0272, 0273, 0274, 0275, 0276, 0277, 0300, 0301, 0302, 0140, 0072, 0043, 0100, 0047, 0075, 0042,
    0303, 0141, 0142, 0143, 0144, 0145, 0146, 0147, 0150, 0151, 0304, 0305, 0306, 0307, 0310, 0311,
    0312, 0152, 0153, 0154, 0155, 0156, 0157, 0160, 0161, 0162, 0136, 0314, 0315, 0316, 0317, 0320,
    0321, 0345, 0163, 0164, 0165, 0166, 0167, 0170, 0171, 0172, 0322, 0323, 0324, 0133, 0326, 0327,
    0330, 0331, 0332, 0333, 0334, 0335, 0336, 0337, 0340, 0341, 0342, 0343, 0344, 0135, 0346, 0347,
    0173, 0101, 0102, 0103, 0104, 0105, 0106, 0107, 0110, 0111, 0350, 0351, 0352, 0353, 0354, 0355,
    0175, 0112, 0113, 0114, 0115, 0116, 0117, 0120, 0121, 0122, 0356, 0357, 0360, 0361, 0362, 0363,
    0134, 0237, 0123, 0124, 0125, 0126, 0127, 0130, 0131, 0132, 0364, 0365, 0366, 0367, 0370, 0371,
    0060, 0061, 0062, 0063, 0064, 0065, 0066, 0067, 0070, 0071, 0372, 0373, 0374, 0375, 0376, 0377};
constexpr std::array<char, 256> make_ebcdic_text() {
    std::array<char, 256> t{};
    for (int b = 0; b < 256; ++b) {
        int a = b < 64 ? '.' : kEbcdicToAscii[b - 64];
        t[b] = a > 31 && a < 127 ? static_cast<char>(a) : '.';
    }
    return t;
}
constexpr auto kEbcdicText = make_ebcdic_text();

}  // namespace

XxdFormatter::XxdFormatter(const XxdLayout& layout, uint64_t offset)
    : layout_(layout),
      offset_(offset + layout.display_offset),
      text_(layout.ebcdic ? kEbcdicText.data() : kTextColumn.data()),
      digits_(layout.bits ? 8 : 2) {
    size_t cols = layout_.columns;
    size_t group = layout_.group;
    if (group == 0 || group > cols) group = cols;
    group_ = group;
    // xxd's arithmetic: a group is its digits and one space; -e puts byte p where
    // p ^ (group - 1) would go, and the text column where it is without -e.
    size_t group_len = group * digits_ + 1;
    byte_pos_.resize(cols);
    hex_order_.resize(cols);
    line_max_ = 0;
    for (size_t i = 0; i < cols; ++i) {
        size_t slot = layout_.little_endian ? i ^ (group - 1) : i;
        byte_pos_[i] = static_cast<uint16_t>(1 + (group_len * slot) / group);
        line_max_ = std::max<size_t>(line_max_, byte_pos_[i] + digits_);
        hex_order_[i] = static_cast<uint16_t>(i);
    }
    std::stable_sort(hex_order_.begin(), hex_order_.end(),
                     [this](uint16_t a, uint16_t b) { return byte_pos_[a] < byte_pos_[b]; });
    ascii_pos_ = 3 + (group_len * cols - 1) / group;
    line_max_ = std::max(line_max_, ascii_pos_ + cols + 1 + numbers_length(layout_.numbers, cols));
    bool plain = !layout_.bits && !layout_.color && !layout_.little_endian && !layout_.decimal &&
                 !layout_.ebcdic && layout_.numbers.type == NumberType::none;
    fast_ = plain;
    direct_color_ = init_direct_color();
    bool default_lines = cols == 16 && group == 2 && plain;
    simd_ = default_lines ? resolve_simd_path(layout_.simd) : SimdPath::scalar;
}

void XxdFormatter::format(const unsigned char* bytes, size_t n, OutputBuffer& out) {
    size_t cols = layout_.columns;
    if (simd_ != SimdPath::scalar) {
        size_t done = format_default_lines(bytes, n, out);
        bytes += done;
        n -= done;
    }
    if (fast_ || direct_color_) {
        while (n >= cols && offset_ <= UINT32_MAX - cols) {
            if (fast_) {
                format_full_hex_line(bytes, out);
            } else {
                format_full_colored_line(bytes, out);
            }
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

// xxd's line: spaces, then each byte's digits and its text character in turn
// (with -e and a group wider than a line, later digits overwrite earlier text,
// as in xxd), cut after the last text character. Returns the length.
size_t XxdFormatter::format_plain_line(char* line, const unsigned char* bytes, size_t n) {
    size_t addr_len;
    if (layout_.decimal) {
        char addr[24];
        int len = std::snprintf(addr, sizeof addr, "%08ld", static_cast<long>(offset_));
        addr_len = static_cast<size_t>(len) + 1;
        std::memcpy(line, addr, addr_len - 1);
    } else {
        addr_len = (offset_ >> 32 ? hex_width(offset_) : 8) + 1;
        format_hex_offset(line, offset_, 8);
    }
    line[addr_len - 1] = ':';
    addr_len_ = addr_len;
    char* body = line + addr_len;
    std::memset(body, ' ', line_max_);
    char* text = body + ascii_pos_;
    if (layout_.bits) {
        for (size_t i = 0; i < n; ++i)
            std::memcpy(body + byte_pos_[i], kBits.data() + 8 * bytes[i], 8);
    } else if (layout_.little_endian) {
        const char* pairs = hex_pair_table(layout_.upper);
        for (size_t i = 0; i < n; ++i) {
            std::memcpy(body + byte_pos_[i], pairs + 2 * bytes[i], 2);
            text[i] = text_[bytes[i]];
        }
    } else {
        const char* pairs = hex_pair_table(layout_.upper);
        for (size_t i = 0; i < n; ++i) std::memcpy(body + byte_pos_[i], pairs + 2 * bytes[i], 2);
    }
    if (!layout_.little_endian)
        for (size_t i = 0; i < n; ++i) text[i] = text_[bytes[i]];
    char* end = text + n;
    if (layout_.numbers.type != NumberType::none) {
        // --as: the text column padded to a whole line, then the values.
        end = format_numbers(text + layout_.columns + 1, bytes, n, layout_.numbers);
    }
    *end = '\n';
    return static_cast<size_t>(end + 1 - line);
}

void XxdFormatter::format_line(const unsigned char* bytes, size_t n, OutputBuffer& out) {
    char* line = out.reserve(24 + line_max_);
    out.commit(format_plain_line(line, bytes, n));
}

// The plain line painted: marks at each byte's digits (in column order) and
// text character, one escape per run of a class (color_runs.hpp).
void XxdFormatter::format_line_colored(const unsigned char* bytes, size_t n, OutputBuffer& out) {
    line_.resize(24 + line_max_ + kPaintSlack);
    size_t len = format_plain_line(line_.data(), bytes, n);
    size_t addr_len = addr_len_;
    marks_.clear();
    for (uint16_t i : hex_order_)
        if (i < n)
            marks_.push_back(
                {static_cast<uint16_t>(addr_len + byte_pos_[i]), kByteClassOf[bytes[i]]});
    for (size_t i = 0; i < n; ++i)
        marks_.push_back(
            {static_cast<uint16_t>(addr_len + ascii_pos_ + i), kByteClassOf[bytes[i]]});
    marks_.push_back({static_cast<uint16_t>(addr_len + ascii_pos_ + n), kPaintPlain});
    paint_line(std::string_view(line_.data(), len), marks_.data(), marks_.size(), out);
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
        format_lines(reinterpret_cast<const unsigned char*>(carry_.data()), columns_);
        carry_.clear();
    }
    size_t whole = n - n % columns_;
    format_lines(p, whole);
    carry_.assign(reinterpret_cast<const char*>(p + whole), n - whole);
}

// Whole lines; with -a, xxd's xxdline(): the first NUL line of a run is shown,
// the second is held, a third makes the held line a '*' when the run ends.
void XxdWriter::format_lines(const unsigned char* bytes, size_t n) {
    if (!autoskip_) return formatter_.format(bytes, n, out_);
    size_t run = 0;  // lines with a nonzero byte, not yet formatted
    for (size_t at = 0; at < n; at += columns_) {
        const unsigned char* line = bytes + at;
        bool nul = line[0] == 0 && std::memcmp(line, line + 1, columns_ - 1) == 0;
        if (!nul) {
            if (nul_lines_ > 0 && run == 0) {
                if (nul_lines_ == 2) format_nul_line();
                if (nul_lines_ > 2) out_.write("*\n");
                nul_lines_ = 0;
            }
            run += columns_;
            continue;
        }
        formatter_.format(line - run, run, out_);
        run = 0;
        if (nul_lines_ == 1) second_nul_offset_ = formatter_.offset();
        if (nul_lines_++ == 0) {
            formatter_.format(line, columns_, out_);
        } else {
            formatter_.set_offset(formatter_.offset() + columns_);
        }
    }
    formatter_.format(bytes + n - run, run, out_);
}

void XxdWriter::format_nul_line() {
    uint64_t next = formatter_.offset();
    formatter_.set_offset(second_nul_offset_);
    static const unsigned char zeros[kXxdMaxColumns] = {};
    formatter_.format(zeros, columns_, out_);
    formatter_.set_offset(next);
}

void XxdWriter::finish() {
    if (autoskip_ && nul_lines_ > 0) {
        // A part line counts as nonzero; after whole lines the last one is shown.
        if (!carry_.empty()) {
            if (nul_lines_ == 2) format_nul_line();
            if (nul_lines_ > 2) out_.write("*\n");
        } else {
            --nul_lines_;
            if (nul_lines_ == 2) format_nul_line();
            if (nul_lines_ > 2) out_.write("*\n");
            if (nul_lines_ > 0) {
                formatter_.set_offset(formatter_.offset() - columns_);
                static const unsigned char zeros[kXxdMaxColumns] = {};
                formatter_.format(zeros, columns_, out_);
            }
        }
        nul_lines_ = 0;
    }
    formatter_.format(reinterpret_cast<const unsigned char*>(carry_.data()), carry_.size(), out_);
    carry_.clear();
}

}  // namespace ptool
