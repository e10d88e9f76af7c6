// `xxd -i`: bytes as a C array, byte-identical to xxd's, with the declaration
// and _len line when the input has a file name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "libcommon/bytes/writer.hpp"

namespace ptool {

// xxd -i: with a name, the declaration and the _len line; without, the body alone.
class CArrayWriter : public ByteWriter {
public:
    // capitalize: xxd -C's "_LEN" (the name comes capitalized from c_array_name).
    CArrayWriter(OutputBuffer& out, std::string name, size_t columns, bool upper,
                 bool capitalize = false)
        : ByteWriter(out),
          name_(std::move(name)),
          columns_(columns),
          upper_(upper),
          capitalize_(capitalize) {}
    void write(std::string_view bytes) override;
    void finish() override;

private:
    std::string name_;
    size_t columns_;
    bool upper_;
    bool capitalize_;
    uint64_t count_ = 0;
};

// The variable name xxd -i derives from a file name (or -n's name); capitalized
// as xxd -C does.
std::string c_array_name(std::string_view file_name, bool capitalize = false);

}  // namespace ptool
