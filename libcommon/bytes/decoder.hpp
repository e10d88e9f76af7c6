// The interface every "text -> bytes" reader of a byte form implements (hex,
// base64, JSON Buffer, xxd -r): fed in chunks, errors with line and column.
// Also the small helpers those decoders share for their error positions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "libcommon/core/error.hpp"

namespace ptool {

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
    size_t line_ = 1;
    size_t column_ = 1;  // of the next character
};

// "invalid KIND character 'c'" (or 0xNN for a byte that does not print).
std::string describe_invalid_char(unsigned char c, std::string_view kind);

// Column bookkeeping over one chunk: the column of p is (p - line_begin) + col0.
struct DecodeCursor {
    const unsigned char* line_begin;
    size_t col0;
    size_t column(const unsigned char* p) const {
        return static_cast<size_t>(p - line_begin) + col0;
    }
};

}  // namespace ptool
