// ipc-send with real peers: a Node parent (child_process.spawn with an 'ipc'
// stdio entry) on the channel, and a Python Unix-socket peer for --socket and --fd.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

using namespace ptool::test;

namespace {

// Runs `sh -c SCRIPT` as a child of Node with an IPC channel; Node prints every
// message it receives as one JSON line, answers "ping" with {"pong":true}, then
// prints "exit CODE".
RunResult under_node_parent(const std::string& script, const std::string& input = "") {
    std::string js = R"(
const cp = require('child_process');
const c = cp.spawn('sh', ['-c', process.argv[1]], { stdio: ['pipe', 'inherit', 'inherit', 'ipc'] });
c.stdin.on('error', () => {});  // EPIPE when the script exits before reading stdin
c.stdin.end(process.argv[2]);
c.on('message', (m, handle) => {
  console.log(JSON.stringify(m) + (handle ? ' +handle ' + handle.constructor.name : ''));
  if (handle && handle.close) handle.close();
  if (m === 'ping') c.send({ pong: true });
});
c.on('exit', (code) => console.log('exit ' + code));
)";
    RunOptions opts;
    opts.env["PTOOL"] = ptool_bin();
    opts.timeout = std::chrono::milliseconds(20000);
    return run({"node", "-e", js, script, input}, opts);
}

// A Python peer on a Unix socket: for each line it receives it replies with
// {"ok":true,"got":LINE,"fd":BOOL}; a received fd gets "written through fd\n".
const char* kSocketPeer = R"(
import socket, sys, json, os, array
path = sys.argv[1]
srv = socket.socket(socket.AF_UNIX)
srv.bind(path + ".new")  # listening before the name appears: the tests wait for the name
srv.listen()
os.rename(path + ".new", path)
print("ready", flush=True)
conn, _ = srv.accept()
buf = b""
while True:
    data, anc, _, _ = conn.recvmsg(65536, socket.CMSG_SPACE(16))
    fds = []
    for lvl, typ, d in anc:
        if typ == socket.SCM_RIGHTS:
            fds += list(array.array("i", d[:len(d) - len(d) % 4]))
    for fd in fds:
        os.write(fd, b"written through fd\n")
        os.close(fd)
    if not data:
        break
    buf += data
    while b"\n" in buf:
        line, buf = buf.split(b"\n", 1)
        msg = json.loads(line)
        ok = not (isinstance(msg, dict) and msg.get("fail"))
        reply = {"ok": ok, "got": msg, "fd": bool(fds)}
        if not ok:
            reply["error"] = "asked to fail"
        conn.sendall((json.dumps(reply) + "\n").encode())
        fds = []
)";

}  // namespace

TEST_CASE("ipc-send delivers a JSON message to a Node parent over NODE_CHANNEL_FD") {
    auto r = under_node_parent(R"("$PTOOL" ipc-send '{"b":1,"a":[true,null]}')");
    CHECK(r.out == "{\"b\":1,\"a\":[true,null]}\nexit 0\n");
    CHECK(r.err.empty());
}

TEST_CASE("ipc-send sends each line of stdin as one message and --string as a string") {
    auto r = under_node_parent(R"("$PTOOL" ipc-send && "$PTOOL" ipc-send --string 'hé "x"')",
                               "{\"n\":1}\n\n[2]\n\"three\"\n");
    CHECK(r.out == "{\"n\":1}\n[2]\n\"three\"\n\"hé \\\"x\\\"\"\nexit 0\n");
}

TEST_CASE("ipc-send rejects bad JSON with its position and sends nothing") {
    auto r = under_node_parent(R"("$PTOOL" ipc-send '{"a":1,}')");
    CHECK(r.out == "exit 2\n");
    CHECK(r.err.starts_with("ptool ipc-send: invalid JSON at line 1, column 8: "));
}

TEST_CASE("ipc-send --wait prints the parent's reply") {
    auto r = under_node_parent(R"("$PTOOL" ipc-send --wait 5s --string ping)");
    CHECK(r.out == "\"ping\"\n{\"pong\":true}\nexit 0\n");
}

TEST_CASE("ipc-send --fd hands a listening socket to a Node parent as a server") {
    // Python makes a listening socket and runs ipc-send with it as fd 5.
    std::string script =
        R"(exec python3 -c 'import socket,os,sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
os.dup2(s.fileno(), 5)
os.execvp(sys.argv[1], [sys.argv[1], "ipc-send", "--fd", "5", "{\"server\":1}"])' "$PTOOL")";
    auto r = under_node_parent(script);
    CHECK(r.out == "{\"server\":1} +handle Server\nexit 0\n");
    CHECK(r.err.empty());
}

