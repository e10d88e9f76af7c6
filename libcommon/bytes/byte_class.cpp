// Byte classes and their colors for the dumps (byte_class.hpp).
#include "libcommon/bytes/byte_class.hpp"

namespace ptool {

ByteClass classify_byte(unsigned char b) {
    if (b == 0) return ByteClass::null;
    if (b == ' ' || (b >= '\t' && b <= '\r')) return ByteClass::whitespace;
    if (b > 0x20 && b < 0x7F) return ByteClass::printable;
    if (b < 0x80) return ByteClass::other_ascii;
    return ByteClass::non_ascii;
}

std::string_view byte_class_color(ByteClass c) {
    switch (c) {
        case ByteClass::null: return "\x1b[90m";         // bright black, as hexyl
        case ByteClass::printable: return "\x1b[36m";    // cyan
        case ByteClass::whitespace: return "\x1b[32m";   // green
        case ByteClass::other_ascii: return "\x1b[35m";  // magenta
        case ByteClass::non_ascii: return "\x1b[33m";    // yellow
    }
    return kColorReset;
}

}  // namespace ptool
