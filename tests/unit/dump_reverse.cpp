// XxdReverseDecoder as xxd 2022's huntype(): chunking never changes the bytes,
// offsets go through on_seek, and the columns bound the bytes of a line.
#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "libcommon/bytes/xxd.hpp"

using namespace ptool;
using namespace std::string_literals;

namespace {

// Decodes `text` fed in chunks of `chunk` bytes.
std::string decode_in_chunks(std::string_view text, size_t chunk, size_t columns = 16) {
    XxdReverseDecoder d(columns);
    std::string out;
    for (size_t i = 0; i < text.size(); i += chunk) d.feed(text.substr(i, chunk), out);
    d.finish(out);
    return out;
}

}  // namespace

TEST_CASE("XxdReverseDecoder gives the same bytes however its input is cut") {
    const std::string text =
        "00000000: 4142 4344\t4546 4748 494a 4b4c 4d4e 4f50 5152  ABCDEFGHIJKLMNOP\r\n"
        "junk\n00000010  6162 63 6 4 65x66  abc\n00000020: 7a7a\n*\n30: 31 32  12";
    std::string whole = decode_in_chunks(text, text.size());
    CHECK(whole.substr(0, 16) == "ABCDEFGHIJKLMNOP");
    for (size_t chunk : {1, 2, 3, 5, 7, 16, 64}) {
        INFO("chunk " << chunk);
        CHECK(decode_in_chunks(text, chunk) == whole);
    }
}

TEST_CASE("XxdReverseDecoder takes at most `columns` bytes a line, as xxd -r -c") {
    CHECK(decode_in_chunks("0: 41424344\n", 100, 2) == "AB");
    CHECK(decode_in_chunks("0: 4142 4344 4546 4748 4950 5152 5354 5556 5758\n", 100) ==
          "ABCDEFGHIPQRSTUV");
    CHECK(decode_in_chunks("0: 4142 4344\n2: 4546\n", 3, 2) == "ABEF");
}

TEST_CASE("XxdReverseDecoder hands every move of the position to on_seek") {
    XxdReverseDecoder d;
    std::vector<std::pair<uint64_t, uint64_t>> moves;
    std::string written;
    d.on_seek = [&](std::string& out, uint64_t from, uint64_t to) {
        written += out;
        out.clear();
        moves.emplace_back(from, to);
        return true;
    };
    std::string out;
    d.feed("10: 4142\n0: 43\n7ffffffff: 44\n", out);
    d.finish(out);
    written += out;
    CHECK(written == "ABCD");
    REQUIRE(moves.size() == 3);
    CHECK(moves[0] == std::pair<uint64_t, uint64_t>(0, 0x10));
    CHECK(moves[1] == std::pair<uint64_t, uint64_t>(0x12, 0));
    CHECK(moves[2] == std::pair<uint64_t, uint64_t>(1, 0x7ffffffff));
}

TEST_CASE("XxdReverseDecoder fails where on_seek cannot go") {
    XxdReverseDecoder d;
    d.on_seek = [](std::string&, uint64_t from, uint64_t to) { return to > from; };
    std::string out;
    try {
        d.feed("2: 41\n\n0: 42\n", out);
        FAIL("no error");
    } catch (const DecodeError& e) {
        CHECK(e.line() == 3);
        CHECK(e.column() == 3);
        CHECK(std::string(e.what()) == "cannot seek backwards in the output");
    }
    CHECK(out == "A");  // decoded before the failed move, for the caller to write
}

TEST_CASE("XxdReverseDecoder keeps no line: a long one costs no memory past its columns") {
    XxdReverseDecoder d;
    std::string out;
    d.feed("00000000: ", out);
    std::string pairs;
    for (int i = 0; i < 4096; ++i) pairs += "4142 ";
    for (int i = 0; i < 64; ++i) d.feed(pairs, out);  // 1.3 MB of one line
    d.feed("\n10: 43\n", out);
    d.finish(out);
    CHECK(out == "ABABABABABABABABC");
    CHECK(out.capacity() < 4096 * 64);
}
