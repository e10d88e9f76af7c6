// bufdump -f panel: hexyl 0.8's view (offset, hex in two 8-byte panels, the
// character panel), byte-identical to `hexyl --color=never` for each border
// style, colored by byte class with one escape per run, each line written
// directly in one pass; lines of one repeated byte that repeat the line before
// are squeezed to '*', as hexyl squeezes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "libcommon/bytes/color_runs.hpp"
#include "libcommon/bytes/writer.hpp"

namespace ptool {

enum class PanelBorder { unicode, ascii, none };

class PanelWriter : public ByteWriter {
public:
    // paint_plain_lines: every line built as plain text with its color marks and,
    // when colored, painted from it (tests compare the direct lines with it).
    PanelWriter(OutputBuffer& out, uint64_t offset, PanelBorder border, bool color, bool squeeze,
                bool paint_plain_lines = false);
    void write(std::string_view bytes) override;
    void finish() override;

private:
    void format_line(const unsigned char* bytes, size_t n);
    template <bool kColor>
    void format_direct_line(const unsigned char* bytes, size_t n);
    void format_squeezed();
    void write_rule(bool top);
    uint64_t offset_;
    PanelBorder border_;
    bool color_;
    bool squeeze_;
    bool paint_plain_lines_;
    bool started_ = false;    // the top rule is out
    bool squeezing_ = false;  // the '*' line is out for the current run
    int previous_fill_ = -1;  // the byte every byte of the last full line was; -1: none
    unsigned char partial_[16];
    size_t partial_len_ = 0;
    std::string line_;
    ColorMark marks_[2 * 16 + 8];
};

}  // namespace ptool
