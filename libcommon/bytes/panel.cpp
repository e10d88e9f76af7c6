// hexyl 0.8's layout (panel.hpp), a line at a time into a reused buffer: the
// borders of the chosen style, "xx " from the pair table, the character panel
// from a table of UTF-8 sequences; colored lines go through paint_line.
#include "libcommon/bytes/panel.hpp"

#include <array>
#include <cstring>

#include "libcommon/bytes/hex.hpp"

namespace ptool {

namespace {

// hexyl's character panel: printable ASCII as itself, NUL '0', ASCII
// whitespace (Rust's: space, TAB, LF, FF, CR) as itself for a space and '_'
// otherwise, other ASCII '•', the rest '×'. Length first, then the bytes.
struct PanelChar {
    uint8_t len;
    char bytes[3];
};
constexpr std::array<PanelChar, 256> make_panel_chars() {
    std::array<PanelChar, 256> t{};
    for (int b = 0; b < 256; ++b) {
        if (b == 0) {
            t[b] = {1, {'0', 0, 0}};
        } else if (b == ' ') {
            t[b] = {1, {' ', 0, 0}};
        } else if (b == '\t' || b == '\n' || b == '\f' || b == '\r') {
            t[b] = {1, {'_', 0, 0}};
        } else if (b > 0x20 && b < 0x7F) {
            t[b] = {1, {static_cast<char>(b), 0, 0}};
        } else if (b < 0x80) {
            t[b] = {3, {'\xe2', '\x80', '\xa2'}};  // •
        } else {
            t[b] = {2, {'\xc3', '\x97', 0}};  // ×
        }
    }
    return t;
}
constexpr auto kPanelChars = make_panel_chars();

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

}  // namespace

PanelWriter::PanelWriter(OutputBuffer& out, uint64_t offset, PanelBorder border, bool color,
                         bool squeeze)
    : ByteWriter(out), offset_(offset), border_(border), color_(color), squeeze_(squeeze) {
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
            const PanelChar& c = kPanelChars[bytes[i]];
            std::memcpy(o, c.bytes, 3);
            o += c.len;
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
