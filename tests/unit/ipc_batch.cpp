// The IPC channel's batched writes: a router queues many messages (auto-flush off) and
// flush() sends them in few sendmsg calls. These pin what batching must not change: the
// order, queued_bytes(), and an fd arriving on its own message, not a neighbour's.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "libcommon/core/error.hpp"
#include "libcommon/launch/ipc.hpp"

using nlohmann::json;
using ptool::IpcChannel;
using ptool::IpcMessage;

namespace {

// Reads until `want` messages came, flushing `writer` meanwhile (its queue may exceed the
// socket buffer).
std::vector<IpcMessage> pump(IpcChannel& writer, IpcChannel& reader, size_t want) {
    std::vector<IpcMessage> out;
    while (out.size() < want) {
        writer.flush();
        if (!reader.read(out) ||
            (out.size() < want && !writer.wants_write() && !reader.read_blocking(out, 5000)))
            break;
    }
    return out;
}

}  // namespace

TEST_CASE("ipc channel sends a queued burst in order and counts its queued bytes") {
    auto pair = ptool::make_ipc_pair();
    IpcChannel a(std::move(pair.parent)), b(std::move(pair.child));
    a.set_auto_flush(false);
    // Far more than one batch, and 1 MB: more than the socket buffer takes, so writes
    // end inside a batch and inside a message.
    constexpr int n = 1000;
    const std::string pad(1000, 'x');
    size_t bytes = 0;
    for (int i = 0; i < n; ++i) {
        a.send(json{{"i", i}, {"pad", pad}});
        bytes += ptool::json_text(ptool::Json{{"i", i}, {"pad", pad}}).size() + 1;
    }
    CHECK(a.queued_bytes() == bytes);
    auto got = pump(a, b, n);
    REQUIRE(got.size() == n);
    int in_order = 0;
    for (int i = 0; i < n; ++i)
        in_order += got[i].text == "{\"i\":" + std::to_string(i) + ",\"pad\":\"" + pad + "\"}";
    CHECK(in_order == n);
    CHECK(a.queued_bytes() == 0);
    CHECK_FALSE(a.wants_write());
}

TEST_CASE("ipc channel keeps an fd on its own message inside a queued burst") {
    auto pair = ptool::make_ipc_pair();
    IpcChannel a(std::move(pair.parent)), b(std::move(pair.child));
    a.set_auto_flush(false);
    auto pipe = ptool::make_pipe();
    for (int i = 0; i < 10; ++i) a.send(json{{"before", i}});
    a.send(json{{"with", "fd"}}, pipe.write.get());
    for (int i = 0; i < 10; ++i) a.send(json{{"after", i}});
    pipe.write.reset();
    auto got = pump(a, b, 21);
    REQUIRE(got.size() == 21);
    for (size_t i = 0; i < got.size(); ++i) CHECK(static_cast<bool>(got[i].fd) == (i == 10));
    CHECK(got[10].text == R"({"with":"fd"})");
    REQUIRE(write(got[10].fd.get(), "hi", 2) == 2);
    got[10].fd.reset();
    CHECK(ptool::read_all(pipe.read.get(), "pipe") == "hi");
}
