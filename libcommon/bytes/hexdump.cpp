// hexdump -C lines (hexdump.hpp): a whole line below 4 GiB front to back with
// one 4-byte store a byte, or colored with an escape where the class changes;
// part lines and high offsets (plain, or painted when colored) from a plain line.
#include "libcommon/bytes/hexdump.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "libcommon/bytes/byte_class.hpp"
#include "libcommon/bytes/color_runs.hpp"
#include "libcommon/bytes/hex.hpp"
#include "libcommon/bytes/tables.hpp"

namespace ptool {

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
        if (squeeze_ && have_previous_ && std::memcmp(bytes, previous_, 16) == 0) {
            if (!squeezing_) out.write("*\n");
            squeezing_ = true;
            offset_ += 16;
            return;
        }
        std::memcpy(previous_, bytes, 16);
        have_previous_ = true;
        squeezing_ = false;
    }
    if (color_ && n == 16 && offset_ <= UINT32_MAX && !paint_plain_lines_) {
        format_full_colored_line(bytes, out);
    } else if (color_) {
        format_line_colored(bytes, n, out);
    } else if (n == 16 && offset_ <= UINT32_MAX) {
        // The hot path, front to back: each byte is "xx " from one 4-byte store.
        char* line = out.reserve(79);
        const char* lower = hex_pair_table(false);
        format_hex_offset8(line, static_cast<uint32_t>(offset_));
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
        std::memset(line + addr_len, ' ', 52);
        char* body = line + addr_len + 52;
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

// The plain line painted by byte class, one escape a run; the bars stay plain.
void HexdumpFormatter::format_line_colored(const unsigned char* bytes, size_t n,
                                           OutputBuffer& out) {
    char line[24 + 52 + 16 + 2 + kPaintSlack];
    size_t addr_len = offset_ >> 32 ? hex_width(offset_) : 8;
    format_hex_offset(line, offset_, 8);
    std::memset(line + addr_len, ' ', 52);
    char* hex = line + addr_len + 2;
    for (size_t i = 0; i < n; ++i)
        std::memcpy(hex + 3 * i + (i >= 8), hex_pair_table(false) + 2 * bytes[i], 2);
    char* bar = line + addr_len + 52;
    bar[0] = '|';
    for (size_t i = 0; i < n; ++i) bar[1 + i] = kTextColumn[bytes[i]];
    bar[n + 1] = '|';
    bar[n + 2] = '\n';
    ColorMark marks[2 * 16 + 2];
    size_t count = 0;
    auto column = [&](const char* at) { return static_cast<uint16_t>(at - line); };
    for (size_t i = 0; i < n; ++i)
        marks[count++] = {column(hex + 3 * i + (i >= 8)), kByteClassOf[bytes[i]]};
    marks[count++] = {column(bar), kPaintPlain};
    for (size_t i = 0; i < n; ++i) marks[count++] = {column(bar + 1 + i), kByteClassOf[bytes[i]]};
    marks[count++] = {column(bar + 1 + n), kPaintPlain};
    paint_line(std::string_view(line, static_cast<size_t>(bar + n + 3 - line)), marks, count, out);
}

// The colored hot path, written directly as xxd's (xxd_color.cpp): an escape
// stored for every byte, stepped over unless the class changes; each bar is
// preceded by a reset, and the text column's first byte reopens its color.
void HexdumpFormatter::format_full_colored_line(const unsigned char* bytes, OutputBuffer& out) {
    constexpr size_t kMax = 10 + 16 * (kClassEscapeLen + 8) + 8 + 16 * (kClassEscapeLen + 1) + 8;
    char* start = out.reserve(kMax);
    format_hex_offset8(start, static_cast<uint32_t>(offset_));
    start[8] = ' ';
    start[9] = ' ';
    char* o = start + 10;
    const char* pairs = kPaddedHexPairsLower.data();
    uint8_t classes[16];
    unsigned current = kPaintPlain;
    for (size_t i = 0; i < 16; ++i) {
        unsigned c = kByteClassOf[bytes[i]];
        classes[i] = static_cast<uint8_t>(c);
        // "xx " and one more blank after each half.
        o = put_colored_cell(o, c, current, pairs + 8 * bytes[i], i == 7 || i == 15 ? 4 : 3);
    }
    std::memcpy(o, "\x1b[0m|\0\0\0", 8);
    o += 5;
    current = kPaintPlain;
    for (size_t i = 0; i < 16; ++i) {
        unsigned c = classes[i];
        std::memcpy(o, kClassEscapes[c], 8);
        o += c != current ? kClassEscapeLen : 0;
        current = c;
        *o++ = kTextColumn[bytes[i]];
    }
    std::memcpy(o, "\x1b[0m|\n\0\0", 8);
    o += 6;
    out.commit(static_cast<size_t>(o - start));
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

void HexdumpWriter::write(std::string_view bytes) {
    formatter_.format(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), out_);
}

}  // namespace ptool
