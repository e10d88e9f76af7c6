// Durations, sizes, signals, users and groups from text.
#include <signal.h>
#include <catch2/catch.hpp>

#include "libcommon/core/error.hpp"
#include "libcommon/core/parse.hpp"

using namespace ptool;
using namespace std::chrono_literals;

TEST_CASE("durations accept every unit in the spec") {
    CHECK(parse_duration("250ms") == 250ms);
    CHECK(parse_duration("5s") == 5s);
    CHECK(parse_duration("2m") == 120s);
    CHECK(parse_duration("1h") == 3600s);
    CHECK(parse_duration("1.5") == 1500ms);
    CHECK(parse_duration("0") == 0s);
    CHECK(parse_duration("100us") == 100us);
}

TEST_CASE("bad durations are usage errors that name the text") {
    for (const char* bad : {"", "abc", "5x", "-1", "1.2.3", "ms", ".", "5 s"}) {
        INFO(bad);
        try {
            parse_duration(bad);
            FAIL("accepted");
        } catch (const UsageError& e) {
            CHECK(e.exit_status() == 2);
            CHECK(std::string(e.what()).find(std::string("'") + bad + "'") != std::string::npos);
        }
    }
}

TEST_CASE("format_duration writes whole seconds as s and the rest as ms") {
    using namespace std::chrono_literals;
    CHECK(format_duration(5s) == "5s");
    CHECK(format_duration(250ms) == "250ms");
    CHECK(format_duration(1500ms) == "1500ms");
    CHECK(format_duration(0s) == "0ms");
    CHECK(format_duration(parse_duration("2m")) == "120s");
}

TEST_CASE("sizes are powers of 1024") {
    CHECK(parse_size("4096") == 4096);
    CHECK(parse_size("64k") == 65536);
    CHECK(parse_size("64K") == 65536);
    CHECK(parse_size("1M") == 1048576);
    CHECK(parse_size("2G") == 2147483648ULL);
    CHECK(parse_size("1MiB") == 1048576);
    CHECK(parse_size("0") == 0);
    CHECK_THROWS_AS(parse_size("1X"), UsageError);
    CHECK_THROWS_AS(parse_size("-1"), UsageError);
    CHECK_THROWS_AS(parse_size(""), UsageError);
    CHECK_THROWS_AS(parse_size("99999999999999999999"), UsageError);
    CHECK_THROWS_AS(parse_size("99999999999999T"), UsageError);
}

TEST_CASE("offsets take a sign") {
    CHECK(parse_offset("-64k") == -65536);
    CHECK(parse_offset("+10") == 10);
    CHECK(parse_offset("7") == 7);
}

TEST_CASE("signals by name, SIG name or number") {
    CHECK(parse_signal("TERM") == SIGTERM);
    CHECK(parse_signal("SIGTERM") == SIGTERM);
    CHECK(parse_signal("sigkill") == SIGKILL);
    CHECK(parse_signal("15") == 15);
    CHECK(parse_signal("USR1") == SIGUSR1);
    CHECK(parse_signal("RTMIN+2") == SIGRTMIN + 2);
    CHECK_THROWS_AS(parse_signal("NOPE"), UsageError);
    CHECK_THROWS_AS(parse_signal("0"), UsageError);
    CHECK_THROWS_AS(parse_signal("999"), UsageError);
    CHECK(signal_name(SIGKILL) == "SIGKILL");
    CHECK(signal_short_name(SIGHUP) == "HUP");
}

TEST_CASE("users and groups by name or number") {
    CHECK(lookup_user("root").uid == 0);
    CHECK(lookup_user("0").name == "root");
    CHECK(lookup_group("root") == 0);
    CHECK(lookup_group("0") == 0);
    CHECK(user_name(0) == std::optional<std::string>("root"));
    CHECK_THROWS_AS(lookup_user("no-such-user-xyz"), UsageError);
    CHECK_THROWS_AS(lookup_group("no-such-group-xyz"), UsageError);
}

TEST_CASE("parse_int is strict") {
    CHECK(parse_int("42") == 42);
    CHECK(parse_int("-3") == -3);
    CHECK_FALSE(parse_int("4x"));
    CHECK_FALSE(parse_int(""));
    CHECK_FALSE(parse_int("99999999999999999999999"));
}
