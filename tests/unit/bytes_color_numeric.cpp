// The colored-line painter (one escape per run of a class) and the --as value
// columns, against fixed expected text.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>

#include "libcommon/bytes/color_runs.hpp"
#include "libcommon/bytes/formats.hpp"
#include "libcommon/bytes/numeric.hpp"
#include "output_capture.hpp"
#include "test_support.hpp"

using namespace ptool;

namespace {

std::string numbers(const std::string& bytes, NumberType t, bool big = false) {
    char buf[512];
    NumberColumns c{t, big};
    char* end =
        format_numbers(buf, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), c);
    return std::string(buf, end);
}

// A line with the slack paint_line reads past its end.
std::string_view slack_line(std::string& keep, std::string_view text) {
    keep = std::string(text) + std::string(kPaintSlack, '\0');
    return std::string_view(keep.data(), text.size());
}

}  // namespace

TEST_CASE("paint_line writes an escape only where the class changes") {
    auto p = static_cast<uint8_t>(ByteClass::printable);
    auto z = static_cast<uint8_t>(ByteClass::null);
    ColorMark marks[] = {{0, p}, {1, p}, {2, z}, {4, kPaintPlain}, {5, p}};
    std::string got = test::capture_output([&](OutputBuffer& out) {
        std::string k;
        paint_line(slack_line(k, "ab00|c\n"), marks, 5, out);
        ;
    });
    CHECK(got == "\x1b[36mab\x1b[90m00\x1b[0m|\x1b[36mc\x1b[0m\n");
}

TEST_CASE("paint_line skips marks out of order or past the line") {
    auto p = static_cast<uint8_t>(ByteClass::printable);
    auto w = static_cast<uint8_t>(ByteClass::whitespace);
    ColorMark marks[] = {{2, p}, {1, w}, {9, w}};
    std::string got = test::capture_output([&](OutputBuffer& out) {
        std::string k;
        paint_line(slack_line(k, "abcd\n"), marks, 3, out);
        ;
    });
    CHECK(got == "ab\x1b[36mcd\x1b[0m\n");
    got = test::capture_output([&](OutputBuffer& out) {
        std::string k;
        paint_line(slack_line(k, "plain\n"), nullptr, 0, out);
        ;
    });
    CHECK(got == "plain\n");
}

TEST_CASE("format_numbers right-aligns each whole value in its type's width") {
    std::string b("\x01\x02\x03\x04\x05", 5);
    CHECK(numbers(b, NumberType::u8) == "   1   2   3   4   5");
    CHECK(numbers(b, NumberType::u16) == "   513  1027");
    CHECK(numbers(b, NumberType::u16, true) == "   258   772");
    CHECK(numbers(b, NumberType::u32) == "   67305985");
    CHECK(numbers(b, NumberType::u64).empty());
    CHECK(numbers("\x80", NumberType::i8) == " -128");
    CHECK(numbers(std::string("\x00\x80", 2), NumberType::i16) == " -32768");
}

TEST_CASE("format_numbers writes floats as the shortest round-trip decimal") {
    auto f32 = [](float v) {
        std::string s(4, '\0');
        std::memcpy(s.data(), &v, 4);
        return numbers(s, NumberType::f32);
    };
    auto f64 = [](double v) {
        std::string s(8, '\0');
        std::memcpy(s.data(), &v, 8);
        return numbers(s, NumberType::f64);
    };
    // A space, then the value right-aligned in 15 (f32) or 24 (f64) characters.
    auto pad = [](size_t width, std::string v) {
        return " " + std::string(width - v.size(), ' ') + v;
    };
    CHECK(f32(1.5f) == pad(15, "1.5"));
    CHECK(f32(0.1f) == pad(15, "0.1"));
    CHECK(f32(-0.0f) == pad(15, "-0"));
    CHECK(f32(std::numeric_limits<float>::infinity()) == pad(15, "inf"));
    CHECK(f32(-std::numeric_limits<float>::lowest()) == pad(15, "3.4028235e+38"));
    CHECK(f64(0.1) == pad(24, "0.1"));
    CHECK(f64(1e300) == pad(24, "1e+300"));
    CHECK(f64(-2.2250738585072014e-308).size() == 25);
}

TEST_CASE("find_byte_format takes names in any case and Node's aliases") {
    for (const char* name : {"UTF8", "utf-8", "Ucs-2", "UCS2", "utf-16LE", "base64URL", "LATIN1",
                             "binary", "HEX", "Ascii"})
        CHECK(find_byte_format(name) != nullptr);
    CHECK(find_byte_format("ucs-2") == find_byte_format("utf16le"));
    CHECK(find_byte_format("BINARY") == find_byte_format("latin1"));
    CHECK(find_byte_format("utf16") == nullptr);
    CHECK(find_byte_format("utf-16") == nullptr);
}
