// The IPC boundary against hostile input: parse_json_text never throws and never
// recurses without bound, LineBuffer splits in linear time and bounded memory, and
// IpcChannel drops what it cannot take and reads a bounded amount per call.
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <thread>

#include "libcommon/core/json_text.hpp"
#include "libcommon/launch/ipc.hpp"

using ptool::IpcChannel;
using ptool::IpcDecoded;
using ptool::IpcMessage;
using ptool::LineBuffer;
using ptool::parse_json_text;

namespace {

std::string nested(size_t depth, bool closed) {
    return std::string(depth, '[') + (closed ? std::string(depth, ']') : "");
}

// Writes all of `data` to a blocking socket end (in a thread, the reader being us).
void write_all(int fd, const std::string& data) {
    for (size_t off = 0; off < data.size();) {
        ssize_t n = ::write(fd, data.data() + off, data.size() - off);
        if (n <= 0) return;
        off += static_cast<size_t>(n);
    }
}

}  // namespace

TEST_CASE("parse_json_text: hostile texts are errors with a position and never exceptions") {
    struct Case {
        std::string text;
        std::string error;
    };
    std::vector<Case> cases = {
        {"1e999", "at line 1, column 5: number out of range"},
        {"-1e999", "at line 1, column 6: number out of range"},
        {"[1," + std::string(400, '9') + "]", "at line 1, column 403: number out of range"},
        {nested(100000, true), "at line 1, column 513: nested deeper than 512 levels"},
        {nested(100000, false), "at line 1, column 513: nested deeper than 512 levels"},
        {"{\"a\":" + nested(600, true) + "}",
         "at line 1, column 517: nested deeper than 512 levels"},
        {std::string("[1]\0x", 5), "at line 1, column 4: NUL byte"},
        {std::string("\0", 1), "at line 1, column 1: NUL byte"},
        {"", "at line 1, column 0: empty message"},
        {"  \t", "at line 1, column 3: empty message"},
        {"\"\xff\"", "at line 1, column 2: invalid string: ill-formed UTF-8 byte"},
        {"{\"a\":1,}", "at line 1, column 8: unexpected '}'; expected string literal"},
        {"[1]\n[2]", "at line 2, column 1: unexpected '['; expected end of input"},
    };
    for (const auto& c : cases) {
        INFO(c.text.substr(0, 40));
        auto parsed = parse_json_text(c.text);
        CHECK_FALSE(parsed);
        CHECK(parsed.error == c.error);
    }
    CHECK(parse_json_text(nested(512, true)));
    CHECK(parse_json_text("{\"b\":1,\"a\":[1e300,-0.5,\"w\u00f6rld\"]}").value->dump() ==
          "{\"b\":1,\"a\":[1e+300,-0.5,\"w\u00f6rld\"]}");
    CHECK(parse_json_text(" 42 \r\n").value == ptool::Json(42));
    CHECK(parse_json_text("[1]", 0).error == "at line 1, column 1: nested deeper than 0 levels");
}

TEST_CASE("LineBuffer: lines in pieces and an oversized line dropped in bounded memory") {
    LineBuffer lines(8);
    std::vector<std::string> got;
    auto on_line = [&](std::string_view l, uint64_t nl, size_t dropped) {
        got.push_back(dropped ? "DROP " + std::to_string(dropped) + "@" + std::to_string(nl)
                              : std::string(l) + "@" + std::to_string(nl));
    };
    lines.feed("ab", on_line);
    lines.feed("c\n12345678\n123", on_line);
    CHECK(lines.buffered() == 3);
    lines.feed("456789", on_line);  // past 8: dropped as it arrives
    CHECK(lines.buffered() == 0);
    lines.feed(std::string(1000, 'x'), on_line);
    CHECK(lines.buffered() == 0);
    lines.feed("\nok\ntail", on_line);
    lines.finish(on_line);
    CHECK(got == std::vector<std::string>{"abc@3", "12345678@12", "DROP 1009@1022", "ok@1025",
                                          "tail@1030"});
}

TEST_CASE("LineBuffer: splitting is linear in the line length") {
    // 64 MiB in 64 KiB pieces: a rescan from the line's start per piece would be
    // 512 times this much work.
    LineBuffer lines(128 << 20);
    std::string piece(64 << 10, 'a');
    size_t total = 0;
    auto on_line = [&](std::string_view l, uint64_t, size_t) { total += l.size(); };
    for (int i = 0; i < 1024; ++i) lines.feed(piece, on_line);
    lines.feed("\n", on_line);
    CHECK(total == size_t{64} << 20);
}

