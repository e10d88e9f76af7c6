// The format registry (libcommon/bytes/formats.hpp): the names and aliases
// bufdump accepts, which formats read back, and that every format's writer and
// decoder taken from the table agree with each other (a round trip).
#include "libcommon/bytes/formats.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "libcommon/core/fd.hpp"
#include "test_support.hpp"

using namespace ptool;

namespace {

// What an OutputBuffer on an anonymous memory file received from `fill`.
template <typename Fill>
std::string capture(Fill fill) {
    UniqueFd fd(::memfd_create("bytes_formats", MFD_CLOEXEC));
    REQUIRE(fd.get() >= 0);
    OutputBuffer out(fd.get(), 4096);
    fill(out);
    out.flush();
    std::string text(static_cast<size_t>(::lseek(fd.get(), 0, SEEK_END)), '\0');
    REQUIRE(::pread(fd.get(), text.data(), text.size(), 0) == static_cast<ssize_t>(text.size()));
    return text;
}

// `bytes` through the format's writer, in two chunks.
std::string write_with(const ByteFormat& f, const FormatSettings& s, std::string_view bytes) {
    return capture([&](OutputBuffer& out) {
        auto writer = f.make_writer(out, s, 0);
        writer->write(bytes.substr(0, bytes.size() / 3));
        writer->write(bytes.substr(bytes.size() / 3));
        writer->finish();
    });
}

}  // namespace

TEST_CASE("byte_formats lists bufdump's formats in help order") {
    std::vector<std::string> names;
    for (const ByteFormat& f : byte_formats()) names.emplace_back(f.name);
    CHECK(names == std::vector<std::string>{"xxd", "hexdump", "panel", "hex", "base64", "base64url",
                                            "utf8", "latin1", "ascii", "utf16le", "json", "c",
                                            "bits"});
    CHECK(byte_format_names() ==
          "xxd, hexdump, panel, hex, base64, base64url, utf8, latin1, "
          "ascii, utf16le, json, c, bits");
    for (const ByteFormat& f : byte_formats()) {
        CHECK(f.make_writer != nullptr);
        CHECK_FALSE(f.help.empty());
    }
}

TEST_CASE("find_byte_format finds a format by its name or one of Node's aliases") {
    CHECK(find_byte_format("xxd")->name == "xxd");
    CHECK(find_byte_format("utf-8")->name == "utf8");
    CHECK(find_byte_format("binary")->name == "latin1");
    CHECK(find_byte_format("utf-16le")->name == "utf16le");
    CHECK(find_byte_format("ucs2")->name == "utf16le");
    CHECK(find_byte_format("") == nullptr);         // unused alias slots are empty: no match
    CHECK(find_byte_format("XXD")->name == "xxd");  // any case, as Node's Buffer.isEncoding
    CHECK(find_byte_format("base32") == nullptr);
}

TEST_CASE("the registry says which formats read back, skip garbage and limit columns") {
    std::vector<std::string> reverse, garbage, limited, charsets;
    for (const ByteFormat& f : byte_formats()) {
        if (f.make_decoder) reverse.emplace_back(f.name);
        if (f.skips_garbage) garbage.emplace_back(f.name);
        if (f.max_columns == 256) limited.emplace_back(f.name);
        if (f.is_charset()) charsets.emplace_back(f.name);
        CHECK((f.max_columns == 0 || f.max_columns == 256));
        CHECK_FALSE((f.is_charset() && f.make_decoder));
    }
    CHECK(reverse == std::vector<std::string>{"xxd", "hex", "base64", "base64url", "json"});
    CHECK(garbage == std::vector<std::string>{"hex", "base64", "base64url"});
    CHECK(limited == std::vector<std::string>{"xxd", "bits"});
    CHECK(charsets == std::vector<std::string>{"utf8", "latin1", "ascii", "utf16le"});
}

TEST_CASE("every format that reads back decodes its own writer's output to the bytes") {
    std::string bytes = test::random_bytes(1000, 42);
    for (const ByteFormat& f : byte_formats()) {
        if (!f.make_decoder) continue;
        INFO(f.name);
        FormatSettings s;
        std::string text = write_with(f, s, bytes);
        auto decoder = f.make_decoder(s);
        std::string back;
        decoder->feed(std::string_view(text).substr(0, text.size() / 2), back);
        decoder->feed(std::string_view(text).substr(text.size() / 2), back);
        decoder->finish(back);
        CHECK(back == bytes);
    }
}

TEST_CASE("the registry's writers take the format's defaults and the settings given") {
    auto repeat = [](std::string_view unit, size_t n) {
        std::string r;
        for (size_t i = 0; i < n; ++i) r += unit;
        return r;
    };
    const ByteFormat& hex = *find_byte_format("hex");
    std::string as(40, 'A');
    FormatSettings s;
    CHECK(write_with(hex, s, as) == repeat("41", 30) + "\n" + repeat("41", 10) + "\n");
    s.columns = 0;  // xxd -p -c0: one line
    CHECK(write_with(hex, s, as) == repeat("41", 40) + "\n");
    s = {};
    s.upper = true;
    CHECK(write_with(hex, s, "\xab") == "AB\n");

    const ByteFormat& base64 = *find_byte_format("base64");
    s = {};
    CHECK(write_with(base64, s, std::string(60, 'A')) == repeat("QUFB", 19) + "\nQUFB\n");
    s.wrap = 0;
    CHECK(write_with(base64, s, "AAA") == "QUFB");

    const ByteFormat& c = *find_byte_format("c");
    s = {};
    s.file_name = "1.bin";
    CHECK(write_with(c, s, "\x01") ==
          "unsigned char __1_bin[] = {\n  0x01\n};\nunsigned int __1_bin_len = 1;\n");
    s.file_name = {};
    CHECK(write_with(c, s, "\x01") == "  0x01\n");

    const ByteFormat& bits = *find_byte_format("bits");
    s = {};
    CHECK(write_with(bits, s, "A") == "00000000: 01000001" + std::string(47, ' ') + "A\n");
}

TEST_CASE("the character sets' rows decode their bytes to UTF-8 and encode them back") {
    std::string latin1 = "caf\xe9";
    for (std::string_view name : {"latin1", "utf8", "utf16le", "ascii"}) {
        INFO(name);
        const ByteFormat& f = *find_byte_format(name);
        std::string bytes = name == "latin1"    ? latin1
                            : name == "utf16le" ? std::string("c\0a\0f\0\xe9\0", 8)
                            : name == "ascii"   ? std::string("cafe")
                                                : std::string("caf\xc3\xa9");
        std::string utf8;
        size_t left = f.decode_text(utf8, bytes, true);
        CHECK(left == 0);
        CHECK(utf8 == (name == "ascii" ? "cafe" : "caf\xc3\xa9"));
        CHECK(write_with(f, FormatSettings{}, utf8) == bytes);
    }
    // A sequence cut by a chunk's end is handed back to be carried.
    std::string out;
    CHECK(find_byte_format("utf8")->decode_text(out, "caf\xc3", false) == 1);
    CHECK(out == "caf");
}
