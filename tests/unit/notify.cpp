// sd_notify: the receiver's sender checks and the sender.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "libcommon/core/error.hpp"
#include "libcommon/supervise/notify.hpp"
#include "test_support.hpp"

using namespace ptool;

namespace {

NotifyMessage receive_one(NotifyReceiver& receiver) {
    pollfd p{receiver.fd(), POLLIN, 0};
    REQUIRE(poll(&p, 1, 5000) == 1);
    auto message = receiver.receive();
    REQUIRE(message);
    return *message;
}

size_t open_fd_count() {
    size_t n = 0;
    for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
    return n;
}

}  // namespace

TEST_CASE("parse_notify_fields splits KEY=VALUE lines and skips junk") {
    auto fields = parse_notify_fields("READY=1\nSTATUS=up and running\n\njunk\n=x\nMAINPID=42");
    REQUIRE(fields.size() == 3);
    CHECK(fields[0] == std::pair<std::string, std::string>{"READY", "1"});
    CHECK(fields[1] == std::pair<std::string, std::string>{"STATUS", "up and running"});
    CHECK(fields[2] == std::pair<std::string, std::string>{"MAINPID", "42"});
    CHECK(parse_notify_fields("").empty());
    CHECK(parse_notify_fields("STATUS=a=b\n")[0].second == "a=b");
}

TEST_CASE("NotifyMessage accessors read the last value of a key") {
    NotifyMessage m;
    m.fields = parse_notify_fields("READY=0\nREADY=1\nMAINPID=123\nERRNO=2\nSTOPPING=1\n");
    CHECK(m.ready());
    CHECK(m.stopping());
    CHECK_FALSE(m.reloading());
    CHECK(m.main_pid() == 123);
    CHECK(m.error_number() == 2);
    CHECK_FALSE(m.status());
    m.fields = parse_notify_fields("MAINPID=abc\nERRNO=-1\nSTATUS=x\n");
    CHECK_FALSE(m.main_pid());
    CHECK_FALSE(m.error_number());
    CHECK_FALSE(m.ready());
    CHECK(m.status() == "x");
}

TEST_CASE("NotifyReceiver creates an abstract socket that is close-on-exec and non-blocking") {
    test::TempDir tmp;
    setenv("TMPDIR", tmp.path().c_str(), 1);
    NotifyReceiver receiver = NotifyReceiver::create();
    unsetenv("TMPDIR");
    std::string address = receiver.address();
    CHECK(address.rfind("@ptool-notify/", 0) == 0);
    CHECK(receiver.env_entry() == "NOTIFY_SOCKET=" + address);
    CHECK(std::filesystem::is_empty(tmp.path()));  // nothing on disk
    CHECK(fcntl(receiver.fd(), F_GETFD) & FD_CLOEXEC);
    CHECK(fcntl(receiver.fd(), F_GETFL) & O_NONBLOCK);
    CHECK_FALSE(receiver.receive());
}

TEST_CASE("NotifyReceiver gets a datagram with the sender pid") {
    NotifyReceiver receiver = NotifyReceiver::create();
    notify_send(receiver.address(), "READY=1\nSTATUS=listening on :80\n");
    NotifyMessage m = receive_one(receiver);
    CHECK(m.sender_pid == getpid());
    CHECK(m.sender_uid == getuid());
    CHECK(m.ready());
    CHECK(m.status() == "listening on :80");
    CHECK_FALSE(receiver.receive());
}

TEST_CASE("NotifyReceiver on an abstract address round-trips") {
    NotifyReceiver receiver = NotifyReceiver::create();
    REQUIRE(receiver.address().size() > 1);
    CHECK(receiver.address()[0] == '@');
    notify_send(receiver.address(), "STOPPING=1");
    NotifyMessage m = receive_one(receiver);
    CHECK(m.stopping());
    CHECK(m.sender_pid == getpid());
}

TEST_CASE("NotifyReceiver releases its abstract address on destruction") {
    std::string address;
    {
        NotifyReceiver receiver = NotifyReceiver::create();
        address = receiver.address();
        NotifyReceiver moved = std::move(receiver);
        CHECK_THROWS_AS(NotifyReceiver::bind_to(address), SysError);
    }
    NotifyReceiver again = NotifyReceiver::bind_to(address);
    CHECK(again.address() == address);
}

TEST_CASE("NotifyReceiver binds to a given path and removes only that path") {
    test::TempDir tmp;
    std::string path = tmp / "sock";
    {
        NotifyReceiver receiver = NotifyReceiver::bind_to(path);
        CHECK(receiver.address() == path);
        notify_send(path, "READY=1");
        CHECK(receive_one(receiver).ready());
    }
    CHECK_FALSE(std::filesystem::exists(std::filesystem::symlink_status(path)));
    CHECK(std::filesystem::exists(tmp.path()));
}

TEST_CASE("NotifyReceiver refuses an address already in use") {
    NotifyReceiver first = NotifyReceiver::create();
    CHECK_THROWS_AS(NotifyReceiver::bind_to(first.address()), SysError);
}

TEST_CASE("NotifyReceiver closes file descriptors sent along with a notification") {
    NotifyReceiver receiver = NotifyReceiver::create();
    Pipe pipe = make_pipe();
    size_t before = open_fd_count();

    notify_send(receiver.address(), "FDSTORE=1", pipe.read.get());

    NotifyMessage m = receive_one(receiver);
    CHECK(m.get("FDSTORE") == "1");
    CHECK(open_fd_count() == before);  // the passed copy was closed
}

TEST_CASE("NotifyReceiver hears systemd-notify run as a child with NOTIFY_SOCKET") {
    NotifyReceiver receiver = NotifyReceiver::create();
    test::RunOptions options;
    options.env["NOTIFY_SOCKET"] = receiver.address();
    // --no-block: systemd 252 otherwise waits for a BARRIER=1 reply we read only later.
    auto result =
        test::run({"systemd-notify", "--no-block", "--ready", "--status=warming up"}, options);
    REQUIRE(result.status == 0);
    NotifyMessage m = receive_one(receiver);
    CHECK(m.ready());
    CHECK(m.status() == "warming up");
    // systemd-notify (as root) attributes the message to its parent, as systemd expects.
    CHECK(m.sender_pid == getpid());
}

TEST_CASE("notify_send_env sends to NOTIFY_SOCKET and is a no-op without it") {
    unsetenv("NOTIFY_SOCKET");
    CHECK_FALSE(notify_send_env("READY=1"));
    NotifyReceiver receiver = NotifyReceiver::create();
    setenv("NOTIFY_SOCKET", receiver.address().c_str(), 1);
    CHECK(notify_send_env("READY=1\nMAINPID=77"));
    unsetenv("NOTIFY_SOCKET");
    NotifyMessage m = receive_one(receiver);
    CHECK(m.main_pid() == 77);
}

TEST_CASE("notify_send reports bad addresses and missing sockets") {
    CHECK_THROWS_AS(notify_send("relative/path", "READY=1"), SysError);
    CHECK_THROWS_AS(notify_send("", "READY=1"), SysError);
    CHECK_THROWS_AS(notify_send("/" + std::string(200, 'x'), "READY=1"), SysError);
    test::TempDir tmp;
    try {
        notify_send(tmp / "missing", "READY=1");
        FAIL("no error");
    } catch (const SysError& e) {
        CHECK(e.err() == ENOENT);
        CHECK(std::string(e.what()).find(tmp / "missing") != std::string::npos);
    }
}
