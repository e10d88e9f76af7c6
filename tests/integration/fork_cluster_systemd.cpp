// fork-cluster under systemd: sockets passed by real systemd-socket-activate (by name,
// all of them, mixed with bound ones), TCP_NODELAY on TCP listeners, the listen
// event's real port, and sd_notify upwards (READY, STATUS, RELOADING, STOPPING,
// WATCHDOG) to a receiver standing in for systemd, at a path and an abstract address.
#include "cluster_harness.hpp"

using namespace cluster_test;

namespace {

// A Python worker that writes its LISTEN_*/NOTIFY_SOCKET/WATCHDOG_* to FILE.ID and sleeps.
const char* kEnvWorker = R"(
import os, sys, json, time
keys = ["LISTEN_FDS", "LISTEN_FDNAMES", "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"]
out = sys.argv[1] + "." + os.environ["PTOOL_WORKER_ID"]
open(out + ".tmp", "w").write(json.dumps({k: os.environ.get(k) for k in keys}))
os.rename(out + ".tmp", out)
time.sleep(1000)
)";

// Answers each connection on fd 3 with the accepted socket's TCP_NODELAY.
const char* kNodelayWorker = R"(
import socket
s = socket.socket(fileno=3)
while True:
    c, _ = s.accept()
    v = c.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    c.sendall(b"nodelay=%d\n" % (1 if v else 0))
    c.close()
)";

std::string read_all(int fd) {
    std::string out;
    char buf[512];
    for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
    close(fd);
    return out;
}

json worker_env(const std::string& base, int id) {
    std::string path = base + "." + std::to_string(id);
    REQUIRE(wait_until([&] { return std::filesystem::exists(path); }, 20s));
    return json::parse(read_file(path));
}

}  // namespace

TEST_CASE(
    "fork-cluster serves on the socket systemd-socket-activate passed as --listen systemd:NAME") {
    int port = free_port();
    Background act({"systemd-socket-activate", "-l", "127.0.0.1:" + std::to_string(port),
                    "--fdname=web", ptool_bin(), "fork-cluster", "--json", "-w", "2", "--ready",
                    "exec", "--listen", "systemd:web", "--", "python3", fixture("http_server.py")});
    // systemd-socket-activate starts the master on the first connection, which waits.
    REQUIRE(wait_until([&] { return act.text().find("Listening on") != std::string::npos; }));
    std::string body = get_body(port);
    CHECK(body.find("python") != std::string::npos);
    REQUIRE(act.wait_events("listen", 1));
    auto ev = act.events_named("listen")[0];
    CHECK(ev["systemd"] == true);
    CHECK(ev["name"] == "web");
    CHECK(ev["port"] == port);
    CHECK(act.stop() == 0);
}

TEST_CASE("fork-cluster without --listen takes every passed socket, names kept") {
    int a = free_port(), b = free_port();
    TempDir dir;
    Background act({"systemd-socket-activate", "-l", "127.0.0.1:" + std::to_string(a), "-l",
                    "127.0.0.1:" + std::to_string(b), "--fdname=a:b", ptool_bin(), "fork-cluster",
                    "--json", "--ready", "exec", "--", "python3", "-c", kEnvWorker, dir / "env"});
    REQUIRE(wait_until([&] { return act.text().find("as 4") != std::string::npos; }));
    int trigger = connect_loopback(a);
    REQUIRE(trigger >= 0);
    json env = worker_env(dir / "env", 1);
    CHECK(env["LISTEN_FDS"] == "2");
    CHECK(env["LISTEN_FDNAMES"] == "a:b");
    close(trigger);
    CHECK(act.stop() == 0);
}

TEST_CASE("fork-cluster mixes a passed socket with one it binds, and names a missing one") {
    int a = free_port();
    TempDir dir;
    Background act({"systemd-socket-activate", "-l", "127.0.0.1:" + std::to_string(a),
                    "--fdname=web", ptool_bin(), "fork-cluster", "--json", "--ready", "exec",
                    "--listen", "127.0.0.1:0", "--listen", "systemd:web", "--", "python3", "-c",
                    kEnvWorker, dir / "env"});
    REQUIRE(wait_until([&] { return act.text().find("as 3") != std::string::npos; }));
    int trigger = connect_loopback(a);
    REQUIRE(trigger >= 0);
    json env = worker_env(dir / "env", 1);
    CHECK(env["LISTEN_FDS"] == "2");
    CHECK(env["LISTEN_FDNAMES"] == "tcp0:web");
    REQUIRE(act.wait_events("listen", 2));
    CHECK(act.events_named("listen")[0]["port"] > 0);  // the kernel's port for :0
    close(trigger);
    CHECK(act.stop() == 0);

    auto r = run_ptool({"fork-cluster", "--listen", "systemd:nope", "--", "true"});
    CHECK(r.status == 1);
    CHECK(r.err.find("--listen systemd:nope: no sockets were passed") != std::string::npos);
}

