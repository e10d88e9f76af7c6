// SpelledDuration (libcommon/core/parse.hpp): a configured duration keeps the text it
// was typed as, so that messages name it so; defaults and computed values follow
// format_duration's rule.
#include <catch2/catch.hpp>

#include "libcommon/core/parse.hpp"

using namespace ptool;
using namespace std::chrono_literals;

TEST_CASE("a spelled duration keeps its value and the text it was typed as") {
    SpelledDuration d = parse_spelled_duration("1.5s");
    CHECK(d == 1500ms);
    CHECK(format_duration(d) == "1.5s");
    CHECK(format_duration(parse_spelled_duration("1500ms")) == "1500ms");
    CHECK(format_duration(parse_spelled_duration("90s")) == "90s");
    CHECK(format_duration(parse_spelled_duration("2m")) == "2m");
}

TEST_CASE("a bare number is spelled with its unit, seconds") {
    CHECK(format_duration(parse_spelled_duration("2")) == "2s");
    CHECK(format_duration(parse_spelled_duration("0.25")) == "0.25s");
    CHECK(parse_spelled_duration("0.25") == 250ms);
}

TEST_CASE("a default or computed duration prints by format_duration's rule") {
    SpelledDuration grace{10s};
    CHECK(format_duration(grace) == "10s");
    CHECK(format_duration(SpelledDuration(1600ms)) == "1600ms");
    SpelledDuration typed = parse_spelled_duration("1.5s");
    SpelledDuration copy = typed;
    CHECK(format_duration(copy) == "1.5s");
    Duration doubled = typed * 2;  // arithmetic gives a plain Duration
    CHECK(format_duration(doubled) == "3s");
}

TEST_CASE("a bad spelled duration is the same error as parse_duration's") {
    CHECK_THROWS_WITH(parse_spelled_duration("5x"), Catch::Matchers::Contains("invalid duration"));
}
