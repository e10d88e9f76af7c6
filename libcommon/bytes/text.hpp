// Character sets with Node.js Buffer semantics (utf8, latin1, ascii, utf16le):
// bytes -> UTF-8 as buf.toString(enc), UTF-8 -> bytes as Buffer.from(str, enc),
// and the writer that streams the latter.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "libcommon/bytes/writer.hpp"

namespace ptool {

// Node 20's buf.toString('utf8'): the WHATWG UTF-8 decoder, every maximal
// subpart of an ill-formed sequence becomes U+FFFD.
std::string utf8_lossy(std::string_view bytes);
// Same, appended to `out`. With `final` false an incomplete but so far valid
// sequence at the end is not decoded: its length is returned so the caller can
// carry those bytes into the next chunk (0 when everything was consumed).
size_t utf8_lossy_append(std::string& out, std::string_view bytes, bool final = true);

// ---- Text decodings (bytes -> UTF-8), each as Node's buf.toString(enc) ----

// latin1: every byte is the code point of its value.
void latin1_to_utf8_append(std::string& out, std::string_view bytes);
// ascii: the high bit cleared (0xff -> 0x7f), as Node 20 does.
void ascii_to_utf8_append(std::string& out, std::string_view bytes);
// utf16le: code units little-endian, lone surrogates become U+FFFD, an odd last
// byte is dropped. With `final` false, an odd byte or a high surrogate at the end
// is not decoded: the count of those bytes is returned for the next chunk.
size_t utf16le_to_utf8_append(std::string& out, std::string_view bytes, bool final = true);

// ---- Text encodings (valid UTF-8 -> bytes), each as Buffer.from(str, enc) ----

// latin1 and ascii alike: each UTF-16 code unit's low byte.
void utf8_to_latin1_append(std::string& out, std::string_view utf8);
// utf16le: each UTF-16 code unit, little-endian.
void utf8_to_utf16le_append(std::string& out, std::string_view utf8);

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
