#include "libcommon/bytes/dump.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <type_traits>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "libcommon/core/error.hpp"

namespace ptool {

namespace {

constexpr char kDigits[] = "0123456789abcdef";
constexpr std::string_view kReset = "\x1b[0m";

constexpr std::array<char, 2048> make_bits() {
    std::array<char, 2048> t{};
    for (int b = 0; b < 256; ++b)
        for (int i = 0; i < 8; ++i) t[8 * b + i] = (b >> (7 - i)) & 1 ? '1' : '0';
    return t;
}
constexpr auto kBits = make_bits();

constexpr std::array<char, 256> make_text_column() {
    std::array<char, 256> t{};
    for (int b = 0; b < 256; ++b) t[b] = b >= 0x20 && b < 0x7F ? static_cast<char>(b) : '.';
    return t;
}
constexpr auto kTextColumn = make_text_column();

size_t hex_width(uint64_t v) {
    size_t n = 1;
    while (v >>= 4) ++n;
    return n;
}

// Writes `count` spaces.
char* spaces(char* o, size_t count) {
    std::memset(o, ' ', count);
    return o + count;
}

}  // namespace

ByteClass classify_byte(unsigned char b) {
    if (b == 0) return ByteClass::null;
    if (b == ' ' || (b >= '\t' && b <= '\r')) return ByteClass::whitespace;
    if (b > 0x20 && b < 0x7F) return ByteClass::printable;
    if (b < 0x80) return ByteClass::other_ascii;
    return ByteClass::non_ascii;
}

std::string_view byte_class_color(ByteClass c) {
    switch (c) {
        case ByteClass::null: return "\x1b[90m";         // bright black, as hexyl
        case ByteClass::printable: return "\x1b[36m";    // cyan
        case ByteClass::whitespace: return "\x1b[32m";   // green
        case ByteClass::other_ascii: return "\x1b[35m";  // magenta
        case ByteClass::non_ascii: return "\x1b[33m";    // yellow
    }
    return kReset;
}

char* format_hex_offset(char* out, uint64_t offset, int width) {
    size_t n = hex_width(offset);
    if (n < static_cast<size_t>(width)) n = static_cast<size_t>(width);
    for (size_t i = n; i-- > 0;) {
        out[i] = kDigits[offset & 15];
        offset >>= 4;
    }
    return out + n;
}

// ---------------------------------------------------------------------------
// xxd

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
    const __m128i lower = load(kDigits);
    const __m128i digits = upper ? load("0123456789ABCDEF") : lower;
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
    const char* lower = hex_pair_table(false);
    char* line = out.reserve(len);
    auto off = static_cast<uint32_t>(offset_);
    std::memcpy(line, lower + 2 * (off >> 24), 2);
    std::memcpy(line + 2, lower + 2 * ((off >> 16) & 0xFF), 2);
    std::memcpy(line + 4, lower + 2 * ((off >> 8) & 0xFF), 2);
    std::memcpy(line + 6, lower + 2 * (off & 0xFF), 2);
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
    spaces(body, ascii_pos_);
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
        line += kReset;
        col = byte_pos_[i] + digits_;
    }
    line.append(ascii_pos_ - col, ' ');
    for (size_t i = 0; i < n; ++i) {
        line += byte_class_color(classify_byte(bytes[i]));
        line += kTextColumn[bytes[i]];
        line += kReset;
    }
    line += '\n';
    out.write(line);
}

// ---------------------------------------------------------------------------
// hexdump -C

void HexdumpFormatter::format(const unsigned char* bytes, size_t n, OutputBuffer& out) {
    if (n > 0) any_ = true;
    if (partial_len_ > 0) {
        size_t take = std::min(n, 16 - partial_len_);
        std::memcpy(partial_ + partial_len_, bytes, take);
        partial_len_ += take;
        bytes += take;
        n -= take;
        if (partial_len_ < 16) return;
        format_line(partial_, 16, out);
        partial_len_ = 0;
    }
    while (n >= 16) {
        format_line(bytes, 16, out);
        bytes += 16;
        n -= 16;
    }
    std::memcpy(partial_, bytes, n);
    partial_len_ = n;
}

