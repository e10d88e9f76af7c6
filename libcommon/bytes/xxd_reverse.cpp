// `xxd -r`: xxd 2022's huntype() as a streaming decoder, a character at a
// time with a fast path for the usual "hhhh hhhh" run, and offsets that move
// the output (sought, zero-filled, or an error).
#include <array>
#include <cstring>

#include "libcommon/bytes/tables.hpp"
#include "libcommon/bytes/xxd.hpp"

namespace ptool {

namespace {

// xxd reads every non-hex character alike, so one value (-1) for them all: the
// hot loop runs ~20% faster on it than on the decoders' table with its blank classes.
constexpr std::array<signed char, 256> make_digit_values() {
    std::array<signed char, 256> t{};
    for (int c = 0; c < 256; ++c) t[c] = kHexValues[c] < 0 ? -1 : kHexValues[c];
    return t;
}
constexpr auto kDigitValues = make_digit_values();

}  // namespace

void XxdReverseDecoder::move_to(uint64_t position, std::string& out) {
    if (on_seek) {
        if (!on_seek(out, have_ + base_, position + base_))
            throw DecodeError(position < have_ ? "cannot seek backwards in the output"
                                               : "cannot seek in the output",
                              line_, column_);
    } else if (position > have_ && position - have_ <= max_gap) {
        out.append(static_cast<size_t>(position - have_), '\0');
    } else {
        throw DecodeError(position < have_ ? "offset goes backwards" : "offset jumps too far ahead",
                          line_, column_);
    }
    have_ = position;
}

// xxd's loop, character by character, with a fast path for the usual "hhhh hhhh" run.
void XxdReverseDecoder::feed(std::string_view text, std::string& out) {
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const auto* end = p + text.size();
    const unsigned char* line_begin = p;  // the column of p is (p - line_begin) + col0
    size_t col0 = column_;
    // Bytes go straight into `out`, sized for the most this chunk can give;
    // it is cut to what was written before a move and at the end.
    size_t start = out.size();
    out.resize(start + text.size() / 2 + 1);
    char* o = out.data() + start;
    auto emit = [&](int hi, int lo) {
        *o++ = static_cast<char>((hi << 4) | lo);
        ++have_;
        ++want_;
        n1_ = -1;
        n2_ = hi;
        n3_ = -1;
        if (++p_ >= columns_) skip_line_ = true;
    };
    for (; p < end; ++p) {
        bool ends_line = false;  // xxd's reset at a newline: back to the offset
        if (skip_line_) {
            const void* nl = std::memchr(p, '\n', static_cast<size_t>(end - p));
            if (!nl) {
                p = end;
                break;
            }
            p = static_cast<const unsigned char*>(nl);
            skip_line_ = false;
            ends_line = true;
        } else {
            // Right after a byte, with nothing to move: pairs, or a separator and a pair.
            // The same as emit() per pair, with the state in locals: stores through the
            // char pointer `o` would make the compiler reload every member per byte.
            if (n1_ < 0 && n2_ >= 0 && p_ < columns_ && want_ == have_) {
                size_t count = p_;
                int hi = n2_;
                char* w = o;
                for (; count < columns_; ++count) {
                    int lo;
                    if (end - p >= 2 && (kDigitValues[p[0]] | kDigitValues[p[1]]) >= 0) {
                        hi = kDigitValues[p[0]];
                        lo = kDigitValues[p[1]];
                        p += 2;
                    } else if (end - p >= 3 && kDigitValues[p[0]] < 0 && p[0] != '\r' &&
                               p[0] != '\n' && (kDigitValues[p[1]] | kDigitValues[p[2]]) >= 0) {
                        hi = kDigitValues[p[1]];
                        lo = kDigitValues[p[2]];
                        p += 3;
                    } else {
                        break;
                    }
                    *w++ = static_cast<char>((hi << 4) | lo);
                }
                if (size_t n = count - p_; n > 0) {
                    o = w;
                    have_ += n;
                    want_ += n;
                    p_ = count;
                    n1_ = -1;
                    n2_ = hi;
                    n3_ = -1;
                    if (p_ >= columns_) skip_line_ = true;
                }
            }
            if (p == end) break;
            if (skip_line_) {
                --p;  // the loop's ++p comes back to the character after the last byte
                continue;
            }
            // The offset's digits, in locals: what the character loop below does with each.
            if (p_ >= columns_ && kDigitValues[*p] >= 0) {
                int a = n1_, b = n2_, c3 = n3_;
                uint64_t want = want_;
                do {
                    c3 = b;
                    b = a;
                    a = kDigitValues[*p];
                    want = (want << 4) | static_cast<unsigned>(a);
                } while (++p < end && kDigitValues[*p] >= 0);
                n1_ = a;
                n2_ = b;
                n3_ = c3;
                want_ = want;
                skip_garbage_ = false;
                if (p == end) break;
            }
            unsigned char c = *p;
            if (c == '\r') continue;
            n3_ = n2_;
            n2_ = n1_;
            n1_ = kDigitValues[c];
            if (n1_ < 0 && skip_garbage_) {
                // Leading garbage; the line's state is fresh already.
            } else if (skip_garbage_ = false; p_ >= columns_) {
                // The offset: its digits, ended by the first other character (a
                // newline too, which then does not end the line: xxd's quirk, kept).
                if (n1_ < 0) {
                    p_ = 0;
                } else {
                    want_ = (want_ << 4) | static_cast<unsigned>(n1_);
                }
            } else {
                if (want_ != have_) {
                    column_ = static_cast<size_t>(p - line_begin) + col0;
                    out.resize(static_cast<size_t>(o - out.data()));
                    move_to(want_, out);
                    size_t kept = out.size();
                    out.resize(kept + static_cast<size_t>(end - p) / 2 + 1);
                    o = out.data() + kept;
                }
                if (n2_ >= 0 && n1_ >= 0) {
                    int n3 = n3_;
                    emit(n2_, n1_);
                    n3_ = n3;
                } else if (n1_ < 0 && n2_ < 0 && n3_ < 0 && c != '\n') {
                    skip_line_ = true;  // three non-hex characters in a row: the text column
                }
                ends_line = c == '\n';
            }
            if (c != '\n') continue;
        }
        if (ends_line) {
            want_ = 0;
            p_ = columns_;
            skip_garbage_ = true;
        }
        ++line_;
        line_begin = p + 1;
        col0 = 1;
    }
    out.resize(static_cast<size_t>(o - out.data()));
    column_ = static_cast<size_t>(end - line_begin) + col0;
}

void XxdReverseDecoder::finish(std::string&) {}

}  // namespace ptool
