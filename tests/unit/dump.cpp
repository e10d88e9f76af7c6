// The dump writers (xxd, hexdump -C, C array, bits) against fixed expected output.
#include <unistd.h>
#include <catch2/catch.hpp>

#include <vector>

#include "libcommon/bytes/base64.hpp"
#include "libcommon/bytes/c_array.hpp"
#include "libcommon/bytes/encoded_text.hpp"
#include "libcommon/bytes/hex.hpp"
#include "libcommon/bytes/hexdump.hpp"
#include "libcommon/bytes/json_buffer.hpp"
#include "libcommon/bytes/text.hpp"
#include "libcommon/bytes/xxd.hpp"
#include "output_capture.hpp"
#include "test_support.hpp"

using namespace ptool;
using namespace std::string_literals;

namespace {

std::string decode_all(ByteDecoder& d, std::string_view text) {
    std::string out;
    d.feed(text, out);
    d.finish(out);
    return out;
}

}  // namespace

TEST_CASE("XxdFormatter writes xxd's default line layout") {
    std::string got = test::capture_output([](OutputBuffer& out) {
        XxdWriter w(out, XxdLayout{}, 0);
        w.write("Hello, world!\n\x00\x01\xff"s);
        w.finish();
    });
    CHECK(got ==
          "00000000: 4865 6c6c 6f2c 2077 6f72 6c64 210a 0001  Hello, world!...\n"
          "00000010: ff                                       .\n");
}

TEST_CASE("XxdFormatter widens the offset past 4 GiB as xxd does") {
    std::string got = test::capture_output([](OutputBuffer& out) {
        XxdWriter w(out, XxdLayout{}, 0x100000000ULL);
        w.write("AB");
        w.finish();
    });
    CHECK(got == "100000000: 4142                                     AB\n");
}

TEST_CASE("XxdWriter gives the same dump however the input is chunked") {
    std::string data = test::random_bytes(100, 5);
    XxdLayout layout;
    layout.columns = 7;
    layout.group = 3;
    std::string whole = test::capture_output([&](OutputBuffer& out) {
        XxdWriter w(out, layout, 0);
        w.write(data);
        w.finish();
    });
    std::string pieces = test::capture_output([&](OutputBuffer& out) {
        XxdWriter w(out, layout, 0);
        for (size_t i = 0; i < data.size(); i += 5) w.write(std::string_view(data).substr(i, 5));
        w.finish();
    });
    CHECK(whole == pieces);
}

TEST_CASE("XxdWriter vector paths write the same lines as the scalar path") {
    // Every byte value twice, so the text column's edges (0x1f 0x20 0x7e 0x7f 0x80) appear.
    std::string all;
    for (int i = 0; i < 512; ++i) all += static_cast<char>(i & 0xFF);
    std::vector<std::string> inputs = {all, test::random_bytes(100000, 11)};
    for (size_t n = 0; n <= 200; ++n) inputs.push_back(test::random_bytes(n, n + 1));
    for (SimdPath path : {SimdPath::ssse3, SimdPath::avx2, SimdPath::best}) {
        if (!simd_path_available(path)) continue;
        // Offsets whose lines end below, at and past 4 GiB, where xxd widens the offset.
        for (uint64_t offset : {uint64_t(0), uint64_t(0xFFFFF000), uint64_t(0x100000000)}) {
            for (bool upper : {false, true}) {
                for (const std::string& data : inputs) {
                    auto dump = [&](SimdPath p) {
                        return test::capture_output([&](OutputBuffer& out) {
                            XxdLayout layout;
                            layout.upper = upper;
                            layout.simd = p;
                            XxdWriter w(out, layout, offset);
                            w.write(data);
                            w.finish();
                        });
                    };
                    INFO("path " << static_cast<int>(path) << " offset " << offset << " upper "
                                 << upper << " length " << data.size());
                    REQUIRE(dump(path) == dump(SimdPath::scalar));
                }
            }
        }
    }
}

TEST_CASE("HexdumpFormatter squeezes repeated lines and ends with the offset") {
    std::string got = test::capture_output([](OutputBuffer& out) {
        HexdumpWriter w(out, 0, false);
        w.write(std::string(40, 'a'));
        w.finish();
    });
    CHECK(got ==
          "00000000  61 61 61 61 61 61 61 61  61 61 61 61 61 61 61 61  |aaaaaaaaaaaaaaaa|\n"
          "*\n"
          "00000020  61 61 61 61 61 61 61 61                           |aaaaaaaa|\n"
          "00000028\n");
    CHECK(test::capture_output([](OutputBuffer& out) {
              HexdumpWriter w(out, 0, false);
              w.finish();
          }).empty());
}