void HexdumpFormatter::format_line(const unsigned char* bytes, size_t n, OutputBuffer& out) {
    if (n == 16) {
        if (have_previous_ && std::memcmp(bytes, previous_, 16) == 0) {
            if (!squeezing_) out.write("*\n");
            squeezing_ = true;
            offset_ += 16;
            return;
        }
        std::memcpy(previous_, bytes, 16);
        have_previous_ = true;
        squeezing_ = false;
    }
    if (color_) {
        std::string line;
        char addr[20];
        line.append(addr, format_hex_offset(addr, offset_, 8));
        line += "  ";
        for (size_t i = 0; i < 16; ++i) {
            if (i == 8) line += ' ';
            if (i < n) {
                line += byte_class_color(classify_byte(bytes[i]));
                line.append(hex_pair_table(false) + 2 * bytes[i], 2);
                line += kReset;
                line += ' ';
            } else {
                line += "   ";
            }
        }
        line += " |";
        for (size_t i = 0; i < n; ++i) {
            line += byte_class_color(classify_byte(bytes[i]));
            line += kTextColumn[bytes[i]];
            line += kReset;
        }
        line += "|\n";
        out.write(line);
    } else if (n == 16 && offset_ <= UINT32_MAX) {
        // The hot path, front to back: each byte is "xx " from one 4-byte store.
        char* line = out.reserve(79);
        const char* lower = hex_pair_table(false);
        auto off = static_cast<uint32_t>(offset_);
        std::memcpy(line, lower + 2 * (off >> 24), 2);
        std::memcpy(line + 2, lower + 2 * ((off >> 16) & 0xFF), 2);
        std::memcpy(line + 4, lower + 2 * ((off >> 8) & 0xFF), 2);
        std::memcpy(line + 6, lower + 2 * (off & 0xFF), 2);
        line[8] = ' ';
        line[9] = ' ';
        char* o = line + 10;
        for (size_t i = 0; i < 16; ++i) {
            uint16_t pair;
            std::memcpy(&pair, lower + 2 * bytes[i], 2);
            uint32_t v = pair | (uint32_t(' ') << 16) | (uint32_t(' ') << 24);
            std::memcpy(o, &v, 4);
            o += i == 7 ? 4 : 3;
        }
        o[0] = ' ';
        o[1] = '|';
        char* text = o + 2;
        for (size_t i = 0; i < 16; ++i) {
            unsigned char b = bytes[i];
            text[i] = static_cast<unsigned char>(b - 0x20) < 0x5F ? static_cast<char>(b) : '.';
        }
        text[16] = '|';
        text[17] = '\n';
        out.commit(79);
    } else {
        size_t addr_len = offset_ >> 32 ? hex_width(offset_) : 8;
        size_t len = addr_len + 52 + 1 + n + 2;
        char* line = out.reserve(len);
        format_hex_offset(line, offset_, 8);
        char* body = spaces(line + addr_len, 52);
        body[0] = '|';
        char* hex = line + addr_len + 2;
        for (size_t i = 0; i < n; ++i)
            std::memcpy(hex + 3 * i + (i >= 8), hex_pair_table(false) + 2 * bytes[i], 2);
        char* text = body + 1;
        for (size_t i = 0; i < n; ++i) text[i] = kTextColumn[bytes[i]];
        text[n] = '|';
        text[n + 1] = '\n';
        out.commit(len);
    }
    offset_ += n;
}

void HexdumpFormatter::finish(OutputBuffer& out) {
    if (partial_len_ > 0) {
        format_line(partial_, partial_len_, out);
        partial_len_ = 0;
    }
    if (!any_) return;  // empty input (or a seek past the end): no output at all
    char line[24];
    char* end = format_hex_offset(line, offset_, 8);
    *end++ = '\n';
    out.write(std::string_view(line, static_cast<size_t>(end - line)));
}

// ---------------------------------------------------------------------------
// xxd -r

namespace {

constexpr std::array<signed char, 256> make_nibbles() {
    std::array<signed char, 256> t{};
    for (auto& v : t) v = -1;
    for (int c = '0'; c <= '9'; ++c) t[c] = static_cast<signed char>(c - '0');
    for (int c = 'a'; c <= 'f'; ++c) t[c] = static_cast<signed char>(c - 'a' + 10);
    for (int c = 'A'; c <= 'F'; ++c) t[c] = static_cast<signed char>(c - 'A' + 10);
    return t;
}
constexpr auto kNibbles = make_nibbles();

}  // namespace

