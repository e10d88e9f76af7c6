// bufdump --as TYPE --endian ORDER: the values after xxd's text column (padded
// to a whole line and a blank), each right-aligned in its type's width.
#include <catch2/catch.hpp>

#include "bufdump_harness.hpp"

using namespace ptool::test;

namespace {

// A space, then the value right-aligned in `width` characters.
std::string pad(size_t width, const std::string& v) {
    return " " + std::string(width - v.size(), ' ') + v;
}

}  // namespace

TEST_CASE("bufdump --as u16 puts the values after the text column") {
    std::string data("\x01\x00\xff\xff\x00\x80", 6);
    auto r = run_ptool(bufdump({"--as", "u16"}), data);
    CHECK(r.status == 0);
    // Groups of 2 (the value size), the text column padded to 16, then the values.
    CHECK(r.out == "00000000: 0100 ffff 0080" + std::string(27, ' ') + "......" +
                       std::string(11, ' ') + pad(5, "1") + pad(5, "65535") + pad(5, "32768") +
                       "\n");
    r = run_ptool(bufdump({"--as", "u16", "--endian", "big"}), data);
    CHECK(r.out.substr(r.out.size() - 19) ==
          pad(5, "256") + pad(5, "65535") + pad(5, "128") + "\n");
}

TEST_CASE("bufdump --as reads signed, wide and float values in either byte order") {
    std::string data("\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\xc0\x3f\x00\x00\x80\x7f", 16);
    auto values = [&](std::vector<std::string> args) {
        auto r = run_ptool(bufdump(args), data);
        REQUIRE(r.status == 0);
        size_t text = r.out.find("...........?....");
        REQUIRE(text != std::string::npos);
        return r.out.substr(text + 17, r.out.size() - text - 18);  // after the blank
    };
    CHECK(values({"--as", "i8"}).find(pad(4, "-1") + pad(4, "-1")) == 0);
    CHECK(values({"--as", "i32"}) ==
          pad(11, "-1") + pad(11, "-1") + pad(11, "1069547520") + pad(11, "2139095040"));
    CHECK(values({"--as", "u64"}) ==
          pad(20, "18446744073709551615") + pad(20, "9187343240905359360"));
    CHECK(values({"--as", "i64"}) == pad(20, "-1") + pad(20, "9187343240905359360"));
    CHECK(values({"--as", "f32"}) ==
          pad(15, "-nan") + pad(15, "-nan") + pad(15, "1.5") + pad(15, "inf"));
    CHECK(values({"--as", "f32", "--endian", "big"}).find(pad(15, "-nan") + pad(15, "-nan")) == 0);
    // python3: struct.unpack('<d', bytes.fromhex('0000c03f0000807f')) is 1.40444809514963e+306.
    CHECK(values({"--as", "f64"}) == pad(24, "-nan") + pad(24, "1.40444809514963e+306"));
}

TEST_CASE("bufdump --as leaves out a part value at the end and pads short lines") {
    auto r = run_ptool(bufdump({"--as", "u32"}), std::string("\x01\x00\x00\x00\x02", 5));
    CHECK(r.out == "00000000: 01000000 02" + std::string(26, ' ') + "....." + std::string(11, ' ') +
                       "           1\n");
}

TEST_CASE("bufdump --as refuses other formats and lines of part values") {
    CHECK(run_ptool(bufdump({"--as", "u32", "-c", "6"}), std::string("abc")).status == 2);
    CHECK(run_ptool(bufdump({"--as", "u32", "-f", "hexdump"}), std::string("abc")).status == 2);
    CHECK(run_ptool(bufdump({"--as", "q8"}), std::string("abc")).status == 2);
}
