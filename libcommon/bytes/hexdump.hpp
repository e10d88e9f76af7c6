// `hexdump -C`, byte-identical to util-linux's: 16 bytes a line, `*` for
// repeated lines (unless -v), the final offset line; optionally colored by
// byte class.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "libcommon/bytes/writer.hpp"
#include "libcommon/core/output.hpp"

namespace ptool {

class HexdumpFormatter {
public:
    // squeeze false: every line shown (hexdump -v); paint_plain_lines: every
    // colored line painted from its plain text (tests compare the direct ones).
    HexdumpFormatter(uint64_t offset, bool color, bool squeeze = true,
                     bool paint_plain_lines = false)
        : offset_(offset),
          color_(color),
          squeeze_(squeeze),
          paint_plain_lines_(paint_plain_lines) {}
    // Any length; lines are carried across calls.
    void format(const unsigned char* bytes, size_t n, OutputBuffer& out);
    void finish(OutputBuffer& out);

private:
    void format_line(const unsigned char* bytes, size_t n, OutputBuffer& out);
    void format_line_colored(const unsigned char* bytes, size_t n, OutputBuffer& out);
    void format_full_colored_line(const unsigned char* bytes, OutputBuffer& out);
    uint64_t offset_;
    bool color_;
    bool squeeze_;
    bool paint_plain_lines_;
    bool any_ = false;
    bool squeezing_ = false;
    bool have_previous_ = false;
    unsigned char previous_[16];
    unsigned char partial_[16];
    size_t partial_len_ = 0;
};

class HexdumpWriter : public ByteWriter {
public:
    HexdumpWriter(OutputBuffer& out, uint64_t offset, bool color, bool squeeze = true,
                  bool paint_plain_lines = false)
        : ByteWriter(out), formatter_(offset, color, squeeze, paint_plain_lines) {}
    void write(std::string_view bytes) override;
    void finish() override { formatter_.finish(out_); }

private:
    HexdumpFormatter formatter_;
};

}  // namespace ptool
