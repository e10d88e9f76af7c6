// xxd's dump, byte-identical to xxd 2022 (`xxd`, `-c`, `-g`, `-u`, `-b`, `-e`,
// `-d`, `-o`, `-E`, `-a`, and color by byte class), and `xxd -r`, which turns
// such a dump back into bytes.
// Formatting fills a per-line template from lookup tables into an OutputBuffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "libcommon/bytes/color_runs.hpp"
#include "libcommon/bytes/decoder.hpp"
#include "libcommon/bytes/numeric.hpp"
#include "libcommon/bytes/writer.hpp"
#include "libcommon/core/cpu.hpp"
#include "libcommon/core/output.hpp"

namespace ptool {

// xxd's limit on bytes a line.
inline constexpr size_t kXxdMaxColumns = 256;

struct XxdLayout {
    size_t columns = 16;          // bytes a line (xxd -c)
    size_t group = 2;             // bytes a group (xxd -g); 0 or > columns means one group
    bool upper = false;           // xxd -u
    bool bits = false;            // xxd -b: eight binary digits a byte
    bool little_endian = false;   // xxd -e: each group's bytes in reverse order
    bool decimal = false;         // xxd -d: offsets in decimal ("%08ld")
    bool ebcdic = false;          // xxd -E: the text column read as EBCDIC
    bool autoskip = false;        // xxd -a: a '*' for runs of NUL lines
    uint64_t display_offset = 0;  // xxd -o: added to the offsets shown (mod 2^64)
    NumberColumns numbers;        // --as: values after the text column
    bool color = false;
    SimdPath simd = SimdPath::best;  // for the default layout's lines (tests pick scalar)
    bool paint_plain_lines = false;  // color every line by painting its plain text (tests
                                     // compare the direct colored lines with it)
};

// `xxd` lines: call with whole lines (a multiple of columns) and the rest last.
class XxdFormatter {
public:
    XxdFormatter(const XxdLayout& layout, uint64_t offset);
    void format(const unsigned char* bytes, size_t n, OutputBuffer& out);
    // The offset shown on the next line; autoskip moves it over lines not shown.
    uint64_t offset() const { return offset_; }
    void set_offset(uint64_t offset) { offset_ = offset; }

private:
    void format_line(const unsigned char* bytes, size_t n, OutputBuffer& out);
    size_t format_plain_line(char* line, const unsigned char* bytes, size_t n);
    void format_full_hex_line(const unsigned char* bytes, OutputBuffer& out);
    size_t format_default_lines(const unsigned char* bytes, size_t n, OutputBuffer& out);
    void format_line_colored(const unsigned char* bytes, size_t n, OutputBuffer& out);
    bool init_direct_color();
    void format_full_colored_line(const unsigned char* bytes, OutputBuffer& out);
    XxdLayout layout_;
    uint64_t offset_;
    std::vector<uint16_t> byte_pos_;   // where each byte's digits start, after the offset
    std::vector<uint16_t> hex_order_;  // byte indexes by column (-e reverses groups)
    std::vector<ColorMark> marks_;     // a colored line's, reused
    std::string line_;                 // a colored line's plain text, reused
    size_t addr_len_ = 9;              // the last plain line's offset and colon
    size_t line_max_;                  // the most a plain line's writes reach
    const char* text_;                 // the text column's character of each byte
    size_t ascii_pos_;                 // where the text column starts, after the offset
    size_t digits_;                    // digits a byte: 2 or 8
    size_t group_;                     // bytes a group, after xxd's clamping
    bool fast_;                        // the plain hex layout: whole lines front to back
    bool direct_color_;                // colored hex lines written directly (xxd_color.cpp)
    size_t color_line_max_ = 0;        // the most a direct colored line's writes reach
    std::vector<uint8_t> gaps_;        // blanks after each byte's digits (the last: to the text)
    SimdPath simd_;                    // resolved; scalar unless the layout is the default one
};

// `xxd -r` for xxd dumps, read as xxd 2022 reads them (its huntype()), one
// character at a time so that no line is ever held: on each line, leading
// non-hex characters are skipped, hex digits up to the first other character
// are the offset (no colon needed), then hex pairs are bytes, any one
// non-hex character (a space, a TAB) may stand between pairs, two end the
// line's data (the text column), and after `columns` bytes the rest of the
// line is ignored. CR is ignored everywhere. Nothing is an error but an
// offset the output cannot reach.
class XxdReverseDecoder : public ByteDecoder {
public:
    explicit XxdReverseDecoder(size_t columns = 16) : columns_(columns), p_(columns) {}
    // Called when the next byte goes elsewhere than after the last one, with
    // the bytes decoded so far in `out` (write them first), the position after
    // them and that of the next byte, both from the start of the output.
    // Returns false when the output cannot go there (a pipe, backwards): a
    // DecodeError follows. Without it, forward moves up to max_gap are filled
    // with zeros in `out`.
    std::function<bool(std::string& out, uint64_t from, uint64_t to)> on_seek;
    uint64_t max_gap = uint64_t(1) << 20;
    // xxd -r -s: added to every offset the dump names (negative: subtracted).
    void set_base_offset(int64_t base) {
        base_ = static_cast<uint64_t>(base);
        have_ = 0 - base_;  // positions are kept relative to the base
    }

    void feed(std::string_view text, std::string& out) override;
    void finish(std::string& out) override;

private:
    void move_to(uint64_t position, std::string& out);
    size_t columns_;
    // xxd's own state: the last three characters' digit values (-1: not hex),
    // bytes on this line (columns_: still in the offset), the line's offset,
    // where the output is.
    int n1_ = -1, n2_ = 0, n3_ = 0;
    size_t p_;
    bool skip_garbage_ = true;  // at a line's start: non-hex characters are skipped
    bool skip_line_ = false;    // the rest of this line is ignored
    uint64_t want_ = 0, have_ = 0;
    uint64_t base_ = 0;
};

// ---- Writers: bytes in any chunk sizes -> one output form on an OutputBuffer ----

// xxd / xxd -b lines; partial lines are carried until finish().
class XxdWriter : public ByteWriter {
public:
    XxdWriter(OutputBuffer& out, const XxdLayout& layout, uint64_t offset)
        : ByteWriter(out),
          formatter_(layout, offset),
          columns_(layout.columns),
          autoskip_(layout.autoskip) {}
    void write(std::string_view bytes) override;
    void finish() override;

private:
    void format_lines(const unsigned char* bytes, size_t n);
    void format_nul_line();
    XxdFormatter formatter_;
    size_t columns_;
    bool autoskip_;
    // xxd's xxdline(): NUL lines in a row so far, and the offset of the second.
    uint64_t nul_lines_ = 0;
    uint64_t second_nul_offset_ = 0;
    std::string carry_;
};

}  // namespace ptool
