// Hex dump layouts byte-identical to their peers (`xxd`, `xxd -b`, `hexdump -C`)
// and the parser that turns an xxd dump back into bytes (`xxd -r`). Formatting
// fills a per-line template from lookup tables straight into an OutputBuffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "libcommon/bytes/codec.hpp"
#include "libcommon/core/output.hpp"

namespace ptool {

// The byte classes hexyl colors by.
enum class ByteClass { null, printable, whitespace, other_ascii, non_ascii };
ByteClass classify_byte(unsigned char b);
// The SGR escape for a class ("\x1b[...m").
std::string_view byte_class_color(ByteClass c);

struct XxdLayout {
    size_t columns = 16;  // bytes a line (xxd -c)
    size_t group = 2;     // bytes a group (xxd -g); 0 or > columns means one group
    bool upper = false;   // xxd -u
    bool bits = false;    // xxd -b: eight binary digits a byte
    bool color = false;
    SimdPath simd = SimdPath::best;  // for the default layout's lines (tests pick scalar)
};

// `xxd` lines: call with whole lines (a multiple of columns) and the rest last.
class XxdFormatter {
public:
    XxdFormatter(const XxdLayout& layout, uint64_t offset);
    void format(const unsigned char* bytes, size_t n, OutputBuffer& out);

private:
    void format_line(const unsigned char* bytes, size_t n, OutputBuffer& out);
    void format_full_hex_line(const unsigned char* bytes, OutputBuffer& out);
    size_t format_default_lines(const unsigned char* bytes, size_t n, OutputBuffer& out);
    void format_line_colored(const unsigned char* bytes, size_t n, OutputBuffer& out);
    XxdLayout layout_;
    uint64_t offset_;
    std::vector<uint16_t> byte_pos_;  // where each byte's digits start, after the offset
    size_t ascii_pos_;                // where the text column starts, after the offset
    size_t digits_;                   // digits a byte: 2 or 8
    size_t group_;                    // bytes a group, after xxd's clamping
    SimdPath simd_;                   // resolved; scalar unless the layout is the default one
};

// `hexdump -C`: 16 bytes a line, `*` for repeated lines, the final offset line.
class HexdumpFormatter {
public:
    HexdumpFormatter(uint64_t offset, bool color) : offset_(offset), color_(color) {}
    // Any length; lines are carried across calls.
    void format(const unsigned char* bytes, size_t n, OutputBuffer& out);
    void finish(OutputBuffer& out);

private:
    void format_line(const unsigned char* bytes, size_t n, OutputBuffer& out);
    uint64_t offset_;
    bool color_;
    bool any_ = false;
    bool squeezing_ = false;
    bool have_previous_ = false;
    unsigned char previous_[16];
    unsigned char partial_[16];
    size_t partial_len_ = 0;
};

// Writes `offset` in lower-case hex, at least `width` digits; returns the end.
char* format_hex_offset(char* out, uint64_t offset, int width);

// `xxd -r` for xxd dumps, read as xxd 2022 reads them (its huntype()), one
// character at a time so that no line is ever held: on each line, leading
// non-hex characters are skipped, hex digits up to the first other character
// are the offset (no colon needed), then hex pairs are bytes, any one
// non-hex character (a space, a TAB) may stand between pairs, two end the
// line's data (the text column), and after `columns` bytes the rest of the
// line is ignored. CR is ignored everywhere. Nothing is an error but an
// offset the output cannot reach.
class XxdReverseDecoder : public ByteDecoder {
public:
    explicit XxdReverseDecoder(size_t columns = 16) : columns_(columns), p_(columns) {}
    // Called when the next byte goes elsewhere than after the last one, with
    // the bytes decoded so far in `out` (write them first), the position after
    // them and that of the next byte, both from the start of the output.
    // Returns false when the output cannot go there (a pipe, backwards): a
    // DecodeError follows. Without it, forward moves up to max_gap are filled
    // with zeros in `out`.
    std::function<bool(std::string& out, uint64_t from, uint64_t to)> on_seek;
    uint64_t max_gap = uint64_t(1) << 20;

    void feed(std::string_view text, std::string& out) override;
    void finish(std::string& out) override;

private:
    void move_to(uint64_t position, std::string& out);
    size_t columns_;
    // xxd's own state: the last three characters' digit values (-1: not hex),
    // bytes on this line (columns_: still in the offset), the line's offset,
    // where the output is.
    int n1_ = -1, n2_ = 0, n3_ = 0;
    size_t p_;
    bool skip_garbage_ = true;  // at a line's start: non-hex characters are skipped
    bool skip_line_ = false;    // the rest of this line is ignored
    uint64_t want_ = 0, have_ = 0;
};

// ---- Writers: bytes in any chunk sizes -> one output form on an OutputBuffer ----

class ByteWriter {
public:
    explicit ByteWriter(OutputBuffer& out) : out_(out) {}
    virtual ~ByteWriter() = default;
    virtual void write(std::string_view bytes) = 0;
    virtual void finish() {}

protected:
    OutputBuffer& out_;
};

// The bytes unchanged.
class RawWriter : public ByteWriter {
public:
    using ByteWriter::ByteWriter;
    void write(std::string_view bytes) override { out_.write(bytes); }
};

// xxd / xxd -b lines; partial lines are carried until finish().
class XxdWriter : public ByteWriter {
public:
    XxdWriter(OutputBuffer& out, const XxdLayout& layout, uint64_t offset)
        : ByteWriter(out), formatter_(layout, offset), columns_(layout.columns) {}
    void write(std::string_view bytes) override;
    void finish() override;

private:
    XxdFormatter formatter_;
    size_t columns_;
    std::string carry_;
};

class HexdumpWriter : public ByteWriter {
public:
    HexdumpWriter(OutputBuffer& out, uint64_t offset, bool color)
        : ByteWriter(out), formatter_(offset, color) {}
    void write(std::string_view bytes) override;
    void finish() override { formatter_.finish(out_); }

private:
    HexdumpFormatter formatter_;
};

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

// JSON.stringify(buffer): {"type":"Buffer","data":[...]} and a newline.
class JsonBufferWriter : public ByteWriter {
public:
    using ByteWriter::ByteWriter;
    void write(std::string_view bytes) override;
    void finish() override;

private:
    bool started_ = false;
};

// xxd -i: with a name, the declaration and the _len line; without, the body alone.
class CArrayWriter : public ByteWriter {
public:
    CArrayWriter(OutputBuffer& out, std::string name, size_t columns, bool upper)
        : ByteWriter(out), name_(std::move(name)), columns_(columns), upper_(upper) {}
    void write(std::string_view bytes) override;
    void finish() override;

private:
    std::string name_;
    size_t columns_;
    bool upper_;
    uint64_t count_ = 0;
};

// The variable name xxd -i derives from a file name.
std::string c_array_name(std::string_view file_name);

// UTF-8 text (made valid as utf8_lossy does) -> bytes as Buffer.from(str, enc):
// utf8, latin1/ascii (low byte of each UTF-16 unit) or utf16le.
class TextEncodeWriter : public ByteWriter {
public:
    enum class Charset { utf8, latin1, utf16le };
    TextEncodeWriter(OutputBuffer& out, Charset charset) : ByteWriter(out), charset_(charset) {}
    void write(std::string_view text) override;
    void finish() override;

private:
    void convert(std::string_view text, bool final);
    Charset charset_;
    std::string carry_;
    std::string valid_;
    std::string encoded_;
};

}  // namespace ptool
