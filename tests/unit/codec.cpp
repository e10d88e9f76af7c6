// The byte codecs: hex, base64 (scalar and vector paths), text encodings, decoders.
#include <catch2/catch.hpp>

#include <vector>

#include "libcommon/bytes/base64.hpp"
#include "libcommon/bytes/hex.hpp"
#include "libcommon/bytes/json_buffer.hpp"
#include "libcommon/bytes/text.hpp"
#include "test_support.hpp"

using namespace ptool;
using namespace std::string_literals;

TEST_CASE("hex_encode writes two lower-case digits a byte") {
    CHECK(hex_encode("") == "");
    CHECK(hex_encode("\x00\x01\xab\xff"s) == "0001abff");
    CHECK(hex_encode("\xab\xff", true) == "ABFF");
}

TEST_CASE("base64_encode pads as Buffer.toString base64 does") {
    CHECK(base64_encode("") == "");
    CHECK(base64_encode("f") == "Zg==");
    CHECK(base64_encode("fo") == "Zm8=");
    CHECK(base64_encode("foo") == "Zm9v");
    CHECK(base64_encode("foob") == "Zm9vYg==");
    CHECK(base64_encode("\xfb\xff\xfe") == "+//+");
}

TEST_CASE("base64_encode with url is unpadded base64url") {
    CHECK(base64_encode("f", true) == "Zg");
    CHECK(base64_encode("fo", true) == "Zm8");
    CHECK(base64_encode("\xfb\xff\xfe", true) == "-__-");
    for (size_t n = 0; n < 10; ++n) {
        std::string s = test::random_bytes(n, n);
        CHECK(base64_encode(s, true).size() == base64_encoded_size(n, true));
        CHECK(base64_encode(s).size() == base64_encoded_size(n, false));
    }
}

TEST_CASE("base64_encode_to vector paths write what the scalar path writes") {
    std::vector<std::string> inputs = {test::random_bytes(100003, 7)};
    for (size_t n = 0; n <= 200; ++n) inputs.push_back(test::random_bytes(n, n + 3));
    for (SimdPath path : {SimdPath::ssse3, SimdPath::avx2, SimdPath::best}) {
        if (!simd_path_available(path)) continue;
        for (bool url : {false, true}) {
            for (const std::string& data : inputs) {
                auto encode = [&](SimdPath p) {
                    std::string out(base64_encoded_size(data.size(), url), '\0');
                    char* end = base64_encode_to(
                        out.data(), reinterpret_cast<const unsigned char*>(data.data()),
                        data.size(), url, p);
                    CHECK(end == out.data() + out.size());
                    return out;
                };
                INFO("path " << static_cast<int>(path) << " url " << url << " length "
                             << data.size());
                REQUIRE(encode(path) == encode(SimdPath::scalar));
            }
        }
    }
    CHECK(simd_path_available(SimdPath::scalar));
    CHECK(simd_path_available(resolve_simd_path(SimdPath::best)));
}

TEST_CASE("utf8_lossy keeps valid UTF-8 unchanged") {
    std::string s = "plain ascii, \xc3\xa9t\xc3\xa9, \xe2\x82\xac, \xf0\x9f\x98\x80 and more ascii";
    CHECK(utf8_lossy(s) == s);
    CHECK(utf8_lossy(""s) == "");
    CHECK(utf8_lossy("\0a"s) == "\0a"s);
}

TEST_CASE("utf8_lossy replaces each maximal subpart with one U+FFFD") {
    const std::string r = "\xEF\xBF\xBD";
    CHECK(utf8_lossy("\xff") == r);
    CHECK(utf8_lossy("\x80\x80") == r + r);
    CHECK(utf8_lossy("\xc3") == r);
    CHECK(utf8_lossy("\xc3"
                     "a") == r + "a");
    CHECK(utf8_lossy("\xe2\x82") == r);  // truncated 3-byte: one replacement
    CHECK(utf8_lossy("\xe2\x82"
                     "a") == r + "a");
    CHECK(utf8_lossy("\xf0\x9f\x98") == r);
    CHECK(utf8_lossy("\xc0\xaf") == r + r);          // overlong lead is not a lead
    CHECK(utf8_lossy("\xe0\x80\xaf") == r + r + r);  // E0 needs A0..BF next
    CHECK(utf8_lossy("\xed\xa0\x80") == r + r + r);  // surrogates are invalid
    CHECK(utf8_lossy("\xf4\x90\x80\x80") == r + r + r + r);
    CHECK(utf8_lossy("\xf5") == r);
}