void XxdReverseDecoder::move_to(uint64_t position, std::string& out) {
    if (on_seek) {
        if (!on_seek(out, have_, position))
            throw DecodeError(position < have_ ? "cannot seek backwards in the output"
                                               : "cannot seek in the output",
                              line_, column_);
    } else if (position > have_ && position - have_ <= max_gap) {
        out.append(static_cast<size_t>(position - have_), '\0');
    } else {
        throw DecodeError(position < have_ ? "offset goes backwards" : "offset jumps too far ahead",
                          line_, column_);
    }
    have_ = position;
}

// xxd's loop, character by character, with a fast path for the usual "hhhh hhhh" run.
void XxdReverseDecoder::feed(std::string_view text, std::string& out) {
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const auto* end = p + text.size();
    const unsigned char* line_begin = p;  // the column of p is (p - line_begin) + col0
    size_t col0 = column_;
    // Bytes go straight into `out`, sized for the most this chunk can give;
    // it is cut to what was written before a move and at the end.
    size_t start = out.size();
    out.resize(start + text.size() / 2 + 1);
    char* o = out.data() + start;
    auto emit = [&](int hi, int lo) {
        *o++ = static_cast<char>((hi << 4) | lo);
        ++have_;
        ++want_;
        n1_ = -1;
        n2_ = hi;
        n3_ = -1;
        if (++p_ >= columns_) skip_line_ = true;
    };
    for (; p < end; ++p) {
        bool ends_line = false;  // xxd's reset at a newline: back to the offset
        if (skip_line_) {
            const void* nl = std::memchr(p, '\n', static_cast<size_t>(end - p));
            if (!nl) {
                p = end;
                break;
            }
            p = static_cast<const unsigned char*>(nl);
            skip_line_ = false;
            ends_line = true;
        } else {
            // Right after a byte, with nothing to move: pairs, or a separator and a pair.
            // The same as emit() per pair, with the state in locals: stores through the
            // char pointer `o` would make the compiler reload every member per byte.
            if (n1_ < 0 && n2_ >= 0 && p_ < columns_ && want_ == have_) {
                size_t count = p_;
                int hi = n2_;
                char* w = o;
                for (; count < columns_; ++count) {
                    int lo;
                    if (end - p >= 2 && (kNibbles[p[0]] | kNibbles[p[1]]) >= 0) {
                        hi = kNibbles[p[0]];
                        lo = kNibbles[p[1]];
                        p += 2;
                    } else if (end - p >= 3 && kNibbles[p[0]] < 0 && p[0] != '\r' && p[0] != '\n' &&
                               (kNibbles[p[1]] | kNibbles[p[2]]) >= 0) {
                        hi = kNibbles[p[1]];
                        lo = kNibbles[p[2]];
                        p += 3;
                    } else {
                        break;
                    }
                    *w++ = static_cast<char>((hi << 4) | lo);
                }
                if (size_t n = count - p_; n > 0) {
                    o = w;
                    have_ += n;
                    want_ += n;
                    p_ = count;
                    n1_ = -1;
                    n2_ = hi;
                    n3_ = -1;
                    if (p_ >= columns_) skip_line_ = true;
                }
            }
            if (p == end) break;
            if (skip_line_) {
                --p;  // the loop's ++p comes back to the character after the last byte
                continue;
            }
            // The offset's digits, in locals: what the character loop below does with each.
            if (p_ >= columns_ && kNibbles[*p] >= 0) {
                int a = n1_, b = n2_, c3 = n3_;
                uint64_t want = want_;
                do {
                    c3 = b;
                    b = a;
                    a = kNibbles[*p];
                    want = (want << 4) | static_cast<unsigned>(a);
                } while (++p < end && kNibbles[*p] >= 0);
                n1_ = a;
                n2_ = b;
                n3_ = c3;
                want_ = want;
                skip_garbage_ = false;
                if (p == end) break;
            }
            unsigned char c = *p;
            if (c == '\r') continue;
            n3_ = n2_;
            n2_ = n1_;
            n1_ = kNibbles[c];
            if (n1_ < 0 && skip_garbage_) {
                // Leading garbage; the line's state is fresh already.
            } else if (skip_garbage_ = false; p_ >= columns_) {
                // The offset: its digits, ended by the first other character (a
                // newline too, which then does not end the line: xxd's quirk, kept).
                if (n1_ < 0) {
                    p_ = 0;
                } else {
                    want_ = (want_ << 4) | static_cast<unsigned>(n1_);
                }
            } else {
                if (want_ != have_) {
                    column_ = static_cast<size_t>(p - line_begin) + col0;
                    out.resize(static_cast<size_t>(o - out.data()));
                    move_to(want_, out);
                    size_t kept = out.size();
                    out.resize(kept + static_cast<size_t>(end - p) / 2 + 1);
                    o = out.data() + kept;
                }
                if (n2_ >= 0 && n1_ >= 0) {
                    int n3 = n3_;
                    emit(n2_, n1_);
                    n3_ = n3;
                } else if (n1_ < 0 && n2_ < 0 && n3_ < 0 && c != '\n') {
                    skip_line_ = true;  // three non-hex characters in a row: the text column
                }
                ends_line = c == '\n';
            }
            if (c != '\n') continue;
        }
        if (ends_line) {
            want_ = 0;
            p_ = columns_;
            skip_garbage_ = true;
        }
        ++line_;
        line_begin = p + 1;
        col0 = 1;
    }
    out.resize(static_cast<size_t>(o - out.data()));
    column_ = static_cast<size_t>(end - line_begin) + col0;
}

