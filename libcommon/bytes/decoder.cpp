// What the byte-form decoders share (decoder.hpp): the wording of an invalid
// character, the same for hex, base64 and JSON.
#include "libcommon/bytes/decoder.hpp"

#include "libcommon/bytes/tables.hpp"

namespace ptool {

std::string describe_invalid_char(unsigned char c, std::string_view kind) {
    std::string why = "invalid " + std::string(kind) + " character ";
    if (c >= 0x21 && c < 0x7F) {
        why += '\'';
        why += static_cast<char>(c);
        why += '\'';
    } else {
        why += "0x";
        why += kHexDigitsLower[c >> 4];
        why += kHexDigitsLower[c & 15];
    }
    return why;
}

}  // namespace ptool
