// The format registry's rows (formats.hpp): each format's factories, built from
// the settings with that format's defaults (xxd 16 columns in groups of 2, xxd -b
// 6 in groups of 1, xxd -i 12, xxd -p 30, base64 76 characters a line).
#include "libcommon/bytes/formats.hpp"

#include "libcommon/bytes/base64.hpp"
#include "libcommon/bytes/c_array.hpp"
#include "libcommon/bytes/encoded_text.hpp"
#include "libcommon/bytes/hex.hpp"
#include "libcommon/bytes/hexdump.hpp"
#include "libcommon/bytes/json_buffer.hpp"
#include "libcommon/bytes/text.hpp"
#include "libcommon/bytes/xxd.hpp"

namespace ptool {

namespace {

size_t columns_or(const FormatSettings& s, size_t fallback) {
    return s.columns > 0 ? static_cast<size_t>(s.columns) : fallback;
}
size_t wrap_or(const FormatSettings& s, size_t fallback) {
    return s.wrap >= 0 ? static_cast<size_t>(s.wrap) : fallback;
}

std::unique_ptr<ByteWriter> xxd_writer(OutputBuffer& out, const FormatSettings& s, uint64_t offset,
                                       bool bits) {
    XxdLayout layout;
    layout.bits = bits;
    layout.columns = columns_or(s, bits ? 6 : 16);
    layout.group = s.group >= 0 ? static_cast<size_t>(s.group) : (bits ? 1 : 2);
    layout.upper = s.upper;
    layout.color = s.color;
    return std::make_unique<XxdWriter>(out, layout, offset);
}

std::unique_ptr<ByteWriter> base64_writer(OutputBuffer& out, const FormatSettings& s,
                                          EncodedTextWriter::Form form) {
    return std::make_unique<EncodedTextWriter>(out, form, wrap_or(s, 76), false);
}

template <TextEncodeWriter::Charset charset>
std::unique_ptr<ByteWriter> text_writer(OutputBuffer& out, const FormatSettings&, uint64_t) {
    return std::make_unique<TextEncodeWriter>(out, charset);
}

constexpr ByteFormat kFormats[] = {
    {"xxd",
     {},
     "xxd's dump: offset, hex in groups, text column",
     [](OutputBuffer& out, const FormatSettings& s, uint64_t offset) {
         return xxd_writer(out, s, offset, false);
     },
     [](const FormatSettings& s) -> std::unique_ptr<ByteDecoder> {
         return std::make_unique<XxdReverseDecoder>(columns_or(s, 16));
     },
     nullptr,
     kXxdMaxColumns,
     false},
    {"hexdump",
     {},
     "hexdump -C: 16 bytes a line, repeats as '*'",
     [](OutputBuffer& out, const FormatSettings& s,
        uint64_t offset) -> std::unique_ptr<ByteWriter> {
         return std::make_unique<HexdumpWriter>(out, offset, s.color);
     },
     nullptr,
     nullptr,
     0,
     false},
    {"hex",
     {},
     "plain hex digits (xxd -p), 30 bytes a line",
     [](OutputBuffer& out, const FormatSettings& s, uint64_t) -> std::unique_ptr<ByteWriter> {
         // -c 0: one line and its newline, as xxd -p -c0.
         size_t wrap = s.columns == 0 ? EncodedTextWriter::kOneLine : 2 * columns_or(s, 30);
         return std::make_unique<EncodedTextWriter>(out, EncodedTextWriter::Form::hex,
                                                    wrap_or(s, wrap), s.upper);
     },
     [](const FormatSettings& s) -> std::unique_ptr<ByteDecoder> {
         return std::make_unique<HexDecoder>(s.ignore_garbage);
     },
     nullptr,
     0,
     true},
    {"base64",
     {},
     "base64, 76 characters a line (as coreutils base64)",
     [](OutputBuffer& out, const FormatSettings& s, uint64_t) {
         return base64_writer(out, s, EncodedTextWriter::Form::base64);
     },
     [](const FormatSettings& s) -> std::unique_ptr<ByteDecoder> {
         return std::make_unique<Base64Decoder>(s.ignore_garbage);
     },
     nullptr,
     0,
     true},
    {"base64url",
     {},
     "base64url, unpadded (Buffer.toString('base64url'))",
     [](OutputBuffer& out, const FormatSettings& s, uint64_t) {
         return base64_writer(out, s, EncodedTextWriter::Form::base64url);
     },
     [](const FormatSettings& s) -> std::unique_ptr<ByteDecoder> {
         return std::make_unique<Base64Decoder>(s.ignore_garbage);
     },
     nullptr,
     0,
     true},
    {"utf8",
     {"utf-8"},
     "UTF-8 text, ill-formed sequences as U+FFFD",
     text_writer<TextEncodeWriter::Charset::utf8>,
     nullptr,
     [](std::string& out, std::string_view bytes, bool final) {
         return utf8_lossy_append(out, bytes, final);
     },
     0,
     false},
    {"latin1",
     {"binary"},
     "latin1: a byte a code point",
     text_writer<TextEncodeWriter::Charset::latin1>,
     nullptr,
     [](std::string& out, std::string_view bytes, bool) -> size_t {
         latin1_to_utf8_append(out, bytes);
         return 0;
     },
     0,
     false},
    {"ascii",
     {},
     "ascii: the high bit cleared",
     text_writer<TextEncodeWriter::Charset::latin1>,
     nullptr,
     [](std::string& out, std::string_view bytes, bool) -> size_t {
         ascii_to_utf8_append(out, bytes);
         return 0;
     },
     0,
     false},
    {"utf16le",
     {"utf-16le", "ucs2"},
     "UTF-16 little-endian",
     text_writer<TextEncodeWriter::Charset::utf16le>,
     nullptr,
     [](std::string& out, std::string_view bytes, bool final) {
         return utf16le_to_utf8_append(out, bytes, final);
     },
     0,
     false},
    {"json",
     {},
     "JSON.stringify(buffer): {\"type\":\"Buffer\",\"data\":[...]}",
     [](OutputBuffer& out, const FormatSettings&, uint64_t) -> std::unique_ptr<ByteWriter> {
         return std::make_unique<JsonBufferWriter>(out);
     },
     [](const FormatSettings&) -> std::unique_ptr<ByteDecoder> {
         return std::make_unique<JsonBufferDecoder>();
     },
     nullptr,
     0,
     false},
    {"c",
     {},
     "xxd -i: a C array, 12 bytes a line",
     [](OutputBuffer& out, const FormatSettings& s, uint64_t) -> std::unique_ptr<ByteWriter> {
         return std::make_unique<CArrayWriter>(
             out, s.file_name.empty() ? "" : c_array_name(s.file_name), columns_or(s, 12), s.upper);
     },
     nullptr,
     nullptr,
     0,
     false},
    {"bits",
     {},
     "xxd -b: eight binary digits a byte, 6 bytes a line",
     [](OutputBuffer& out, const FormatSettings& s, uint64_t offset) {
         return xxd_writer(out, s, offset, true);
     },
     nullptr,
     nullptr,
     kXxdMaxColumns,
     false},
};

}  // namespace

std::span<const ByteFormat> byte_formats() {
    return kFormats;
}

const ByteFormat* find_byte_format(std::string_view name) {
    for (const ByteFormat& f : kFormats) {
        if (f.name == name) return &f;
        for (std::string_view alias : f.aliases)
            if (!alias.empty() && alias == name) return &f;
    }
    return nullptr;
}

std::string byte_format_names() {
    std::string names;
    for (const ByteFormat& f : kFormats) {
        if (!names.empty()) names += ", ";
        names += f.name;
    }
    return names;
}

}  // namespace ptool