void XxdReverseDecoder::finish(std::string&) {}

}  // namespace ptool

// ---------------------------------------------------------------------------
// Writers

namespace ptool {

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

void HexdumpWriter::write(std::string_view bytes) {
    formatter_.format(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), out_);
}

void EncodedTextWriter::emit(const char* text, size_t n) {
    if (wrap_ == 0) {
        out_.write(std::string_view(text, n));
        return;
    }
    while (n > 0) {
        size_t take = std::min(n, wrap_ - column_);
        out_.write(std::string_view(text, take));
        text += take;
        n -= take;
        column_ += take;
        if (column_ == wrap_) {
            out_.put('\n');
            column_ = 0;
        }
    }
}

void EncodedTextWriter::write(std::string_view bytes) {
    constexpr size_t kBlock = 48 * 1024;  // a multiple of 3
    bool hex = form_ == Form::hex;
    bool url = form_ == Form::base64url;
    // Bytes -> text; `n` is a whole number of base64 groups unless it is the end.
    auto encode = [&](char* o, const char* p, size_t n) {
        auto* u = reinterpret_cast<const unsigned char*>(p);
        return hex ? hex_encode_to(o, u, n, upper_) : base64_encode_to(o, u, n, url);
    };
    if (!pending_.empty()) {
        size_t take = std::min(bytes.size(), 3 - pending_.size());
        pending_.append(bytes.substr(0, take));
        bytes.remove_prefix(take);
        if (pending_.size() < 3) return;
        char quad[4];
        emit(quad, static_cast<size_t>(encode(quad, pending_.data(), 3) - quad));
        pending_.clear();
    }
    // Whole lines straight into the output buffer when lines hold whole groups.
    size_t chars_per_group = hex ? 2 : 4, bytes_per_group = hex ? 1 : 3;
    if (wrap_ > 0 && wrap_ % chars_per_group == 0 && column_ % chars_per_group == 0) {
        size_t line_bytes = wrap_ / chars_per_group * bytes_per_group;
        if (column_ > 0) {
            size_t take =
                std::min(bytes.size(), (wrap_ - column_) / chars_per_group * bytes_per_group);
            take -= take % bytes_per_group;
            scratch_.resize(take / bytes_per_group * chars_per_group);
            encode(scratch_.data(), bytes.data(), take);
            emit(scratch_.data(), scratch_.size());
            bytes.remove_prefix(take);
        }
        if (column_ == 0 && wrap_ < out_.capacity()) {
            // Many lines a call, so the vector encoders run on without a scalar
            // tail each line; then each line is copied out with its newline.
            auto copy_lines = [&](auto width, size_t lines) {
                for (size_t k = 0; k < lines; ++k) {
                    char* o = out_.reserve(width + 1);
                    std::memcpy(o, scratch_.data() + k * width, width);
                    o[width] = '\n';
                    out_.commit(width + 1);
                }
            };
            while (bytes.size() >= line_bytes) {
                size_t lines = std::min<size_t>(bytes.size() / line_bytes, 64);
                scratch_.resize(lines * wrap_);
                encode(scratch_.data(), bytes.data(), lines * line_bytes);
                if (wrap_ == 76) {
                    copy_lines(std::integral_constant<size_t, 76>(), lines);  // base64's default
                } else {
                    copy_lines(wrap_, lines);
                }
                bytes.remove_prefix(lines * line_bytes);
            }
        }
    }
    while (bytes.size() >= bytes_per_group) {
        size_t take = std::min(bytes.size() - bytes.size() % bytes_per_group, kBlock);
        scratch_.resize(take / bytes_per_group * chars_per_group);
        encode(scratch_.data(), bytes.data(), take);
        emit(scratch_.data(), scratch_.size());
        bytes.remove_prefix(take);
    }
    pending_.assign(bytes);
}

