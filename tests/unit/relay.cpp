// Relaying a child's output: as-is, by line, tagged.
#include "libcommon/launch/relay.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "libcommon/core/fd.hpp"
#include "libcommon/launch/event_loop.hpp"
#include "test_support.hpp"

using namespace ptool;

TEST_CASE("LineFormatter prefixes complete lines and keeps a partial one until finish") {
    LineFormatter f(LinePrefix{"[7]", false});
    std::string out;
    f.feed("one\ntw", out);
    CHECK(out == "[7] one\n");
    f.feed("o\n\nthr", out);
    CHECK(out == "[7] one\n[7] two\n[7] \n");
    f.finish(out);
    CHECK(out == "[7] one\n[7] two\n[7] \n[7] thr\n");
    out.clear();
    f.finish(out);
    CHECK(out.empty());
}

TEST_CASE("LineFormatter cuts long lines between UTF-8 characters") {
    LineFormatter f(LinePrefix{"t", false}, 5);
    std::string out;
    f.feed("ab\xc3\xa9\xc3\xa9z\n", out);  // a b é é z: a cut at byte 5 would split an é
    CHECK(out == "t ab\xc3\xa9\nt \xc3\xa9z\n");
}

TEST_CASE("LineFormatter puts an ISO-8601 time before the tag") {
    LineFormatter f(LinePrefix{"x", true});
    std::string out;
    f.feed("line\n", out);
    REQUIRE(out.size() == 24 + 1 + 2 + 5);
    CHECK(out.substr(24) == " x line\n");
    CHECK(out[10] == 'T');
    CHECK(out[23] == 'Z');
}

TEST_CASE("PipeCapture keeps exactly the limit and reports the overflow") {
    EventLoop loop;
    Pipe p = make_pipe();
    CHECK(write_full(p.write.get(), std::string(100, 'a')) == 0);
    bool overflow = false, done = false;
    PipeCapture capture(
        loop, std::move(p.read), 64, [&] { overflow = true; },
        [&] {
            done = true;
            loop.stop();
        });
    loop.run();
    CHECK(overflow);
    CHECK(done);
    CHECK(capture.overflowed());
    CHECK(capture.data() == std::string(64, 'a'));
}

TEST_CASE("PipeCapture grows its buffer for large outputs and ends at EOF") {
    EventLoop loop;
    Pipe p = make_pipe();
    std::string data = test::random_bytes(3 << 20, 11);
    ChildSpec spec;  // a writer process, so the pipe fills and drains concurrently
    spec.argv = {"cat"};
    test::TempDir dir;
    test::write_file(dir / "data", data);
    spec.stdio[0] = StdioSpec::file(dir / "data", O_RDONLY);
    spec.stdio[1] = StdioSpec::from_fd(p.write.get());
    Child child = launch(spec);
    p.write.reset();
    PipeCapture capture(loop, std::move(p.read), 8 << 20, nullptr, [&] { loop.stop(); });
    loop.run();
    CHECK_FALSE(capture.overflowed());
    CHECK(capture.data() == data);
    CHECK(child.wait().code() == 0);
}

TEST_CASE("InputRelay copies a file into a child's stdin and closes it at the end") {
    test::TempDir dir;
    std::string data = test::random_bytes(1 << 20, 5);
    test::write_file(dir / "in", data);
    UniqueFd source = open_file(dir / "in", O_RDONLY);
    EventLoop loop;
    ChildSpec spec;
    spec.argv = {"cat"};
    spec.stdio[0] = StdioSpec::pipe();
    spec.stdio[1] = StdioSpec::pipe();
    Child child = launch(spec);
    InputRelay input(loop, source.get(), std::move(child.stdio[0]));
    PipeCapture out(loop, std::move(child.stdio[1]), 4 << 20, nullptr, [&] { loop.stop(); });
    loop.run();
    CHECK(out.data() == data);
    CHECK(child.wait().code() == 0);
}

TEST_CASE("LineSource delivers lines from a pipe and from a regular file") {
    test::TempDir dir;
    test::write_file(dir / "f", "a\nbb\nlast");
    UniqueFd file = open_file(dir / "f", O_RDONLY);
    Pipe p = make_pipe();
    CHECK(write_full(p.write.get(), "x\ny") == 0);
    p.write.reset();
    EventLoop loop;
    std::vector<std::string> from_file, from_pipe;
    int eofs = 0;
    LineSource a(
        loop, file.get(), [&](std::string_view l) { from_file.emplace_back(l); }, [&] { ++eofs; });
    LineSource b(
        loop, p.read.get(), [&](std::string_view l) { from_pipe.emplace_back(l); },
        [&] { ++eofs; });
    loop.run();
    CHECK(from_file == std::vector<std::string>{"a", "bb", "last"});
    CHECK(from_pipe == std::vector<std::string>{"x", "y"});
    CHECK(eofs == 2);
}