TEST_CASE("EncodedTextWriter wraps base64 and hex at any width") {
    auto encode = [](EncodedTextWriter::Form form, size_t wrap, std::string_view data) {
        return test::capture_output([&](OutputBuffer& out) {
            EncodedTextWriter w(out, form, wrap, false);
            for (char c : data) w.write(std::string_view(&c, 1));
            w.finish();
        });
    };
    CHECK(encode(EncodedTextWriter::Form::base64, 4, "hello") == "aGVs\nbG8=\n");
    CHECK(encode(EncodedTextWriter::Form::base64, 0, "hello") == "aGVsbG8=");
    CHECK(encode(EncodedTextWriter::Form::base64url, 3, "hello") == "aGV\nsbG\n8\n");
    CHECK(encode(EncodedTextWriter::Form::hex, 3, "\x01\xab") == "01a\nb\n");
    CHECK(encode(EncodedTextWriter::Form::hex, 60, "") == "");
}

TEST_CASE("JsonBufferWriter and CArrayWriter write JSON.stringify and xxd -i") {
    CHECK(test::capture_output([](OutputBuffer& out) {
              JsonBufferWriter w(out);
              w.write("\x00\x0a\xff"s);
              w.finish();
          }) == "{\"type\":\"Buffer\",\"data\":[0,10,255]}\n");
    CHECK(test::capture_output([](OutputBuffer& out) {
              CArrayWriter w(out, "x_bin", 2, false);
              w.write("abc");
              w.finish();
          }) ==
          "unsigned char x_bin[] = {\n  0x61, 0x62,\n  0x63\n};\nunsigned int x_bin_len = 3;\n");
    CHECK(c_array_name("/tmp/9a-b.c") == "_tmp_9a_b_c");
    CHECK(c_array_name("9a-b.c") == "__9a_b_c");
}

TEST_CASE("XxdReverseDecoder reads dumps and fills forward gaps with zeros") {
    XxdReverseDecoder d;
    CHECK(decode_all(d, "00000000: 4142 43  ABC\n\n*\n00000005: 44  D\n") == "ABC\0\0D"s);
}

TEST_CASE("XxdReverseDecoder reports only an offset it cannot reach, with line and column") {
    auto error_at = [](std::string_view text) {
        XxdReverseDecoder d;
        try {
            decode_all(d, text);
        } catch (const DecodeError& e) {
            return std::to_string(e.line()) + ":" + std::to_string(e.column()) + " " + e.what();
        }
        return std::string("no error");
    };
    // As xxd -r, garbage is skipped, not an error (tests/unit/dump_reverse.cpp).
    CHECK(error_at("hello\n") == "no error");
    CHECK(error_at("00000000: 41\n00000001: 4g\n") == "no error");
    CHECK(error_at("00000004: 41\n00000000: 41\n") == "2:10 offset goes backwards");
    CHECK(error_at("ffffffffff: 41\n") == "1:12 offset jumps too far ahead");
}

TEST_CASE("HexDecoder and Base64Decoder carry state across chunk boundaries") {
    std::string text = "68 656c\n6c6f";
    for (size_t cut = 0; cut <= text.size(); ++cut) {
        HexDecoder d;
        std::string out;
        d.feed(text.substr(0, cut), out);
        d.feed(text.substr(cut), out);
        d.finish(out);
        CHECK(out == "hello");
    }
    std::string b64 = "aGVs\nbG8=";
    for (size_t cut = 0; cut <= b64.size(); ++cut) {
        Base64Decoder d;
        std::string out;
        d.feed(b64.substr(0, cut), out);
        d.feed(b64.substr(cut), out);
        d.finish(out);
        CHECK(out == "hello");
    }
}

TEST_CASE("JsonBufferDecoder accepts a Buffer object or a bare array") {
    JsonBufferDecoder a;
    CHECK(decode_all(a, "{\"data\":[104,105],\"type\":\"Buffer\"}") == "hi");
    JsonBufferDecoder b;
    CHECK(decode_all(b, " [ 0 , 255 ] \n") == "\x00\xff"s);
    JsonBufferDecoder c;
    CHECK_THROWS_AS(decode_all(c, "[01]"), DecodeError);
    JsonBufferDecoder d;
    CHECK_THROWS_AS(decode_all(d, "{\"type\":\"Buffer\"}"), DecodeError);
    JsonBufferDecoder e;
    CHECK_THROWS_AS(decode_all(e, "[1,2"), DecodeError);
}
