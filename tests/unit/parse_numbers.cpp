// parse_count: decimal counts for options, with one-line errors that name no option
// (the option layer puts the name in front).
#include <catch2/catch.hpp>

#include <string>

#include "libcommon/core/error.hpp"
#include "libcommon/core/parse.hpp"

using namespace ptool;

namespace {

std::string count_error(std::string_view text, uint64_t max = 256) {
    try {
        parse_count(text, max);
    } catch (const UsageError& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("parse_count reads decimal digits, leading zeros and all") {
    CHECK(parse_count("0", 256) == 0);
    CHECK(parse_count("256", 256) == 256);
    CHECK(parse_count("08", 100) == 8);
    CHECK(parse_count("010", 100) == 10);
    CHECK(parse_count("18446744073709551615", UINT64_MAX) == UINT64_MAX);
}

TEST_CASE("parse_count rejects negative, empty, junk and too large values in one line") {
    CHECK(count_error("-1") == "'-1' is negative (expected a number from 0 to 256)");
    CHECK(count_error("") == "expected a number from 0 to 256, not an empty value");
    CHECK(count_error("0x10") == "'0x10' is not a number from 0 to 256");
    CHECK(count_error("+5") == "'+5' is not a number from 0 to 256");
    CHECK(count_error(" 5") == "' 5' is not a number from 0 to 256");
    CHECK(count_error("257") == "'257' is too large (at most 256)");
    std::string huge(300, '9');
    CHECK(count_error(huge) == "'99999999999999999999...' is too large (at most 256)");
    CHECK(count_error("18446744073709551616", UINT64_MAX).find("too large") != std::string::npos);
}
