// Node's IPC channel: framing, decode, send, and a real Node.js peer.
#include "libcommon/launch/ipc.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>

#include "libcommon/core/error.hpp"
#include "test_support.hpp"

extern char** environ;

using nlohmann::json;
using ptool::IpcChannel;
using ptool::IpcDecoded;
using ptool::IpcMessage;

namespace {

std::vector<IpcMessage> read_some(IpcChannel& ch, size_t want = 1) {
    std::vector<IpcMessage> out;
    while (out.size() < want && ch.read_blocking(out, 5000)) {
    }
    return out;
}

// Runs `node -e SCRIPT` with the child end of a channel as fd 3 (NODE_CHANNEL_FD=3).
pid_t spawn_node(const std::string& script, ptool::UniqueFd& child_end) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, child_end.get(), 3);
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e)
        if (std::strncmp(*e, "NODE_", 5) != 0) env_strings.emplace_back(*e);
    for (auto& s : ptool::ipc_child_env(3)) env_strings.push_back(s);
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::string node = "node", dash_e = "-e", code = script;
    char* argv[] = {node.data(), dash_e.data(), code.data(), nullptr};
    pid_t pid = -1;
    int rc = posix_spawnp(&pid, "node", &fa, nullptr, argv, envp.data());
    posix_spawn_file_actions_destroy(&fa);
    REQUIRE(rc == 0);
    child_end.reset();
    return pid;
}

// A listening TCP socket on 127.0.0.1 and a free port.
int loopback_listener(int& port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(listen(fd, 8) == 0);
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
    return fd;
}

