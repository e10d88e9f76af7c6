// Hex, as Node's Buffer.toString('hex') writes it and `xxd -r -p` reads it:
// the encoder, the dumps' offset formatter and the streaming decoder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "libcommon/bytes/decoder.hpp"
#include "libcommon/bytes/tables.hpp"

namespace ptool {

// Buffer.toString('hex'): two lower-case digits a byte (upper with `upper`).
std::string hex_encode(std::string_view bytes, bool upper = false);
// Writes 2*n digits to `out`; returns the end.
char* hex_encode_to(char* out, const unsigned char* bytes, size_t n, bool upper = false);

// 512 characters: the two hex digits of byte b at [2*b], for formatters.
const char* hex_pair_table(bool upper = false);

// Digits `v` takes in hex (at least one).
size_t hex_width(uint64_t v);
// Writes `offset` in lower-case hex, at least `width` digits; returns the end.
char* format_hex_offset(char* out, uint64_t offset, int width);
// The dumps' hot path: exactly eight digits, four 16-bit copies from the pair table.
inline void format_hex_offset8(char* out, uint32_t offset) {
    std::memcpy(out, kHexPairsLower.data() + 2 * (offset >> 24), 2);
    std::memcpy(out + 2, kHexPairsLower.data() + 2 * ((offset >> 16) & 0xFF), 2);
    std::memcpy(out + 4, kHexPairsLower.data() + 2 * ((offset >> 8) & 0xFF), 2);
    std::memcpy(out + 6, kHexPairsLower.data() + 2 * (offset & 0xFF), 2);
}

// Hex digits (either case); whitespace anywhere is skipped (as `xxd -r -p`),
// anything else is an error (skipped too with `ignore_garbage`, as base64 -i),
// as is an odd number of digits.
class HexDecoder : public ByteDecoder {
public:
    explicit HexDecoder(bool ignore_garbage = false) : ignore_garbage_(ignore_garbage) {}
    void feed(std::string_view text, std::string& out) override;
    void finish(std::string& out) override;

private:
    bool ignore_garbage_;
    int pending_ = -1;  // the first digit of a pair
    size_t pending_line_ = 0, pending_column_ = 0;
};

}  // namespace ptool
