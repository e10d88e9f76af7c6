// xxd -i's C array (c_array.hpp): "0xNN" from the pair table, a line every
// `columns` bytes, and the variable name xxd derives from the file name.
#include "libcommon/bytes/c_array.hpp"

#include "libcommon/bytes/hex.hpp"

#include <cstring>

namespace ptool {

void CArrayWriter::write(std::string_view bytes) {
    if (bytes.empty()) return;
    if (count_ == 0 && !name_.empty()) out_.write("unsigned char " + name_ + "[] = {\n");
    const char* pairs = hex_pair_table(upper_);
    const char x = upper_ ? 'X' : 'x';
    for (unsigned char b : bytes) {
        char* o = out_.reserve(8);
        char* start = o;
        if (count_ % columns_ == 0) {
            if (count_ > 0) *o++ = ',', *o++ = '\n';
            *o++ = ' ', *o++ = ' ';
        } else {
            *o++ = ',', *o++ = ' ';
        }
        *o++ = '0';
        *o++ = x;
        std::memcpy(o, pairs + 2 * b, 2);
        o += 2;
        out_.commit(static_cast<size_t>(o - start));
        ++count_;
    }
}

void CArrayWriter::finish() {
    if (count_ > 0) out_.put('\n');
    if (name_.empty()) return;
    if (count_ == 0) out_.write("unsigned char " + name_ + "[] = {\n");
    out_.write("};\nunsigned int " + name_ + (capitalize_ ? "_LEN = " : "_len = ") +
               std::to_string(count_) + ";\n");
}

std::string c_array_name(std::string_view file_name, bool capitalize) {
    std::string name;
    if (!file_name.empty() && file_name[0] >= '0' && file_name[0] <= '9') name = "__";
    for (char c : file_name) {
        bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (capitalize && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        name += alnum ? c : '_';
    }
    return name;
}

}  // namespace ptool
