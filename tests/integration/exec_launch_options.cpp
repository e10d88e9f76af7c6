// The options exec shares with spawn (man/ptool-exec.1, ptool-spawn.1): --unset,
// --argv0, --shell=PATH (against Node's exec and spawn with a `shell`), --uid/--gid,
// and exec --all, stdout and stderr in one stream in the order they arrived.
#include <unistd.h>
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>

#include "test_support.hpp"

using namespace ptool::test;

namespace {

// Writes each piece to its fd, and before the next one waits until ptool has read
// the last (the pipe is empty: FIONREAD 0), so the arrival order is the writing order.
const std::string kTakeTurns = R"PY(
import fcntl, os, struct, termios, time
def pending(fd):
    return struct.unpack('i', fcntl.ioctl(fd, termios.FIONREAD, b'\0\0\0\0'))[0]
for fd, text in [(1, b'out1\n'), (2, b'err1\n'), (1, b'out2\n'), (2, b'err2\n')]:
    os.write(fd, text)
    while pending(fd):
        time.sleep(0.001)
)PY";

}  // namespace

TEST_CASE("exec --unset removes a variable from the command's environment") {
    RunOptions options;
    options.env["PTOOL_TEST_GONE"] = "here";
    auto r =
        run_ptool({"exec", "--unset", "PTOOL_TEST_GONE", "echo ${PTOOL_TEST_GONE-unset}"}, options);
    CHECK(r.status == 0);
    CHECK(r.out == "unset\n");
}

TEST_CASE("exec --argv0 names the program's argv[0]") {
    auto r = run_ptool({"exec", "--file", "--argv0", "renamed", "cat", "/proc/self/cmdline"});
    CHECK(r.status == 0);
    CHECK(r.out == std::string("renamed\0/proc/self/cmdline\0", 27));
}

TEST_CASE("exec --shell=PATH runs the command through PATH -c as Node's exec shell option") {
    auto node = run({"node", "-e",
                     "require('child_process').exec('echo $0 ${BASH_VERSION:+bash}', "
                     "{shell: '/bin/bash'}, (e, out) => process.stdout.write(out))"});
    auto r = run_ptool({"exec", "--shell=/bin/bash", "echo $0 ${BASH_VERSION:+bash}"});
    CHECK(node.out == "/bin/bash bash\n");
    CHECK(r.out == node.out);
    r = run_ptool({"exec", "echo $0 ${BASH_VERSION:+bash}"});
    CHECK(r.out == "/bin/sh\n");
    r = run_ptool({"exec", "--shell=/bin/bash", "--file", "true"});
    CHECK(r.status == 2);
}

TEST_CASE("exec --uid runs as the user with its own groups only") {
    if (::geteuid() != 0) {
        WARN("not root: --uid/--gid not checked");
        return;
    }
    auto r = run_ptool({"exec", "--uid", "nobody", "id -u; id -G"});
    auto peer = run({"setpriv", "--reuid=nobody", "--regid=nogroup", "--init-groups", "sh", "-c",
                     "id -u; id -G"});
    CHECK(r.status == 0);
    CHECK(r.out == peer.out);
    r = run_ptool({"exec", "--gid", "nogroup", "id -g; id -G"});
    CHECK(r.out == "65534\n65534\n");
}

TEST_CASE("exec --all writes stdout and stderr as one stream in arrival order") {
    auto r = run_ptool({"exec", "--all", "--file", "/usr/bin/python3", "-c", kTakeTurns});
    CHECK(r.status == 0);
    CHECK(r.out == "out1\nerr1\nout2\nerr2\n");
    CHECK(r.err == "");
}

TEST_CASE("exec --all --json adds the interleaved stream as all, beside stdout and stderr") {
    auto r = run_ptool({"exec", "--all", "--json", "--file", "/usr/bin/python3", "-c", kTakeTurns});
    CHECK(r.status == 0);
    auto j = nlohmann::json::parse(r.out);
    CHECK(j["all"] == "out1\nerr1\nout2\nerr2\n");
    CHECK(j["stdout"] == "out1\nout2\n");
    CHECK(j["stderr"] == "err1\nerr2\n");
    r = run_ptool({"exec", "--json", "true"});
    CHECK_FALSE(nlohmann::json::parse(r.out).contains("all"));
}

TEST_CASE("spawn --shell=PATH runs the joined words through PATH -c as Node's spawn shell") {
    auto node = run({"node", "-e",
                     "require('child_process').spawn('echo', ['$0'], "
                     "{shell: '/bin/bash', stdio: 'inherit'})"});
    auto r = run_ptool({"spawn", "--shell=/bin/bash", "--", "echo", "$0"});
    CHECK(node.out == "/bin/bash\n");
    CHECK(r.out == node.out);
    r = run_ptool({"spawn", "--shell", "--", "echo", "$0"});  // bare: /bin/sh, as before
    CHECK(r.out == "/bin/sh\n");
}
