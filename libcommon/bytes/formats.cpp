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

// ASCII case-insensitive, as Node compares encoding names.
bool same_name(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

size_t columns_or(const FormatSettings& s, size_t fallback) {
    return s.columns > 0 ? static_cast<size_t>(s.columns) : fallback;
}
size_t wrap_or(const FormatSettings& s, size_t fallback) {
    return s.wrap >= 0 ? static_cast<size_t>(s.wrap) : fallback;
}

// ---- Writers ----

template <bool bits>
std::unique_ptr<ByteWriter> xxd_writer(OutputBuffer& out, const FormatSettings& s,
                                       uint64_t offset) {
    XxdLayout layout;
    layout.bits = bits;
    layout.columns = columns_or(s, bits ? 6 : 16);
    layout.group = s.group >= 0 ? static_cast<size_t>(s.group) : (bits ? 1 : 2);
    layout.upper = s.upper;
    layout.color = s.color;
    layout.little_endian = s.little_endian;
    layout.decimal = s.decimal;
    layout.ebcdic = s.ebcdic;
    layout.autoskip = s.autoskip;
    layout.display_offset = s.display_offset;
    if (s.little_endian && s.group < 0) layout.group = 4;  // xxd -e's default
    layout.numbers = s.numbers;
    if (s.numbers.type != NumberType::none && s.group < 0)
        layout.group = number_size(s.numbers.type);
    return std::make_unique<XxdWriter>(out, layout, offset);
}

std::unique_ptr<ByteWriter> hexdump_writer(OutputBuffer& out, const FormatSettings& s,
                                           uint64_t offset) {
    return std::make_unique<HexdumpWriter>(out, offset, s.color, s.squeeze);
}

std::unique_ptr<ByteWriter> panel_writer(OutputBuffer& out, const FormatSettings& s,
                                         uint64_t offset) {
    return std::make_unique<PanelWriter>(out, offset + s.display_offset, s.border, s.color,
                                         s.squeeze);
}

std::unique_ptr<ByteWriter> hex_writer(OutputBuffer& out, const FormatSettings& s, uint64_t) {
    // -c 0: one line and its newline, as xxd -p -c0.
    size_t wrap = s.columns == 0 ? EncodedTextWriter::kOneLine : 2 * columns_or(s, 30);
    return std::make_unique<EncodedTextWriter>(out, EncodedTextWriter::Form::hex, wrap_or(s, wrap),
                                               s.upper);
}

template <EncodedTextWriter::Form form>
std::unique_ptr<ByteWriter> base64_writer(OutputBuffer& out, const FormatSettings& s, uint64_t) {
    return std::make_unique<EncodedTextWriter>(out, form, wrap_or(s, 76), false);
}

std::unique_ptr<ByteWriter> json_writer(OutputBuffer& out, const FormatSettings&, uint64_t) {
    return std::make_unique<JsonBufferWriter>(out);
}

std::unique_ptr<ByteWriter> c_array_writer(OutputBuffer& out, const FormatSettings& s, uint64_t) {
    std::string_view name = s.c_name.empty() ? s.file_name : s.c_name;
    return std::make_unique<CArrayWriter>(out, name.empty() ? "" : c_array_name(name, s.capitalize),
                                          columns_or(s, 12), s.upper, s.capitalize);
}

template <TextEncodeWriter::Charset charset>
std::unique_ptr<ByteWriter> text_writer(OutputBuffer& out, const FormatSettings&, uint64_t) {
    return std::make_unique<TextEncodeWriter>(out, charset);
}

// ---- Decoders ----

std::unique_ptr<ByteDecoder> xxd_decoder(const FormatSettings& s) {
    return std::make_unique<XxdReverseDecoder>(columns_or(s, 16));
}

// hex and base64 (either alphabet): -i skips what is outside the alphabet.
template <typename Decoder>
std::unique_ptr<ByteDecoder> alphabet_decoder(const FormatSettings& s) {
    return std::make_unique<Decoder>(s.ignore_garbage);
}

std::unique_ptr<ByteDecoder> json_decoder(const FormatSettings&) {
    return std::make_unique<JsonBufferDecoder>();
}

// latin1 and ascii: a byte a character, nothing to carry.
template <void (*decode)(std::string&, std::string_view)>
size_t bytewise_text(std::string& out, std::string_view bytes, bool) {
    decode(out, bytes);
    return 0;
}

using Form = EncodedTextWriter::Form;
using Charset = TextEncodeWriter::Charset;

// One row a format reads better than one field a line.
// clang-format off
constexpr ByteFormat kFormats[] = {
    // name, aliases, help,
    //     writer, decoder, charset decoder, max columns, skips garbage
    {"xxd", {}, "xxd's dump: offset, hex in groups, text column",
        xxd_writer<false>, xxd_decoder, nullptr, kXxdMaxColumns, false},
    {"hexdump", {}, "hexdump -C: 16 bytes a line, repeats as '*'",
        hexdump_writer, nullptr, nullptr, 0, false},
    {"panel", {}, "hexyl's view: offset, two 8-byte hex panels, characters",
        panel_writer, nullptr, nullptr, 0, false},
    {"hex", {}, "plain hex digits (xxd -p), 30 bytes a line",
        hex_writer, alphabet_decoder<HexDecoder>, nullptr, 0, true},
    {"base64", {}, "base64, 76 characters a line (as coreutils base64)",
        base64_writer<Form::base64>, alphabet_decoder<Base64Decoder>, nullptr, 0, true},
    {"base64url", {}, "base64url, unpadded (Buffer.toString('base64url'))",
        base64_writer<Form::base64url>, alphabet_decoder<Base64Decoder>, nullptr, 0, true},
    {"utf8", {"utf-8"}, "UTF-8 text, ill-formed sequences as U+FFFD",
        text_writer<Charset::utf8>, nullptr, utf8_lossy_append, 0, false},
    {"latin1", {"binary"}, "latin1: a byte a code point",
        text_writer<Charset::latin1>, nullptr, bytewise_text<latin1_to_utf8_append>, 0, false},
    {"ascii", {}, "ascii: the high bit cleared",
        text_writer<Charset::latin1>, nullptr, bytewise_text<ascii_to_utf8_append>, 0, false},
    {"utf16le", {"utf-16le", "ucs2", "ucs-2"}, "UTF-16 little-endian",
        text_writer<Charset::utf16le>, nullptr, utf16le_to_utf8_append, 0, false},
    {"json", {}, "JSON.stringify(buffer): {\"type\":\"Buffer\",\"data\":[...]}",
        json_writer, json_decoder, nullptr, 0, false},
    {"c", {}, "xxd -i: a C array, 12 bytes a line",
        c_array_writer, nullptr, nullptr, 0, false},
    {"bits", {}, "xxd -b: eight binary digits a byte, 6 bytes a line",
        xxd_writer<true>, nullptr, nullptr, kXxdMaxColumns, false},
};
// clang-format on

}  // namespace

std::span<const ByteFormat> byte_formats() {
    return kFormats;
}

const ByteFormat* find_byte_format(std::string_view name) {
    for (const ByteFormat& f : kFormats) {
        if (same_name(f.name, name)) return &f;
        for (std::string_view alias : f.aliases)
            if (!alias.empty() && same_name(alias, name)) return &f;
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
