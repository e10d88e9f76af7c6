// hex, base64 and base64url as wrapped text (base64's -w, xxd -p's -c): the
// encoders run over many lines at once and the lines are cut afterwards.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "libcommon/bytes/writer.hpp"

namespace ptool {

// hex, base64 or base64url text, a newline every `wrap` characters and after a
// last partial line (as base64 and xxd -p); wrap 0: one line, no newline;
// wrap kOneLine: one line and a newline (xxd -p -c0).
class EncodedTextWriter : public ByteWriter {
public:
    enum class Form { hex, base64, base64url };
    static constexpr size_t kOneLine = SIZE_MAX;
    EncodedTextWriter(OutputBuffer& out, Form form, size_t wrap, bool upper)
        : ByteWriter(out), form_(form), wrap_(wrap), upper_(upper) {}
    void write(std::string_view bytes) override;
    void finish() override;

private:
    void emit(const char* text, size_t n);
    Form form_;
    size_t wrap_;
    bool upper_;
    size_t column_ = 0;
    std::string pending_;  // base64: up to 2 bytes not yet a full group
    std::string scratch_;
};

}  // namespace ptool