TEST_CASE("IpcChannel: hostile messages decode as invalid and the good ones around them pass") {
    auto pair = ptool::make_ipc_pair();
    IpcChannel ours(std::move(pair.parent));
    std::string corpus = "{\"a\":1}\n1e999\n-1e999\n" + nested(100000, true) + "\n" +
                         nested(100000, false) + "\n" + std::string("[1]\0x\n", 6) +
                         "\"\xc3\x28\"\n\n\r\n" + "\"" + std::string(5 << 20, 'z') +
                         "\"\n{\"b\":2}\n{\"cut\":";
    std::thread writer([&] {
        write_all(pair.child.get(), corpus);
        pair.child.reset();
    });
    std::vector<IpcMessage> got;
    bool budget_seen = false;
    while (ours.read(got) || !ours.eof()) {
        budget_seen = budget_seen || ours.more_to_read();
        if (!ours.more_to_read()) ours.read_blocking(got, 5000);
        if (ours.eof()) break;
    }
    writer.join();
    CHECK(budget_seen);  // 5 MiB do not come in one read() call
    std::vector<std::string> kinds;
    for (auto& m : got) {
        IpcDecoded d;
        REQUIRE_NOTHROW(d = ours.decode(std::move(m)));
        kinds.push_back(d.kind == IpcDecoded::Kind::user ? d.data.dump() : "invalid: " + d.error);
    }
    CHECK(kinds == std::vector<std::string>{
                       "{\"a\":1}",
                       "invalid: invalid JSON at line 1, column 5: number out of range",
                       "invalid: invalid JSON at line 1, column 6: number out of range",
                       "invalid: invalid JSON at line 1, column 513: nested deeper than 512 levels",
                       "invalid: invalid JSON at line 1, column 513: nested deeper than 512 levels",
                       "invalid: invalid JSON at line 1, column 4: NUL byte",
                       "invalid: invalid JSON at line 1, column 3: invalid string: ill-formed "
                       "UTF-8 byte",
                       "invalid: message of 5242882 bytes is larger than the limit of 4194304 "
                       "bytes; dropped",
                       "{\"b\":2}",
                       "invalid: message of 7 bytes cut off by the end of the channel (no "
                       "newline); dropped",
                   });
}

TEST_CASE("IpcChannel: read() takes at most its budget per call and the rest on the next") {
    auto pair = ptool::make_ipc_pair();
    IpcChannel ours(std::move(pair.parent));
    int one_kib = 1024;
    ::setsockopt(pair.child.get(), SOL_SOCKET, SO_SNDBUF, &one_kib, sizeof one_kib);
    // What one recvmsg can find queued: the kernel's (raised) send buffer, and one more
    // segment past it. A call stops after the read that reaches its budget, so it takes at
    // most the budget plus one such read, plus the line the last call left half read.
    int sndbuf = 0;
    socklen_t len = sizeof sndbuf;
    ::getsockopt(pair.child.get(), SOL_SOCKET, SO_SNDBUF, &sndbuf, &len);
    const size_t most = (ptool::kIpcReadBudget + 2 * static_cast<size_t>(sndbuf)) / 1024 + 2;
    std::string line = std::string(1023, '1') + "\n";  // 1 KiB messages
    std::string flood;
    for (int i = 0; i < 1024; ++i) flood += line;  // 1 MiB
    std::thread writer([&] {
        write_all(pair.child.get(), flood);
        pair.child.reset();
    });
    size_t calls = 0, messages = 0;
    for (;;) {
        std::vector<IpcMessage> got;
        bool open = ours.read(got);
        ++calls;
        CHECK(got.size() <= most);
        messages += got.size();
        if (!open) break;
        if (!ours.more_to_read()) {
            std::vector<IpcMessage> more;
            if (!ours.read_blocking(more, 5000) && !ours.eof()) break;
            messages += more.size();
            if (ours.eof()) break;
        }
    }
    writer.join();
    CHECK(messages == 1024);
}

TEST_CASE("parse_message_limit: sizes from 1 byte to 1G") {
    CHECK(ptool::parse_message_limit("4M") == size_t{4} << 20);
    CHECK(ptool::parse_message_limit("100") == 100);
    CHECK_THROWS(ptool::parse_message_limit("0"));
    CHECK_THROWS(ptool::parse_message_limit(""));
    CHECK_THROWS(ptool::parse_message_limit("2G"));
    CHECK_THROWS(ptool::parse_message_limit("-1"));
}

TEST_CASE("json_error_words: a library exception without its library tag") {
    try {
        (void)ptool::Json(1).get<std::string>();
        FAIL("no exception");
    } catch (const nlohmann::json::exception& e) {
        CHECK(ptool::json_error_words(e) == "type must be string, but is number");
    }
}
