// The interface every "bytes -> output form" writer implements (dumps, byte
// forms, character sets): bytes in chunks of any size onto an OutputBuffer.
#pragma once

#include <string_view>

#include "libcommon/core/output.hpp"

namespace ptool {

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

}  // namespace ptool
