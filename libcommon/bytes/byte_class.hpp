// The byte classes the colored dumps (xxd, hexdump -C with --color) paint, as
// hexyl colors them, and their SGR escapes.
#pragma once

#include <string_view>

namespace ptool {

enum class ByteClass { null, printable, whitespace, other_ascii, non_ascii };
ByteClass classify_byte(unsigned char b);
// The SGR escape for a class ("\x1b[...m").
std::string_view byte_class_color(ByteClass c);
// The escape that ends a colored byte.
inline constexpr std::string_view kColorReset = "\x1b[0m";

}  // namespace ptool
