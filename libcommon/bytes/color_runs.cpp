// The painter of colored dump lines (color_runs.hpp): chunks of the plain line
// copied whole, an escape of 5 bytes (a reset of 4) only where the class changes.
#include "libcommon/bytes/color_runs.hpp"

#include <cstring>

namespace ptool {

namespace {

// Each paint's escape in an 8-byte slot, so that one fixed-size copy writes it
// (variable-length memcpy calls were half the time of a colored dump).
struct Escape {
    char bytes[8];
    size_t len;
};
constexpr Escape kEscapes[] = {
    {"\x1b[90m", 5}, {"\x1b[36m", 5}, {"\x1b[32m", 5},
    {"\x1b[35m", 5}, {"\x1b[33m", 5}, {"\x1b[0m", 4},
};

// n bytes in 8-byte steps: both sides have kPaintSlack bytes to spare.
inline char* copy_chunk(char* o, const char* src, size_t n) {
    for (size_t i = 0; i < n; i += 8) std::memcpy(o + i, src + i, 8);
    return o + n;
}

}  // namespace

void paint_line(std::string_view line, const ColorMark* marks, size_t count, OutputBuffer& out) {
    // At most one escape a mark, and the final reset.
    char* start = out.reserve(line.size() + 5 * count + kColorReset.size() + kPaintSlack);
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
        o = copy_chunk(o, src + copied, column - copied);
        copied = column;
        const Escape& e = kEscapes[paint];
        std::memcpy(o, e.bytes, 8);
        o += e.len;
        current = paint;
    }
    o = copy_chunk(o, src + copied, body - copied);
    if (current != kPaintPlain) {
        std::memcpy(o, kColorReset.data(), kColorReset.size());
        o += kColorReset.size();
    }
    *o++ = '\n';
    out.commit(static_cast<size_t>(o - start));
}

}  // namespace ptool