TEST_CASE("utf8_lossy_append carries a cut sequence into the next chunk") {
    std::string whole =
        "a\xf0\x9f\x98\x80"
        "b\xe2\x82\xac";
    for (size_t cut = 0; cut <= whole.size(); ++cut) {
        std::string out;
        size_t carry = utf8_lossy_append(out, std::string_view(whole).substr(0, cut), false);
        std::string rest = whole.substr(cut - carry);
        utf8_lossy_append(out, rest, true);
        CHECK(out == whole);
    }
    std::string out;
    CHECK(utf8_lossy_append(out, "x\xe2\x82", false) == 2);
    CHECK(out == "x");
}

TEST_CASE("latin1 ascii and utf16le decode as Node Buffer toString") {
    std::string out;
    latin1_to_utf8_append(out, "A\xe9\xff");
    CHECK(out == "A\xc3\xa9\xc3\xbf");
    out.clear();
    ascii_to_utf8_append(out, "A\xe9\xff");
    CHECK(out == "Ai\x7f");
    out.clear();
    utf16le_to_utf8_append(out,
                           "A\0=\xd8\0\xde\0\xd8"
                           "B\0x"s);
    CHECK(out ==
          "A\xf0\x9f\x98\x80\xef\xbf\xbd"
          "B");
}

TEST_CASE("utf16le_to_utf8_append carries a cut surrogate pair") {
    std::string whole =
        "=\xd8\0\xde"
        "A\0"s;
    for (size_t cut = 0; cut <= whole.size(); ++cut) {
        std::string out;
        size_t carry = utf16le_to_utf8_append(out, std::string_view(whole).substr(0, cut), false);
        utf16le_to_utf8_append(out, whole.substr(cut - carry), true);
        CHECK(out ==
              "\xf0\x9f\x98\x80"
              "A");
    }
}

TEST_CASE("utf8 text encodes to latin1 and utf16le as Buffer.from") {
    std::string out;
    utf8_to_latin1_append(out, "A\xc3\xa9\xf0\x9f\x98\x80");
    CHECK(out == "A\xe9=\x00"s);
    out.clear();
    utf8_to_utf16le_append(out, "A\xf0\x9f\x98\x80");
    CHECK(out == "A\0=\xd8\0\xde"s);
}

TEST_CASE("HexDecoder rejects bad characters and odd digit counts with positions") {
    HexDecoder d;
    std::string out;
    try {
        d.feed("0a\n b!", out);
        FAIL("no error");
    } catch (const DecodeError& e) {
        CHECK(e.line() == 2);
        CHECK(e.column() == 3);
        CHECK(std::string(e.what()) == "invalid hex character '!'");
    }
    CHECK(out == "\x0a");
    HexDecoder odd;
    out.clear();
    odd.feed("abc", out);
    CHECK_THROWS_AS(odd.finish(out), DecodeError);
}

TEST_CASE("Base64Decoder accepts both alphabets and rejects misplaced padding") {
    Base64Decoder d;
    std::string out;
    d.feed("-_8=", out);
    d.finish(out);
    CHECK(out == "\xfb\xff");
    Base64Decoder bad;
    out.clear();
    CHECK_THROWS_AS(bad.feed("Y===", out), DecodeError);
    Base64Decoder lone;
    out.clear();
    lone.feed("YWJjZ", out);
    CHECK_THROWS_AS(lone.finish(out), DecodeError);
}
