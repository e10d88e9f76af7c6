// The painter of colored dump lines (color_runs.hpp): chunks of the plain line
// copied whole, an escape of 5 bytes (a reset of 4) only where the class changes.
#include "libcommon/bytes/color_runs.hpp"

#include <cstring>

namespace ptool {

void paint_line(std::string_view line, const ColorMark* marks, size_t count, OutputBuffer& out) {
    // At most one escape a mark, and the final reset.
    char* start = out.reserve(line.size() + 5 * count + kColorReset.size());
    char* o = start;
    const char* src = line.data();
    size_t copied = 0;
    uint8_t current = kPaintPlain;
    size_t body = line.size() - 1;  // up to the newline
    for (size_t k = 0; k < count; ++k) {
        uint8_t paint = marks[k].paint;
        size_t column = marks[k].column;
        // Out of order or past the end: xxd -e's overwritten or cut characters.
        if (paint == current || column < copied || column >= body) continue;
        std::memcpy(o, src + copied, column - copied);
        o += column - copied;
        copied = column;
        std::string_view escape =
            paint == kPaintPlain ? kColorReset : byte_class_color(static_cast<ByteClass>(paint));
        std::memcpy(o, escape.data(), escape.size());
        o += escape.size();
        current = paint;
    }
    std::memcpy(o, src + copied, body - copied);
    o += body - copied;
    if (current != kPaintPlain) {
        std::memcpy(o, kColorReset.data(), kColorReset.size());
        o += kColorReset.size();
    }
    *o++ = '\n';
    out.commit(static_cast<size_t>(o - start));
}

}  // namespace ptool
