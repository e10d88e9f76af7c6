// Hex encoding (a 16-bit table copy a byte), offsets for the dumps, and the
// hex decoder (pairs two at a time until something other than a digit).
#include "libcommon/bytes/hex.hpp"

#include <cstring>

#include "libcommon/bytes/tables.hpp"

namespace ptool {

const char* hex_pair_table(bool upper) {
    return upper ? kHexPairsUpper.data() : kHexPairsLower.data();
}

char* hex_encode_to(char* out, const unsigned char* bytes, size_t n, bool upper) {
    const char* pairs = hex_pair_table(upper);
    for (size_t i = 0; i < n; ++i) {
        std::memcpy(out, pairs + 2 * bytes[i], 2);
        out += 2;
    }
    return out;
}

std::string hex_encode(std::string_view bytes, bool upper) {
    std::string out(bytes.size() * 2, '\0');
    hex_encode_to(out.data(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                  upper);
    return out;
}

size_t hex_width(uint64_t v) {
    size_t n = 1;
    while (v >>= 4) ++n;
    return n;
}

char* format_hex_offset(char* out, uint64_t offset, int width) {
    size_t n = hex_width(offset);
    if (n < static_cast<size_t>(width)) n = static_cast<size_t>(width);
    for (size_t i = n; i-- > 0;) {
        out[i] = kHexDigitsLower[offset & 15];
        offset >>= 4;
    }
    return out + n;
}

void HexDecoder::feed(std::string_view text, std::string& out) {
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const auto* end = p + text.size();
    DecodeCursor cur{p, column_};
    size_t start = out.size();
    out.resize(start + text.size() / 2 + 1);
    char* o = out.data() + start;
    while (p < end) {
        if (pending_ < 0) {
            while (end - p >= 2) {
                int a = kHexValues[p[0]], b = kHexValues[p[1]];
                if ((a | b) < 0) break;
                *o++ = static_cast<char>((a << 4) | b);
                p += 2;
            }
            if (p == end) break;
        }
        int v = kHexValues[*p];
        if (v >= 0) {
            if (pending_ < 0) {
                pending_ = v;
                pending_line_ = line_;
                pending_column_ = cur.column(p);
            } else {
                *o++ = static_cast<char>((pending_ << 4) | v);
                pending_ = -1;
            }
        } else if (v == kHexNewline) {
            ++line_;
            cur = DecodeCursor{p + 1, 1};
        } else if (v != kHexSpace && !ignore_garbage_) {
            out.resize(static_cast<size_t>(o - out.data()));
            throw DecodeError(describe_invalid_char(*p, "hex"), line_, cur.column(p));
        }
        ++p;
    }
    out.resize(static_cast<size_t>(o - out.data()));
    column_ = cur.column(end);
}

void HexDecoder::finish(std::string&) {
    if (pending_ >= 0)
        throw DecodeError("odd number of hex digits", pending_line_, pending_column_);
}

}  // namespace ptool
