// The format registry: every byte format bufdump reads or writes, one row each
// (its name and Node's aliases, what writes it, what reads it back, a line of
// help), in the order the help lists them. bufdump turns its options into
// FormatSettings and iterates this table instead of branching on names.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "libcommon/bytes/decoder.hpp"
#include "libcommon/bytes/numeric.hpp"
#include "libcommon/bytes/panel.hpp"
#include "libcommon/bytes/writer.hpp"
#include "libcommon/core/output.hpp"

namespace ptool {

// What the writers and decoders take from the command line, typed.
struct FormatSettings {
    int64_t columns = -1;         // bytes a line; -1: the format's default (0: hex on one line)
    int64_t group = -1;           // bytes a group (xxd); -1: the format's default
    int64_t wrap = -1;            // characters a line of hex/base64 text; -1: the default
    bool upper = false;           // upper-case hex digits
    bool color = false;           // color bytes by class (xxd, hexdump)
    bool ignore_garbage = false;  // decoders that can: skip characters outside the alphabet
    std::string_view file_name;   // the input's name, for xxd -i's variable; empty: stdin
    // xxd's other options (xxd, bits): -e, -d, -E, -a, -o.
    bool little_endian = false;
    bool decimal = false;
    bool ebcdic = false;
    bool autoskip = false;
    uint64_t display_offset = 0;
    bool squeeze = true;                        // hexdump: '*' for repeats (false: hexdump -v)
    std::string_view c_name;                    // xxd -n: the C array's name, from any input
    bool capitalize = false;                    // xxd -C: the C names in capitals, "_LEN"
    PanelBorder border = PanelBorder::unicode;  // -f panel (hexyl --border)
    NumberColumns numbers;                      // --as, --endian (xxd)
};

struct ByteFormat {
    using MakeWriter = std::unique_ptr<ByteWriter> (*)(OutputBuffer& out, const FormatSettings& s,
                                                       uint64_t offset);
    using MakeDecoder = std::unique_ptr<ByteDecoder> (*)(const FormatSettings& s);
    // A character set's bytes -> UTF-8, appended; returns the bytes at the end to
    // carry into the next chunk (with `final` false).
    using DecodeText = size_t (*)(std::string& out, std::string_view bytes, bool final);

    std::string_view name;
    std::array<std::string_view, 3> aliases;  // other names Node's Buffer accepts
    std::string_view help;
    // Bytes -> this form; for a character set, UTF-8 text -> its bytes.
    MakeWriter make_writer;
    // This form's text -> bytes; null: it cannot be read back.
    MakeDecoder make_decoder;
    // Character sets only (null for the others).
    DecodeText decode_text;
    size_t max_columns;  // the most bytes a line the form takes; 0: no limit
    bool skips_garbage;  // make_decoder honours ignore_garbage

    bool is_charset() const { return decode_text != nullptr; }
};

// All formats, in help order.
std::span<const ByteFormat> byte_formats();
// By name or alias in any case, as Node's Buffer.isEncoding; null when there is none.
const ByteFormat* find_byte_format(std::string_view name);
// The names, comma-separated, in help order: "xxd, hexdump, ...".
std::string byte_format_names();

}  // namespace ptool