TEST_CASE(
    "ipc-send --fd sends the handle again after a NODE_HANDLE_NACK and fails after three resends") {
    // A Python parent on the channel answers the first NACKS handle messages with
    // NODE_HANDLE_NACK (as Node does when the fd did not arrive), then ACKs.
    std::string parent = R"(import socket, os, sys, subprocess, array
mine, theirs = socket.socketpair()
env = dict(os.environ, NODE_CHANNEL_FD=str(theirs.fileno()), NODE_CHANNEL_SERIALIZATION_MODE="json")
child = subprocess.Popen([sys.argv[1], "ipc-send", "--fd", "0", '{"x":1}'], env=env, pass_fds=[theirs.fileno()])
theirs.close()
nacks, copies, buf = int(sys.argv[2]), 0, b""
while True:
    data, anc, _, _ = mine.recvmsg(4096, socket.CMSG_SPACE(16))
    for _, _, d in anc:
        for fd in array.array("i", d[:len(d) - len(d) % 4]): os.close(fd)
    if not data: break
    buf += data
    while b"\n" in buf:
        line, buf = buf.split(b"\n", 1)
        copies += 1
        mine.sendall(b'{"cmd":"NODE_HANDLE_NACK"}\n' if copies <= nacks else b'{"cmd":"NODE_HANDLE_ACK"}\n')
print("copies", copies, "rc", child.wait())
)";
    auto r = run({"python3", "-c", parent, ptool_bin(), "2"});
    CHECK(r.out == "copies 3 rc 0\n");
    CHECK(r.err.empty());
    r = run({"python3", "-c", parent, ptool_bin(), "9"});
    CHECK(r.out == "copies 4 rc 1\n");
    CHECK(r.err == "ptool ipc-send: fd 0: the parent refused it\n");
}

TEST_CASE("ipc-send --socket passes a working fd and prints the acknowledgement") {
    TempDir dir;
    std::string sock = dir / "peer.sock";
    std::string out = dir / "out.txt";
    std::string script = "python3 -c " + shell_quote(kSocketPeer) + " " + sock + " > " +
                         dir / "peer.log" + " & while [ ! -S " + sock +
                         " ]; do sleep 0.02; done; " + "\"$PTOOL\" ipc-send --socket " + sock +
                         " --fd 7 '{\"x\":1}' 7>" + out + "; echo rc=$?; wait";
    auto r = run_shell(script);
    CHECK(r.out == "{\"ok\": true, \"got\": {\"x\": 1}, \"fd\": true}\nrc=0\n");
    CHECK(read_file(out) == "written through fd\n");
}

TEST_CASE("ipc-send --socket --to wraps the message in a send request") {
    TempDir dir;
    std::string sock = dir / "peer.sock";
    std::string script = "python3 -c " + shell_quote(kSocketPeer) + " " + sock + " > /dev/null" +
                         " & while [ ! -S " + sock + " ]; do sleep 0.02; done; " +
                         "\"$PTOOL\" ipc-send --socket " + sock +
                         " --to worker:2 '{\"x\":1}'; echo rc=$?; wait";
    auto r = run_shell(script);
    CHECK(
        r.out ==
        "{\"ok\": true, \"got\": {\"cmd\": \"send\", \"to\": \"worker:2\", \"data\": {\"x\": 1}}, "
        "\"fd\": false}\nrc=0\n");
}

TEST_CASE("ipc-send exits 1 when a control socket refuses the request") {
    TempDir dir;
    std::string sock = dir / "peer.sock";
    std::string script = "python3 -c " + shell_quote(kSocketPeer) + " " + sock + " > /dev/null" +
                         " & while [ ! -S " + sock + " ]; do sleep 0.02; done; " +
                         "printf '{\"a\":1}\\n{\"fail\":true}\\n' | \"$PTOOL\" ipc-send --socket " +
                         sock + "; echo rc=$?; wait";
    auto r = run_shell(script);
    CHECK(r.out.find("rc=1\n") != std::string::npos);
    CHECK(r.out.find("\"error\": \"asked to fail\"") != std::string::npos);
}

TEST_CASE("ipc-send talks to a fork-cluster control socket") {
    TempDir dir;
    std::string ctl = dir / "ctl";
    std::string script =
        "\"$PTOOL\" fork-cluster --ready exec --control " + ctl + " -- sleep 30 2>/dev/null & " +
        "while [ ! -S " + ctl + " ]; do sleep 0.02; done; " + "\"$PTOOL\" ipc-send --socket " +
        ctl + " --to master '{\"hi\":1}'; echo rc=$?; " + "\"$PTOOL\" ipc-send --socket " + ctl +
        " --to worker:9 '1'; echo rc=$?; " + "\"$PTOOL\" ipc-send --socket " + ctl +
        " '{\"cmd\":\"stop\"}'; echo rc=$?; wait $!; echo master=$?";
    auto r = run_shell(script);
    CHECK(r.out ==
          "{\"ok\":true,\"delivered\":1}\nrc=0\n"
          "{\"ok\":false,\"error\":\"no process matches 'worker:9'\"}\nrc=1\n"
          "{\"ok\":true}\nrc=0\nmaster=0\n");
}

TEST_CASE("ipc-send without a channel or socket says so and exits 1") {
    RunOptions opts;
    opts.unset = {"NODE_CHANNEL_FD"};
    auto r = run_ptool({"ipc-send", "{}"}, opts);
    CHECK(r.status == 1);
    CHECK(r.err ==
          "ptool ipc-send: no IPC channel: NODE_CHANNEL_FD is not set (use --socket PATH)\n");
}
