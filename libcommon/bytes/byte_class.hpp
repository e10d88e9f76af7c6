// The byte classes the colored dumps (xxd, hexdump -C with --color) paint, as
// hexyl colors them, and their SGR escapes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ptool {

enum class ByteClass { null, printable, whitespace, other_ascii, non_ascii };
// Each byte's class, from one table (the hot loops index it).
inline constexpr std::array<uint8_t, 256> kByteClassOf = [] {
    std::array<uint8_t, 256> t{};
    for (int b = 0; b < 256; ++b) {
        ByteClass c = b == 0                                 ? ByteClass::null
                      : b == ' ' || (b >= '\t' && b <= '\r') ? ByteClass::whitespace
                      : b > 0x20 && b < 0x7F                 ? ByteClass::printable
                      : b < 0x80                             ? ByteClass::other_ascii
                                                             : ByteClass::non_ascii;
        t[b] = static_cast<uint8_t>(c);
    }
    return t;
}();
inline ByteClass classify_byte(unsigned char b) {
    return static_cast<ByteClass>(kByteClassOf[b]);
}
// The SGR escape for a class ("\x1b[...m").
std::string_view byte_class_color(ByteClass c);
// The escape that ends a colored byte.
inline constexpr std::string_view kColorReset = "\x1b[0m";
// Each class's escape (all five are 5 long) in an 8-byte slot, for the direct
// colored lines' one fixed-size copy.
inline constexpr char kClassEscapes[5][8] = {"\x1b[90m", "\x1b[36m", "\x1b[32m", "\x1b[35m",
                                             "\x1b[33m"};
inline constexpr size_t kClassEscapeLen = 5;

}  // namespace ptool