void EncodedTextWriter::finish() {
    if (!pending_.empty()) {
        char quad[4];
        char* end = base64_encode_to(quad, reinterpret_cast<const unsigned char*>(pending_.data()),
                                     pending_.size(), form_ == Form::base64url);
        emit(quad, static_cast<size_t>(end - quad));
        pending_.clear();
    }
    if (wrap_ != 0 && (column_ != 0 || wrap_ == kOneLine)) {  // xxd -p -c0: "\n" for nothing
        out_.put('\n');
        column_ = 0;
    }
}

namespace {

// Decimal text of every byte value with a leading comma: ",255".
struct Decimal {
    char text[4];
    unsigned char len;
};
constexpr std::array<Decimal, 256> make_decimals() {
    std::array<Decimal, 256> t{};
    for (int b = 0; b < 256; ++b) {
        Decimal d{{',', 0, 0, 0}, 1};
        if (b >= 100) d.text[d.len++] = static_cast<char>('0' + b / 100);
        if (b >= 10) d.text[d.len++] = static_cast<char>('0' + b / 10 % 10);
        d.text[d.len++] = static_cast<char>('0' + b % 10);
        t[b] = d;
    }
    return t;
}
constexpr auto kDecimals = make_decimals();

}  // namespace

void JsonBufferWriter::write(std::string_view bytes) {
    if (bytes.empty()) return;
    size_t i = 0;
    if (!started_) {
        out_.write("{\"type\":\"Buffer\",\"data\":[");
        const Decimal& d = kDecimals[static_cast<unsigned char>(bytes[0])];
        out_.write(std::string_view(d.text + 1, d.len - 1u));
        started_ = true;
        i = 1;
    }
    while (i < bytes.size()) {
        size_t take = std::min<size_t>(bytes.size() - i, 8192);
        char* o = out_.reserve(take * 4);
        char* start = o;
        for (size_t k = 0; k < take; ++k) {
            const Decimal& d = kDecimals[static_cast<unsigned char>(bytes[i + k])];
            std::memcpy(o, d.text, 4);
            o += d.len;
        }
        out_.commit(static_cast<size_t>(o - start));
        i += take;
    }
}

void JsonBufferWriter::finish() {
    out_.write(started_ ? "]}\n" : "{\"type\":\"Buffer\",\"data\":[]}\n");
}

void CArrayWriter::write(std::string_view bytes) {
    if (bytes.empty()) return;
    if (count_ == 0 && !name_.empty()) out_.write("unsigned char " + name_ + "[] = {\n");
    const char* pairs = hex_pair_table(upper_);
    const char x = upper_ ? 'X' : 'x';
    for (unsigned char b : bytes) {
        char* o = out_.reserve(8);
        char* start = o;
        if (count_ % columns_ == 0) {
            if (count_ > 0) *o++ = ',', *o++ = '\n';
            *o++ = ' ', *o++ = ' ';
        } else {
            *o++ = ',', *o++ = ' ';
        }
        *o++ = '0';
        *o++ = x;
        std::memcpy(o, pairs + 2 * b, 2);
        o += 2;
        out_.commit(static_cast<size_t>(o - start));
        ++count_;
    }
}

void CArrayWriter::finish() {
    if (count_ > 0) out_.put('\n');
    if (name_.empty()) return;
    if (count_ == 0) out_.write("unsigned char " + name_ + "[] = {\n");
    out_.write("};\nunsigned int " + name_ + "_len = " + std::to_string(count_) + ";\n");
}

std::string c_array_name(std::string_view file_name) {
    std::string name;
    if (!file_name.empty() && file_name[0] >= '0' && file_name[0] <= '9') name = "__";
    for (char c : file_name) {
        bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        name += alnum ? c : '_';
    }
    return name;
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
