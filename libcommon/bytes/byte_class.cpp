// Byte classes and their colors for the dumps (byte_class.hpp).
#include "libcommon/bytes/byte_class.hpp"

namespace ptool {

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
