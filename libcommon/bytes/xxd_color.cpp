// xxd's colored lines written directly, not painted from a plain line (issue 13:
// --color=always at least 2x xxd's plain dump): for each byte its class's escape
// is always stored and stepped over only where the class changes, so a line has
// no branch a byte; the output is the painter's (color_runs.cpp) byte for byte.
#include <algorithm>
#include <array>
#include <cstring>

#include "libcommon/bytes/byte_class.hpp"
#include "libcommon/bytes/hex.hpp"
#include "libcommon/bytes/tables.hpp"
#include "libcommon/bytes/xxd.hpp"

namespace ptool {

namespace {

// The line's end: the reset and the newline, as one 8-byte copy.
constexpr char kLineEnd[8] = "\x1b[0m\n";
constexpr size_t kLineEndLen = 5;
// The most blanks after a byte's digits that one padded pair writes.
constexpr size_t kMaxGap = 6;

}  // namespace

// Hex digits in column order with an 8-digit offset and nothing after the text
// column; the blanks after each byte are worked out once here.
bool XxdFormatter::init_direct_color() {
    const XxdLayout& l = layout_;
    if (!l.color || l.paint_plain_lines || l.bits || l.little_endian || l.decimal ||
        l.numbers.type != NumberType::none)
        return false;
    size_t cols = l.columns;
    gaps_.resize(cols);
    for (size_t i = 0; i < cols; ++i) {
        size_t next = i + 1 < cols ? byte_pos_[i + 1] : ascii_pos_;
        size_t digits_end = size_t(byte_pos_[i]) + 2;
        if (next < digits_end || next - digits_end > kMaxGap) return false;
        gaps_[i] = static_cast<uint8_t>(next - digits_end);
    }
    // The offset, then at most an escape, the digits and a full pad a byte, then
    // an escape and a character a byte, the end, and a copy's overrun.
    color_line_max_ = 10 + cols * (kClassEscapeLen + 8) + cols * (kClassEscapeLen + 1) + 8;
    return true;
}

// A whole line below 4 GiB: "OOOOOOOO: ", the digits with their blanks, the text
// column; each run of a class opens with its escape (the offset is plain, and a
// run may go on from the digits into the text), the reset before the newline.
void XxdFormatter::format_full_colored_line(const unsigned char* bytes, OutputBuffer& out) {
    const size_t cols = layout_.columns;
    const char* pairs = layout_.upper ? kPaddedHexPairsUpper.data() : kPaddedHexPairsLower.data();
    const uint8_t* gaps = gaps_.data();
    char* start = out.reserve(color_line_max_);
    format_hex_offset8(start, static_cast<uint32_t>(offset_));
    start[8] = ':';
    start[9] = ' ';
    char* o = start + 10;
    uint8_t classes[kXxdMaxColumns];
    unsigned current = kPaintPlain;
    for (size_t i = 0; i < cols; ++i) {
        unsigned c = kByteClassOf[bytes[i]];
        classes[i] = static_cast<uint8_t>(c);
        o = put_colored_cell(o, c, current, pairs + 8 * bytes[i], 2 + gaps[i]);
    }
    for (size_t i = 0; i < cols; ++i) {
        unsigned c = classes[i];
        std::memcpy(o, kClassEscapes[c], 8);
        o += c != current ? kClassEscapeLen : 0;
        current = c;
        *o++ = text_[bytes[i]];
    }
    std::memcpy(o, kLineEnd, 8);
    o += kLineEndLen;
    out.commit(static_cast<size_t>(o - start));
}

}  // namespace ptool