int wait_exit(pid_t pid) {
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

TEST_CASE("ipc channel carries JSON lines both ways") {
    auto pair = ptool::make_ipc_pair();
    IpcChannel a(std::move(pair.parent)), b(std::move(pair.child));
    a.send(json{{"cmd", "online"}});
    a.send_text(R"("two")");
    auto got = read_some(b, 2);
    REQUIRE(got.size() == 2);
    CHECK(got[0].text == R"({"cmd":"online"})");
    CHECK(got[1].text == R"("two")");
    CHECK_FALSE(got[0].fd);
}

TEST_CASE("ipc channel keeps a partial line until its newline arrives") {
    auto pair = ptool::make_ipc_pair();
    IpcChannel reader(std::move(pair.child));
    REQUIRE(write(pair.parent.get(), "{\"a\":", 5) == 5);
    std::vector<IpcMessage> out;
    CHECK(reader.read(out));
    CHECK(out.empty());
    REQUIRE(write(pair.parent.get(), "1}\n{\"b\":2}\n{", 12) == 12);
    CHECK(reader.read(out));
    REQUIRE(out.size() == 2);
    CHECK(out[0].text == R"({"a":1})");
    CHECK(out[1].text == R"({"b":2})");
}

TEST_CASE("ipc channel passes a working file descriptor with a message") {
    auto pair = ptool::make_ipc_pair();
    IpcChannel a(std::move(pair.parent)), b(std::move(pair.child));
    auto pipe = ptool::make_pipe();
    a.send(json{{"x", 1}});
    a.send(json{{"with", "fd"}}, pipe.write.get());
    a.send(json{{"x", 2}});
    pipe.write.reset();  // the channel holds its own duplicate until sent
    auto got = read_some(b, 3);
    REQUIRE(got.size() == 3);
    CHECK_FALSE(got[0].fd);
    REQUIRE(got[1].fd);
    CHECK_FALSE(got[2].fd);
    CHECK((fcntl(got[1].fd.get(), F_GETFD) & FD_CLOEXEC) != 0);
    REQUIRE(write(got[1].fd.get(), "hi", 2) == 2);
    got[1].fd.reset();
    CHECK(ptool::read_all(pipe.read.get(), "pipe") == "hi");
}

TEST_CASE("ipc channel writes a message larger than the socket buffer in pieces") {
    auto pair = ptool::make_ipc_pair();
    IpcChannel a(std::move(pair.parent)), b(std::move(pair.child));
    std::string big(4 << 20, 'x');
    b.set_max_message(big.size() + 2);  // just over the default limit (kDefaultMaxMessage)
    a.send(json(big));
    CHECK(a.wants_write());
    std::vector<IpcMessage> out;
    while (out.empty()) {
        a.flush();
        b.read(out);
    }
    CHECK_FALSE(a.wants_write());
    REQUIRE(out.size() == 1);
    CHECK(out[0].text.size() == big.size() + 2);
}

TEST_CASE("ipc channel half-close lets the peer see EOF and still answer") {
    auto pair = ptool::make_ipc_pair();
    IpcChannel a(std::move(pair.parent)), b(std::move(pair.child));
    a.send(json{{"last", true}});
    a.shutdown_write();
    auto got = read_some(b, 2);
    CHECK(got.size() == 1);
    CHECK(b.eof());
    b.send(json{{"reply", 1}});
    auto reply = read_some(a, 1);
    REQUIRE(reply.size() == 1);
    CHECK(reply[0].text == R"({"reply":1})");
}

TEST_CASE("ipc channel reports a write to a closed peer as an error without SIGPIPE") {
    auto pair = ptool::make_ipc_pair();
    IpcChannel a(std::move(pair.parent));
    pair.child.reset();
    CHECK_THROWS_AS(a.send(json{{"x", 1}}), ptool::SysError);
}

TEST_CASE("ipc decode acknowledges a NODE_HANDLE and unwraps its message") {
    auto pair = ptool::make_ipc_pair();
    IpcChannel a(std::move(pair.parent)), b(std::move(pair.child));
    auto pipe = ptool::make_pipe();
    a.send(ptool::node_handle_envelope(json{{"hello", 1}}, pipe.write.get()), pipe.write.get());
    auto got = read_some(b, 1);
    REQUIRE(got.size() == 1);
    auto d = b.decode(std::move(got[0]));
    CHECK(d.kind == IpcDecoded::Kind::handle);
    CHECK(d.data.dump() == R"({"hello":1})");
    CHECK(d.fd);
    auto ack = read_some(a, 1);
    REQUIRE(ack.size() == 1);
    CHECK(ack[0].text == R"({"cmd":"NODE_HANDLE_ACK"})");
    CHECK(a.decode(std::move(ack[0])).kind == IpcDecoded::Kind::internal);
}

TEST_CASE("ipc channel holds messages sent after a handle until the peer acknowledges it") {
    auto pair = ptool::make_ipc_pair();
    IpcChannel a(std::move(pair.parent)), b(std::move(pair.child));
    auto pipe = ptool::make_pipe();
    a.send_handle(json{{"n", 0}}, pipe.write.get());
    a.send(json{{"n", 1}});
    a.send_handle(json{{"n", 2}}, pipe.write.get());
    a.send(json{{"n", 3}});
    CHECK(a.awaiting_handle_ack());
    CHECK(a.held_messages() == 3);
    auto first = read_some(b, 1);
    REQUIRE(first.size() == 1);
    std::vector<IpcMessage> more;
    CHECK(b.read(more));
    CHECK(more.empty());  // nothing but the handle went out
    CHECK(b.decode(std::move(first[0])).kind == IpcDecoded::Kind::handle);  // queues our ACK
    for (auto& m : read_some(a, 1))
        a.decode(std::move(m));  // the ACK releases up to the next handle
    CHECK(a.awaiting_handle_ack());
    CHECK(a.held_messages() == 1);
    auto next = read_some(b, 2);
    REQUIRE(next.size() == 2);
    CHECK(next[0].text == R"({"n":1})");
    auto second = b.decode(std::move(next[1]));
    CHECK(second.kind == IpcDecoded::Kind::handle);
    CHECK(second.data.dump() == R"({"n":2})");
    for (auto& m : read_some(a, 1)) a.decode(std::move(m));
    CHECK_FALSE(a.awaiting_handle_ack());
    auto last = read_some(b, 1);
    REQUIRE(last.size() == 1);
    CHECK(last[0].text == R"({"n":3})");
}

TEST_CASE("ipc channel resends a handle on NODE_HANDLE_NACK and gives up after three resends") {
    auto pair = ptool::make_ipc_pair();
    IpcChannel a(std::move(pair.parent)), b(std::move(pair.child));
    auto pipe = ptool::make_pipe();
    a.send_handle(json{{"n", 0}}, pipe.write.get());
    a.send(json("after"));
    for (int i = 0; i < 4; ++i) {
        auto got = read_some(b, 1);
        REQUIRE(got.size() == 1);
        CHECK(got[0].fd);  // every copy carries the fd again
        CHECK(json::parse(got[0].text)["cmd"] == "NODE_HANDLE");
        a.decode(IpcMessage{R"({"cmd":"NODE_HANDLE_NACK"})", {}});
    }
    CHECK_FALSE(a.awaiting_handle_ack());
    CHECK(a.lost_handles() == 1);
    auto rest = read_some(b, 1);
    REQUIRE(rest.size() == 1);
    CHECK(rest[0].text == R"("after")");
}

TEST_CASE("ipc channel answers a peer's handle while its own handle awaits an ACK") {
    auto pair = ptool::make_ipc_pair();
    IpcChannel a(std::move(pair.parent)), b(std::move(pair.child));
    auto pipe = ptool::make_pipe();
    a.send_handle(json{{"mine", 1}}, pipe.write.get());
    a.send(json("held"));
    b.send_handle(json{{"theirs", 1}}, pipe.read.get());
    auto from_b = read_some(a, 1);
    REQUIRE(from_b.size() == 1);
    CHECK(a.decode(std::move(from_b[0])).kind == IpcDecoded::Kind::handle);
    std::vector<IpcMessage> got = read_some(b, 2);
    REQUIRE(got.size() == 2);
    CHECK(json::parse(got[0].text)["cmd"] == "NODE_HANDLE");
    CHECK(got[1].text == R"({"cmd":"NODE_HANDLE_ACK"})");
    CHECK(a.held_messages() == 1);
}

TEST_CASE("ipc decode reports a line that is not JSON") {
    IpcChannel ch;
    auto d = ch.decode(IpcMessage{"{oops", {}});
    CHECK(d.kind == IpcDecoded::Kind::invalid);
    CHECK_FALSE(d.error.empty());
}

TEST_CASE("node handle envelope names the socket type as Node expects") {
    int lst = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(listen(lst, 1) == 0);
    int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    auto pair = ptool::make_ipc_pair();
    CHECK(ptool::node_handle_envelope(1, lst)["type"] == "net.Server");
    CHECK(ptool::node_handle_envelope(1, udp)["type"] == "dgram.Native");
    CHECK(ptool::node_handle_envelope(1, pair.parent.get())["type"] == "net.Socket");
    CHECK(ptool::node_handle_envelope(1, 0)["type"] == "net.Native");
    close(lst);
    close(udp);
}

TEST_CASE("ipc channel talks with a real Node process both ways") {
    auto pair = ptool::make_ipc_pair();
    IpcChannel ch(std::move(pair.parent));
    pid_t pid = spawn_node(
        "process.on('message', m => { process.send({echo: m, pid: process.pid});"
        " if (m === 'bye') process.disconnect(); });"
        "process.send({cmd: 'online'});",
        pair.child);
    auto hello = read_some(ch, 1);
    REQUIRE(hello.size() == 1);
    CHECK(hello[0].text == R"({"cmd":"online"})");
    ch.send(json{{"x", "é"}});
    ch.send(json("bye"));
    auto echoes = read_some(ch, 2);
    REQUIRE(echoes.size() == 2);
    CHECK(json::parse(echoes[0].text)["echo"] == json{{"x", "é"}});
    CHECK(json::parse(echoes[1].text)["pid"] == pid);
    CHECK(wait_exit(pid) == 0);
}

TEST_CASE("ipc channel sends a listening socket that a Node process accepts as a server") {
    auto pair = ptool::make_ipc_pair();
    IpcChannel ch(std::move(pair.parent));
    pid_t pid = spawn_node(
        "process.on('message', (m, server) => {"
        " process.send({got: m, handle: server && server.constructor.name,"
        "  port: server && server.address().port}); server.close(); process.disconnect(); });",
        pair.child);
    int port = 0;
    int lst = loopback_listener(port);
    ch.send(ptool::node_handle_envelope(json{{"n", 7}}, lst), lst);
    close(lst);
    std::vector<ptool::Json> replies;
    for (auto& m : read_some(ch, 2)) {
        auto d = ch.decode(std::move(m));
        if (d.kind == IpcDecoded::Kind::user) replies.push_back(d.data);
    }
    while (replies.empty()) {
        auto more = read_some(ch, 1);
        REQUIRE_FALSE(more.empty());
        for (auto& m : more) {
            auto d = ch.decode(std::move(m));
            if (d.kind == IpcDecoded::Kind::user) replies.push_back(d.data);
        }
    }
    CHECK(replies[0]["got"].dump() == R"({"n":7})");
    CHECK(replies[0]["handle"] == "Server");
    CHECK(replies[0]["port"] == port);
    CHECK(wait_exit(pid) == 0);
}

TEST_CASE("ipc channel receives a handle a Node process sends and acknowledges it") {
    auto pair = ptool::make_ipc_pair();
    IpcChannel ch(std::move(pair.parent));
    pid_t pid = spawn_node(
        "const srv = require('net').createServer().listen(0, '127.0.0.1', () => {"
        " process.send({port: srv.address().port}, srv);"
        " process.send('after-ack', () => { srv.close(); process.disconnect(); }); });",
        pair.child);
    auto first = read_some(ch, 1);
    REQUIRE(first.size() >= 1);
    auto d = ch.decode(std::move(first[0]));
    REQUIRE(d.kind == IpcDecoded::Kind::handle);
    REQUIRE(d.fd);
    int accepting = 0;
    socklen_t len = sizeof accepting;
    getsockopt(d.fd.get(), SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len);
    CHECK(accepting == 1);
    // Node holds back 'after-ack' until our NODE_HANDLE_ACK (queued by decode) arrives.
    ch.flush_blocking(5000);
    auto next = read_some(ch, 1);
    REQUIRE(next.size() == 1);
    CHECK(next[0].text == R"("after-ack")");
    CHECK(wait_exit(pid) == 0);
}

TEST_CASE("ipc channel holds messages after a handle until a real Node process acknowledges it") {
    auto pair = ptool::make_ipc_pair();
    IpcChannel ch(std::move(pair.parent));
    // Node makes a net.Server of the handle (asynchronously: listen() calls back on a
    // later tick), so a message sent right behind it would overtake it without the hold.
    pid_t pid = spawn_node(
        "const seen = [];"
        "process.on('message', (m, h) => { seen.push(h ? 'handle ' + h.constructor.name + ' ' + "
        "m.n : 'n ' + m.n);"
        " if (h) h.close(); if (seen.length === 5) { process.send(seen); process.disconnect(); } "
        "});",
        pair.child);
    int port = 0;
    int lst = loopback_listener(port);
    ch.send_handle(json{{"n", 0}}, lst);
    ch.send(json{{"n", 1}});
    ch.send(json{{"n", 2}});
    ch.send_handle(json{{"n", 3}}, lst);
    ch.send(json{{"n", 4}});
    close(lst);
    CHECK(ch.held_messages() == 4);
    std::vector<ptool::Json> replies;
    int acks = 0;
    while (replies.empty()) {
        REQUIRE(ch.flush_blocking(5000));
        auto more = read_some(ch, 1);
        REQUIRE_FALSE(more.empty());
        for (auto& m : more) {
            if (m.text == R"({"cmd":"NODE_HANDLE_ACK"})") ++acks;
            auto d = ch.decode(std::move(m));
            if (d.kind == IpcDecoded::Kind::user) replies.push_back(d.data);
        }
    }
    CHECK(acks == 2);
    CHECK(replies[0].dump() == R"(["handle Server 0","n 1","n 2","handle Server 3","n 4"])");
    CHECK(wait_exit(pid) == 0);
}

TEST_CASE("ipc decode keeps the keys of a message in the order they were sent") {
    IpcChannel ch;
    auto d = ch.decode(IpcMessage{R"({"z":1,"a":{"y":2,"b":3}})", {}});
    REQUIRE(d.kind == IpcDecoded::Kind::user);
    CHECK(d.data.dump() == R"({"z":1,"a":{"y":2,"b":3}})");
}
