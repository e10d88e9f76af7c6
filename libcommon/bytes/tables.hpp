// The lookup tables the byte formats share, in one place: hex digits, the two
// digits of every byte, hex digit values (with the whitespace classes decoders
// skip) and the dump text column. constexpr, so each is built at compile time.
#pragma once

#include <array>
#include <cstddef>

namespace ptool {

// 17 bytes each: the SSSE3 xxd lines load the 16 digits as one vector.
inline constexpr char kHexDigitsLower[] = "0123456789abcdef";
inline constexpr char kHexDigitsUpper[] = "0123456789ABCDEF";

// Two characters of an N-letter alphabet per value below N*N, at [2*v], so one
// 16-bit copy writes them: hex digits of a byte (N = 16), base64 characters of
// 12 bits (N = 64, 8 KiB).
template <size_t N>
constexpr std::array<char, 2 * N * N> make_pair_table(const char* alphabet) {
    std::array<char, 2 * N * N> t{};
    for (size_t v = 0; v < N * N; ++v) {
        t[2 * v] = alphabet[v / N];
        t[2 * v + 1] = alphabet[v % N];
    }
    return t;
}
inline constexpr auto kHexPairsLower = make_pair_table<16>(kHexDigitsLower);
inline constexpr auto kHexPairsUpper = make_pair_table<16>(kHexDigitsUpper);
// A byte's two digits and six blanks at [8*b]: one 8-byte copy writes the
// digits and the blanks after them (the direct colored dump lines).
constexpr std::array<char, 8 * 256> make_padded_pairs(const char* digits) {
    std::array<char, 8 * 256> t{};
    for (int b = 0; b < 256; ++b) {
        t[8 * b] = digits[b >> 4];
        t[8 * b + 1] = digits[b & 15];
        for (int i = 2; i < 8; ++i) t[8 * b + i] = ' ';
    }
    return t;
}
inline constexpr auto kPaddedHexPairsLower = make_padded_pairs(kHexDigitsLower);
inline constexpr auto kPaddedHexPairsUpper = make_padded_pairs(kHexDigitsUpper);

// A character's hex digit value 0..15 (either case), or a class below zero:
// tests for "a digit" are `>= 0`, and two at once `(a | b) >= 0`.
inline constexpr signed char kHexNotDigit = -1;
inline constexpr signed char kHexSpace = -2;  // blank other than a newline
inline constexpr signed char kHexNewline = -3;
constexpr std::array<signed char, 256> make_hex_values() {
    std::array<signed char, 256> t{};
    for (auto& v : t) v = kHexNotDigit;
    for (int c = '0'; c <= '9'; ++c) t[c] = static_cast<signed char>(c - '0');
    for (int c = 'a'; c <= 'f'; ++c) t[c] = static_cast<signed char>(c - 'a' + 10);
    for (int c = 'A'; c <= 'F'; ++c) t[c] = static_cast<signed char>(c - 'A' + 10);
    t[' '] = t['\t'] = t['\r'] = t['\v'] = t['\f'] = kHexSpace;
    t['\n'] = kHexNewline;
    return t;
}
inline constexpr auto kHexValues = make_hex_values();

// The text column of xxd and hexdump -C: printable ASCII as itself, the rest '.'.
constexpr std::array<char, 256> make_text_column() {
    std::array<char, 256> t{};
    for (int b = 0; b < 256; ++b) t[b] = b >= 0x20 && b < 0x7F ? static_cast<char>(b) : '.';
    return t;
}
inline constexpr auto kTextColumn = make_text_column();

}  // namespace ptool
