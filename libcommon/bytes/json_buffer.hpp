// Node's Buffer as JSON: `{"type":"Buffer","data":[...]}` as JSON.stringify
// writes it, and the decoder that reads it back (or a bare array of bytes).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "libcommon/bytes/decoder.hpp"
#include "libcommon/bytes/writer.hpp"

namespace ptool {

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

// JSON.stringify(buffer): {"type":"Buffer","data":[...]} and a newline.
class JsonBufferWriter : public ByteWriter {
public:
    using ByteWriter::ByteWriter;
    void write(std::string_view bytes) override;
    void finish() override;

private:
    bool started_ = false;
};

}  // namespace ptool