TEST_CASE("TCP listening sockets carry TCP_NODELAY to accepted sockets unless --no-nodelay") {
    for (bool off : {false, true}) {
        std::vector<std::string> args = {"--ready", "exec", "--listen", "127.0.0.1:0"};
        if (off) args.push_back("--no-nodelay");
        args.insert(args.end(), {"--", "python3", "-c", kNodelayWorker});
        Master m(args);
        REQUIRE(m.wait_events("online", 1));
        int fd = connect_loopback(m.port(), 20s);
        REQUIRE(fd >= 0);
        CHECK(read_all(fd) == (off ? "nodelay=0\n" : "nodelay=1\n"));
        CHECK(m.stop() == 0);
    }
}

TEST_CASE("fork-cluster tells NOTIFY_SOCKET READY, STATUS, RELOADING and STOPPING") {
    TempDir dir;
    for (std::string address :
         {dir / "notify", std::string("@ptool-test-notify-") + std::to_string(getpid())}) {
        NotifyListener systemd(address);
        Master m({"-w", "2", "--ready", "exec", "--", "python3", "-c", kEnvWorker, dir / "env"},
                 {{"NOTIFY_SOCKET", address}});
        REQUIRE(systemd.wait_for("READY", "1"));
        CHECK(systemd.messages.back()["STATUS"] == "2/2 workers online");
        // Workers notify the master, never systemd; no watchdog reaches them.
        json env = worker_env(dir / "env", 1);
        CHECK(env["NOTIFY_SOCKET"] != address);
        CHECK(env["WATCHDOG_USEC"].is_null());
        kill(m.pid(), SIGHUP);
        REQUIRE(systemd.wait_for("RELOADING", "1"));
        CHECK(systemd.messages.back().count("MONOTONIC_USEC") == 1);
        CHECK(systemd.messages.back()["STATUS"].find("reloading") == 0);
        REQUIRE(systemd.wait_for("READY", "1"));
        CHECK(systemd.messages.back()["STATUS"] == "2/2 workers online");
        kill(m.pid(), SIGTERM);
        REQUIRE(systemd.wait_for("STOPPING", "1"));
        CHECK(m.wait_exit() == 0);
        std::filesystem::remove(dir / "env.1");
        std::filesystem::remove(dir / "env.2");
    }
}

TEST_CASE("fork-cluster sends WATCHDOG=1 when WATCHDOG_USEC is set and WATCHDOG_PID is unset") {
    TempDir dir;
    NotifyListener systemd(dir / "notify");
    Master m({"--ready", "exec", "--", "sleep", "100"},
             {{"NOTIFY_SOCKET", systemd.address()}, {"WATCHDOG_USEC", "100000"}});
    REQUIRE(systemd.wait_for("WATCHDOG", "1"));
    REQUIRE(systemd.wait_for("WATCHDOG", "1"));
    CHECK(m.stop() == 0);
}

TEST_CASE(
    "fork-cluster --emit-systemd prints a socket unit and a Type=notify service systemd-analyze "
    "accepts") {
    auto r = run_ptool({"fork-cluster", "--emit-systemd", "web", "-w", "2", "--listen",
                        "127.0.0.1:8080", "--listen", "[::1]:8081", "--", "node", "server.js"});
    REQUIRE(r.status == 0);
    auto socket_at = r.out.find("# --- web.socket\n");
    auto service_at = r.out.find("# --- web.service\n");
    REQUIRE(socket_at == 0);
    REQUIRE(service_at != std::string::npos);
    std::string socket = r.out.substr(0, service_at), service = r.out.substr(service_at);
    for (const char* line :
         {"ListenStream=127.0.0.1:8080\n", "ListenStream=[::1]:8081\n", "FileDescriptorName=web\n"})
        CHECK(socket.find(line) != std::string::npos);
    for (const char* line : {"Type=notify\n", "NotifyAccess=main\n", "KillMode=mixed\n",
                             "Restart=on-failure\n", "Requires=web.socket\n"})
        CHECK(service.find(line) != std::string::npos);
    std::string exec = "ExecStart=" + std::filesystem::canonical(ptool_bin()).string() +
                       " fork-cluster -w 2 --listen systemd:web -- node server.js\n";
    CHECK(service.find(exec) != std::string::npos);
    TempDir dir;
    write_file(dir / "web.socket", socket);
    write_file(dir / "web.service", service);
    auto verify = run({"systemd-analyze", "verify", dir / "web.socket", dir / "web.service"});
    CHECK(verify.status == 0);
    CHECK(verify.err.find("web.s") == std::string::npos);  // no warning about our units

    auto zero = run_ptool({"fork-cluster", "--emit-systemd", "web", "--listen", ":0", "--", "x"});
    CHECK(zero.status == 2);
    CHECK(zero.err.find("needs a fixed port") != std::string::npos);
}
