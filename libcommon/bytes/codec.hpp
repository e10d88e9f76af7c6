// Byte <-> text codecs with Node.js Buffer semantics (hex, base64, base64url,
// utf8, latin1, ascii, utf16le), table-driven so bufdump's hot loops and the
// tools' JSON output share one implementation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "libcommon/core/error.hpp"

namespace ptool {

// Node 20's buf.toString('utf8'): the WHATWG UTF-8 decoder, every maximal
// subpart of an ill-formed sequence becomes U+FFFD.
std::string utf8_lossy(std::string_view bytes);
// Same, appended to `out`. With `final` false an incomplete but so far valid
// sequence at the end is not decoded: its length is returned so the caller can
// carry those bytes into the next chunk (0 when everything was consumed).
size_t utf8_lossy_append(std::string& out, std::string_view bytes, bool final = true);

// Buffer.toString('hex'): two lower-case digits a byte (upper with `upper`).
std::string hex_encode(std::string_view bytes, bool upper = false);
// Writes 2*n digits to `out`; returns the end.
char* hex_encode_to(char* out, const unsigned char* bytes, size_t n, bool upper = false);

// 512 characters: the two hex digits of byte b at [2*b], for formatters.
const char* hex_pair_table(bool upper = false);

// Which vector instructions a hot loop may use: `best` is the widest this CPU
// has; the others let tests compare each path with the scalar one.
enum class SimdPath { best, scalar, ssse3, avx2 };
// Whether this CPU runs `path` (scalar and best always).
bool simd_path_available(SimdPath path);
// `best` resolved to what this CPU has.
SimdPath resolve_simd_path(SimdPath path);

// Buffer.toString('base64') (padded) or, with `url`, 'base64url' (unpadded).
std::string base64_encode(std::string_view bytes, bool url = false);
// Writes the encoding of n bytes to `out`; returns the end. Padding unless `url`.
// Reads only bytes[0, n); `path` must be available.
char* base64_encode_to(char* out, const unsigned char* bytes, size_t n, bool url = false,
                       SimdPath path = SimdPath::best);
inline size_t base64_encoded_size(size_t n, bool url) {
    return url ? (n / 3) * 4 + (n % 3 ? n % 3 + 1 : 0) : (n + 2) / 3 * 4;
}

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

// ---- Byte forms back to bytes: strict, streaming, with positions for errors ----

// Bad input: `what` says why; line and column (1-based, in bytes) say where.
class DecodeError : public Error {
public:
    DecodeError(std::string why, size_t line, size_t column)
        : Error(std::move(why)), line_(line), column_(column) {}
    size_t line() const { return line_; }
    size_t column() const { return column_; }

private:
    size_t line_;
    size_t column_;
};

// A decoder takes its text in chunks of any size. Bytes decoded before an error
// are appended to `out` before DecodeError is thrown, so the caller can write
// them out: output streams, and what was written is a valid prefix.
class ByteDecoder {
public:
    virtual ~ByteDecoder() = default;
    virtual void feed(std::string_view text, std::string& out) = 0;
    virtual void finish(std::string& out) = 0;

protected:
    void advance_position(const char* begin, const char* end);
    size_t line_ = 1;
    size_t column_ = 1;  // of the next character
};

// Hex digits (either case); whitespace anywhere is skipped (as `xxd -r -p`),
// anything else is an error (skipped too with `ignore_garbage`, as base64 -i),
// as is an odd number of digits.
class HexDecoder : public ByteDecoder {
public:
    explicit HexDecoder(bool ignore_garbage = false) : ignore_garbage_(ignore_garbage) {}
    void feed(std::string_view text, std::string& out) override;
    void finish(std::string& out) override;

private:
    bool ignore_garbage_;
    int pending_ = -1;  // the first digit of a pair
    size_t pending_line_ = 0, pending_column_ = 0;
};

// base64 or base64url (both alphabets accepted, as Buffer.from(s, 'base64')),
// whitespace skipped, padding optional but only at the end. With
// `ignore_garbage` (base64 -i) characters outside both alphabets are skipped too.
class Base64Decoder : public ByteDecoder {
public:
    explicit Base64Decoder(bool ignore_garbage = false) : ignore_garbage_(ignore_garbage) {}
    void feed(std::string_view text, std::string& out) override;
    void finish(std::string& out) override;

private:
    bool ignore_garbage_;
    uint32_t acc_ = 0;
    int count_ = 0;     // sextets in acc_
    int padding_ = 0;   // '=' seen
    int pad_base_ = 0;  // sextets before the first '='
    size_t last_line_ = 0, last_column_ = 0;
};

// `{"type":"Buffer","data":[...]}` (JSON.stringify of a Buffer) or a bare
// array of byte values, whitespace as JSON allows. Streams.
class JsonBufferDecoder : public ByteDecoder {
public:
    void feed(std::string_view text, std::string& out) override;
    void finish(std::string& out) override;

private:
    enum class State {
        start,
        object_first,
        key,
        colon,
        type_value,
        data_open,
        array_first,
        array_item,
        array_after,
        object_after,
        done
    };
    [[noreturn]] void fail(std::string why) const;
    void on_token(char kind, std::string& out);  // '"' string, '0' number, or the punctuation
    State state_ = State::start;
    bool in_object_ = false, has_data_ = false;
    bool in_string_ = false, in_number_ = false;
    unsigned number_ = 0;
    size_t digits_ = 0;
    std::string token_;
    std::string key_;
    size_t token_line_ = 1, token_column_ = 1;
};

}  // namespace ptool
