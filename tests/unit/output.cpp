// OutputBuffer, EventWriter and colour decisions.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include "libcommon/core/error.hpp"
#include "libcommon/core/fd.hpp"
#include "libcommon/core/output.hpp"
#include "test_support.hpp"

using namespace ptool;

TEST_CASE("OutputBuffer keeps order across small, reserved and oversized writes") {
    test::TempDir dir;
    std::string path = dir / "out";
    std::string big = test::random_bytes(100000, 3);
    {
        UniqueFd fd = open_file(path, O_WRONLY | O_CREAT | O_TRUNC);
        OutputBuffer out(fd.get(), 4096);
        out.write("abc");
        out.put('d');
        char* p = out.reserve(2);
        p[0] = 'e';
        p[1] = 'f';
        out.commit(2);
        out.write(big);
        out.write("tail");
        out.flush();
    }
    CHECK(test::read_file(path) == "abcdef" + big + "tail");
}

TEST_CASE("OutputBuffer reports a write error on flush") {
    UniqueFd full = open_file("/dev/full", O_WRONLY);
    OutputBuffer out(full.get(), 64);
    out.write("data");
    try {
        out.flush();
        FAIL("no error");
    } catch (const SysError& e) {
        CHECK(std::string(e.what()) == "write error: No space left on device");
    }
}

TEST_CASE("color: never, always, and auto honours NO_COLOR and terminals") {
    CHECK(use_color(ColorMode::always, 1));
    CHECK_FALSE(use_color(ColorMode::never, 1));
    Pipe p = make_pipe();
    CHECK_FALSE(use_color(ColorMode::automatic, p.write.get()));  // a pipe is not a terminal
    CHECK(parse_color_mode("auto") == ColorMode::automatic);
    CHECK_THROWS_AS(parse_color_mode("sometimes"), UsageError);
}
