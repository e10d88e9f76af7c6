// The abstract-namespace notify socket: nothing on disk, and (having no file
// permissions) it accepts only root, ptool's own uid and uids it was told about.
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <filesystem>

#include "libcommon/core/error.hpp"
#include "libcommon/supervise/notify.hpp"
#include "test_support.hpp"

using namespace ptool;

namespace {

bool readable(int fd, int ms) {
    pollfd p{fd, POLLIN, 0};
    return poll(&p, 1, ms) == 1;
}

// Sends `state` from a forked child running as `uid` (raw setresuid: one thread).
void send_as(uid_t uid, const std::string& address, const std::string& state) {
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        if (syscall(SYS_setresgid, 65534, 65534, 65534) < 0 ||
            syscall(SYS_setresuid, uid, uid, uid) < 0)
            _exit(3);
        try {
            notify_send(address, state);
        } catch (...) {
            _exit(4);
        }
        _exit(0);
    }
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
}

}  // namespace

TEST_CASE("NotifyReceiver::create leaves nothing in TMPDIR or /tmp") {
    test::TempDir tmp;
    setenv("TMPDIR", tmp.path().c_str(), 1);
    {
        NotifyReceiver receiver = NotifyReceiver::create();
        CHECK(receiver.address()[0] == '@');
        CHECK(std::filesystem::is_empty(tmp.path()));
    }
    unsetenv("TMPDIR");
    CHECK(std::filesystem::is_empty(tmp.path()));
}

TEST_CASE("NotifyReceiver drops datagrams from a foreign uid until allow_owner names it") {
    REQUIRE(geteuid() == 0);
    NotifyReceiver receiver = NotifyReceiver::create();
    send_as(65534, receiver.address(), "READY=1\nSTATUS=spoofed");
    send_as(0, receiver.address(), "STATUS=root");
    REQUIRE(readable(receiver.fd(), 5000));
    auto first = receiver.receive();  // the foreign datagram is skipped, root's read
    REQUIRE(first);
    CHECK(first->status() == "root");
    CHECK_FALSE(receiver.receive());

    receiver.allow_owner(65534, 65534);
    send_as(65534, receiver.address(), "READY=1");
    REQUIRE(readable(receiver.fd(), 5000));
    auto allowed = receiver.receive();
    REQUIRE(allowed);
    CHECK(allowed->ready());
    CHECK(allowed->sender_uid == 65534);
}

TEST_CASE("NotifyReceiver hears python's socket module on the abstract address") {
    NotifyReceiver receiver = NotifyReceiver::create();
    test::RunOptions options;
    options.env["NOTIFY_SOCKET"] = receiver.address();
    // What sd_notify clients do with "@name": replace '@' by NUL.
    auto r = test::run({"/usr/bin/python3", "-c",
                        "import os, socket\n"
                        "a = os.environ['NOTIFY_SOCKET']\n"
                        "a = '\\0' + a[1:] if a[0] == '@' else a\n"
                        "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
                        "s.sendto(b'READY=1\\nSTATUS=py', a)\n"},
                       options);
    REQUIRE(r.status == 0);
    REQUIRE(readable(receiver.fd(), 5000));
    auto m = receiver.receive();
    REQUIRE(m);
    CHECK(m->ready());
    CHECK(m->status() == "py");
}
