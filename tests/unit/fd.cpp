// UniqueFd and the read/write helpers.
#include <fcntl.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <thread>

#include "libcommon/core/error.hpp"
#include "libcommon/core/fd.hpp"
#include "test_support.hpp"

using namespace ptool;

TEST_CASE("UniqueFd closes on destruction and moves ownership") {
    int raw;
    {
        Pipe p = make_pipe();
        raw = p.read.get();
        CHECK(fcntl(raw, F_GETFD) & FD_CLOEXEC);
        UniqueFd moved = std::move(p.read);
        CHECK_FALSE(p.read);
        CHECK(moved.get() == raw);
    }
    CHECK(fcntl(raw, F_GETFD) == -1);
}

TEST_CASE("write_full and read_full move more than a pipe holds") {
    Pipe p = make_pipe();
    std::string data = test::random_bytes(1 << 20, 7);
    std::thread writer([&] {
        CHECK(write_full(p.write.get(), data) == 0);
        p.write.reset();
    });
    std::string got(data.size() + 10, '\0');
    ssize_t n = read_full(p.read.get(), got.data(), got.size());
    writer.join();
    REQUIRE(n == static_cast<ssize_t>(data.size()));
    got.resize(static_cast<size_t>(n));
    CHECK(got == data);
}

TEST_CASE("read_all reads to EOF") {
    Pipe p = make_pipe();
    write_full(p.write.get(), "hello");
    p.write.reset();
    CHECK(read_all(p.read.get(), "pipe") == "hello");
}

TEST_CASE("open_file errors name the path") {
    try {
        open_file("/nonexistent/x", O_RDONLY);
        FAIL("opened");
    } catch (const SysError& e) {
        CHECK(std::string(e.what()) == "/nonexistent/x: No such file or directory");
        CHECK(e.err() == ENOENT);
    }
}

TEST_CASE("write_full reports ENOSPC on /dev/full") {
    UniqueFd full = open_file("/dev/full", O_WRONLY);
    CHECK(write_full(full.get(), "x") == -1);
    CHECK(errno == ENOSPC);
}

TEST_CASE("set_nonblocking toggles O_NONBLOCK") {
    Pipe p = make_pipe();
    set_nonblocking(p.read.get());
    CHECK(fcntl(p.read.get(), F_GETFL) & O_NONBLOCK);
    set_nonblocking(p.read.get(), false);
    CHECK_FALSE(fcntl(p.read.get(), F_GETFL) & O_NONBLOCK);
}
