// Colored dump lines with one SGR escape per run of a byte class (issue 12/13):
// a dump formats its plain line, lists where each byte's characters start, and
// the painter copies the line with an escape only where the class changes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "libcommon/bytes/byte_class.hpp"
#include "libcommon/core/output.hpp"

namespace ptool {

// A place in a plain line where the color may change: the characters from
// `column` up to the next mark take `paint` (a ByteClass, or kPaintPlain).
struct ColorMark {
    uint16_t column;
    uint8_t paint;
};
// Uncolored (the offset, hexdump's bars): a reset when color is on.
inline constexpr uint8_t kPaintPlain = 5;

// Writes `line` (its last character '\n') with an escape before each mark whose
// paint differs from the one in force, and a reset before the newline when a
// color is still on. Marks are sorted by column; blanks between them keep the
// color in force (a space shows no foreground).
// The line's buffer must have this many bytes readable past its end.
inline constexpr size_t kPaintSlack = 16;
void paint_line(std::string_view line, const ColorMark* marks, size_t count, OutputBuffer& out);

// The direct colored lines' step (xxd's, hexdump's): class `c`'s escape where it
// differs from `current` (stored always, stepped over otherwise: no branch a
// byte), then the 8 bytes at `cell`, of which `keep` stay. `o` has room for 16.
inline char* put_colored_cell(char* o, unsigned c, unsigned& current, const char* cell,
                              size_t keep) {
    std::memcpy(o, kClassEscapes[c], 8);
    o += c != current ? kClassEscapeLen : 0;
    current = c;
    std::memcpy(o, cell, 8);
    return o + keep;
}

}  // namespace ptool
