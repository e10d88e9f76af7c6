// hexyl 0.8's layout (panel.hpp): each line written directly into the output,
// front to back, from tables: the borders of the chosen style in 8-byte slots,
// "xx " from the padded pair table, the character panel's UTF-8 sequences in
// 8-byte cells; colored, as xxd's lines (xxd_color.cpp), with each byte's escape
// stored and stepped over unless the class changes. The line builder with color
// marks (a plain line, painted by paint_line) stays for tests to compare with.
#include "libcommon/bytes/panel.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "libcommon/bytes/byte_class.hpp"
#include "libcommon/bytes/hex.hpp"
#include "libcommon/bytes/tables.hpp"

namespace ptool {

namespace {

// hexyl's character panel: printable ASCII as itself, NUL '0', ASCII
// whitespace (Rust's: space, TAB, LF, FF, CR) as itself for a space and '_'
// otherwise, other ASCII '•', the rest '×'. Each byte's UTF-8 sequence in an
// 8-byte cell at [8*b] (one fixed-size copy writes it), its length apart.
struct PanelChars {
    std::array<char, 8 * 256> cells;
    std::array<uint8_t, 256> lengths;
};
constexpr PanelChars make_panel_chars() {
    PanelChars t{};
    auto set = [&t](int b, std::string_view seq) {
        for (size_t i = 0; i < seq.size(); ++i) t.cells[8 * size_t(b) + i] = seq[i];
        t.lengths[size_t(b)] = static_cast<uint8_t>(seq.size());
    };
    for (int b = 0; b < 256; ++b) {
        if (b == 0) {
            set(b, "0");
        } else if (b == ' ') {
            set(b, " ");
        } else if (b == '\t' || b == '\n' || b == '\f' || b == '\r') {
            set(b, "_");
        } else if (b > 0x20 && b < 0x7F) {
            const char c[] = {static_cast<char>(b)};
            set(b, std::string_view(c, 1));
        } else if (b < 0x80) {
            set(b, "\u2022");  // •
        } else {
            set(b, "\u00d7");  // ×
        }
    }
    return t;
}
constexpr PanelChars kPanelChars = make_panel_chars();

// Each style's pieces: outer bar, the bar between the halves, and the rules.
struct BorderStyle {
    std::string_view outer, inner;
    std::string_view top_left, top_join, top_right, bottom_left, bottom_join, bottom_right, dash;
};
constexpr BorderStyle kStyles[] = {
    {"\u2502", "\u250a", "\u250c", "\u252c", "\u2510", "\u2514", "\u2534", "\u2518", "\u2500"},
    {"|", "|", "+", "+", "+", "+", "+", "+", "-"},
    {" ", " ", "", "", "", "", "", "", ""},
};

const BorderStyle& style_of(PanelBorder b) {
    return kStyles[static_cast<int>(b)];
}

// A border piece (with what follows it) in an 8-byte slot, for one fixed-size copy.
struct Slot {
    std::array<char, 8> bytes;
    size_t len;
};
constexpr Slot make_slot(std::string_view a, std::string_view b = {}) {
    Slot s{};
    for (char c : a) s.bytes[s.len++] = c;
    for (char c : b) s.bytes[s.len++] = c;
    return s;
}
inline char* put_slot(char* o, const Slot& s) {
    std::memcpy(o, s.bytes.data(), 8);
    return o + s.len;
}
// A line's borders: before and after the offset, after each hex half,
// after each character half (the last with the newline).
struct LinePieces {
    Slot open, offset_end, hex[2], chars[2];
};
constexpr LinePieces make_line_pieces(const BorderStyle& s) {
    return {make_slot(s.outer),
            make_slot(s.outer, " "),
            {make_slot(s.inner, " "), make_slot(s.outer)},
            {make_slot(s.inner), make_slot(s.outer, "\n")}};
}
constexpr LinePieces kLinePieces[] = {make_line_pieces(kStyles[0]), make_line_pieces(kStyles[1]),
                                      make_line_pieces(kStyles[2])};
// The most a direct line's writes reach: borders and a 16-digit offset, an
// escape and an 8-byte copy a byte in each panel, the resets, a copy's overrun.
constexpr size_t kDirectLineMax = 64 + 16 * (kClassEscapeLen + 8) * 2 + 4 * 8 + 8;

// A reset where a class is in force (stored always, stepped over otherwise).
inline char* put_reset(char* o, unsigned& current) {
    std::memcpy(o, kColorReset.data(), 4);
    o += current != kPaintPlain ? kColorReset.size() : 0;
    current = kPaintPlain;
    return o;
}

}  // namespace

PanelWriter::PanelWriter(OutputBuffer& out, uint64_t offset, PanelBorder border, bool color,
                         bool squeeze, bool paint_plain_lines)
    : ByteWriter(out),
      offset_(offset),
      border_(border),
      color_(color),
      squeeze_(squeeze),
      paint_plain_lines_(paint_plain_lines) {
    line_.resize(256);
}

void PanelWriter::write_rule(bool top) {
    if (border_ == PanelBorder::none) return;
    const BorderStyle& s = style_of(border_);
    std::string rule(top ? s.top_left : s.bottom_left);
    int widths[] = {8, 25, 25, 8, 8};
    for (int k = 0; k < 5; ++k) {
        if (k > 0) rule += top ? s.top_join : s.bottom_join;
        for (int i = 0; i < widths[k]; ++i) rule += s.dash;
    }
    rule += top ? s.top_right : s.bottom_right;
    rule += '\n';
    out_.write(rule);
}

void PanelWriter::format_line(const unsigned char* bytes, size_t n) {
    if (!paint_plain_lines_) {
        if (color_) {
            format_direct_line<true>(bytes, n);
        } else {
            format_direct_line<false>(bytes, n);
        }
        return;
    }
    const BorderStyle& s = style_of(border_);
    char* line = line_.data();
    char* o = line;
    size_t marks = 0;
    auto put = [&o](std::string_view piece) {
        std::memcpy(o, piece.data(), piece.size());
        o += piece.size();
    };
    auto column = [&]() { return static_cast<uint16_t>(o - line); };
    put(s.outer);
    o = format_hex_offset(o, offset_, 8);
    marks_[marks++] = {column(), kPaintPlain};
    put(s.outer);
    *o++ = ' ';
    const char* pairs = hex_pair_table(false);
    for (size_t i = 0; i < 16; ++i) {
        if (i == 8) {
            marks_[marks++] = {column(), kPaintPlain};
            put(s.inner);
            *o++ = ' ';
        }
        if (i < n) {
            marks_[marks++] = {column(), kByteClassOf[bytes[i]]};
            std::memcpy(o, pairs + 2 * bytes[i], 2);
            o[2] = ' ';
        } else {
            std::memset(o, ' ', 3);
        }
        o += 3;
    }
    marks_[marks++] = {column(), kPaintPlain};
    put(s.outer);
    for (size_t i = 0; i < 16; ++i) {
        if (i == 8) {
            marks_[marks++] = {column(), kPaintPlain};
            put(s.inner);
        }
        if (i < n) {
            marks_[marks++] = {column(), kByteClassOf[bytes[i]]};
            std::memcpy(o, kPanelChars.cells.data() + 8 * bytes[i], 8);
            o += kPanelChars.lengths[bytes[i]];
        } else {
            *o++ = ' ';
        }
    }
    marks_[marks++] = {column(), kPaintPlain};
    put(s.outer);
    *o++ = '\n';
    std::string_view text(line, static_cast<size_t>(o - line));
    if (color_) {
        paint_line(text, marks_, marks, out_);
    } else {
        out_.write(text);
    }
    offset_ += n;
}

// One byte's cell: colored, class c's escape where it differs from `current`
// (put_colored_cell, as xxd's lines); plain, the cell alone.
template <bool kColor>
inline char* put_cell(char* o, unsigned c, unsigned& current, const char* cell, size_t keep) {
    if constexpr (kColor) return put_colored_cell(o, c, current, cell, keep);
    std::memcpy(o, cell, 8);
    return o + keep;
}

// A line of n <= 16 bytes front to back, plain or as the painter colors it:
// the offset and borders plain, each run of a class opened by its escape (a
// run goes on over the blanks after its digits, and the panel of a part line
// over the padding), a reset before each border that follows a colored byte.
template <bool kColor>
void PanelWriter::format_direct_line(const unsigned char* bytes, size_t n) {
    const LinePieces& pieces = kLinePieces[static_cast<int>(border_)];
    char* start = out_.reserve(kDirectLineMax);
    char* o = put_slot(start, pieces.open);
    if (offset_ >> 32) {
        o = format_hex_offset(o, offset_, 8);
    } else {
        format_hex_offset8(o, static_cast<uint32_t>(offset_));
        o += 8;
    }
    o = put_slot(o, pieces.offset_end);
    const char* pairs = kPaddedHexPairsLower.data();
    uint8_t classes[16];
    unsigned current = kPaintPlain;
    for (size_t half = 0; half < 2; ++half) {
        size_t i = 8 * half, end = i + 8, full = std::min(n, end);
        for (; i < full; ++i) {
            unsigned c = kByteClassOf[bytes[i]];
            classes[i] = static_cast<uint8_t>(c);
            o = put_cell<kColor>(o, c, current, pairs + 8 * bytes[i], 3);
        }
        for (; i < end; ++i, o += 3) std::memcpy(o, "   ", 4);
        if constexpr (kColor) o = put_reset(o, current);
        o = put_slot(o, pieces.hex[half]);
    }
    for (size_t half = 0; half < 2; ++half) {
        size_t i = 8 * half, end = i + 8, full = std::min(n, end);
        for (; i < full; ++i) {
            unsigned char b = bytes[i];
            o = put_cell<kColor>(o, classes[i], current, kPanelChars.cells.data() + 8 * b,
                                 kPanelChars.lengths[b]);
        }
        for (; i < end; ++i) *o++ = ' ';
        if constexpr (kColor) o = put_reset(o, current);
        o = put_slot(o, pieces.chars[half]);
    }
    out_.commit(static_cast<size_t>(o - start));
    offset_ += n;
}

// hexyl's '*' line, or at the end of a squeezed run, the final offset alone.
void PanelWriter::format_squeezed() {
    const BorderStyle& s = style_of(border_);
    std::string line(s.outer);
    line += "*       ";
    line += s.outer;
    line.append(25, ' ');
    line += s.inner;
    line.append(25, ' ');
    line += s.outer;
    line.append(8, ' ');
    line += s.inner;
    line.append(8, ' ');
    line += s.outer;
    line += '\n';
    out_.write(line);
}

void PanelWriter::write(std::string_view data) {
    if (!started_) {
        write_rule(true);
        started_ = true;
    }
    const auto* p = reinterpret_cast<const unsigned char*>(data.data());
    size_t n = data.size();
    while (n > 0) {
        size_t take = std::min(n, 16 - partial_len_);
        const unsigned char* line = p;
        if (partial_len_ > 0 || take < 16) {
            std::memcpy(partial_ + partial_len_, p, take);
            partial_len_ += take;
            line = partial_;
        }
        p += take;
        n -= take;
        if (line == partial_ && partial_len_ < 16) break;
        partial_len_ = 0;
        int fill = line[0];
        if (std::memcmp(line, line + 1, 15) != 0) fill = -1;
        if (squeeze_ && fill >= 0 && fill == previous_fill_) {
            if (!squeezing_) format_squeezed();
            squeezing_ = true;
            offset_ += 16;
            continue;
        }
        squeezing_ = false;
        previous_fill_ = fill;
        format_line(line, 16);
    }
}

void PanelWriter::finish() {
    if (!started_) {
        write_rule(true);
        started_ = true;
    }
    if (partial_len_ > 0) {
        format_line(partial_, partial_len_);
        partial_len_ = 0;
    } else if (squeezing_) {
        // hexyl ends a squeezed run with the offset of the end and empty panels.
        format_line(nullptr, 0);
    }
    write_rule(false);
}

}  // namespace ptool
