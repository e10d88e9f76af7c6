// fork-cluster run as users run it: real Node, Python and shell workers behind
// real listening sockets on 127.0.0.1, loopback HTTP requests, signals, and the
// control socket.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "cluster_harness.hpp"

using namespace ptool::test;
using namespace cluster_test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// Writes the JSON lines to a control socket in one burst, `pass_fd` riding on the
// first, then reads one reply per line.
std::vector<std::string> control_burst(const std::string& path,
                                       const std::vector<std::string>& lines, int pass_fd) {
    int fd = connect_control(path);
    if (fd < 0) return {"connect failed"};
    std::string first = lines[0] + "\n";
    iovec iov{first.data(), first.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
    (void)!sendmsg(fd, &msg, MSG_NOSIGNAL);
    std::string rest;
    for (size_t i = 1; i < lines.size(); ++i) rest += lines[i] + "\n";
    (void)!write(fd, rest.data(), rest.size());
    std::vector<std::string> replies(1);
    char ch;
    while (replies.size() <= lines.size() && read(fd, &ch, 1) == 1) {
        if (ch == '\n')
            replies.emplace_back();
        else
            replies.back() += ch;
    }
    replies.pop_back();
    close(fd);
    return replies;
}

// A loopback socket bound to a free port: SOCK_STREAM listening, or SOCK_DGRAM.
int loopback_socket(int type, int& port) {
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) == 0);
    if (type == SOCK_STREAM) REQUIRE(listen(fd, 8) == 0);
    socklen_t len = sizeof sin;
    getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len);
    port = ntohs(sin.sin_port);
    return fd;
}

}  // namespace

TEST_CASE("fork-cluster serves a real Node HTTP server on fd 3 from both workers") {
    Master m({"-w", "2", "--listen", "127.0.0.1:0", "--", "node", fixture("http_server.js")});
    REQUIRE(m.wait_events("online", 2));
    int port = m.port();
    std::set<std::string> workers;
    for (int i = 0; i < 300 && workers.size() < 2; ++i) {
        std::string body = http_get(port);
        REQUIRE(body.find("pid=") == 0);
        workers.insert(body.substr(body.find("worker=")));
    }
    CHECK(workers == std::set<std::string>{"worker=1\n", "worker=2\n"});
    kill(m.pid(), SIGTERM);
    CHECK(m.wait_exit() == 0);
}

TEST_CASE("fork-cluster serves a Python http.server built on socket.fromfd 3") {
    Master m({"-w", "2", "--ready", "exec", "--listen", "127.0.0.1:0", "--", "python3",
              fixture("http_server.py")});
    REQUIRE(m.wait_events("online", 2));
    int port = m.port();
    // http.server serves one connection at a time: while one worker waits for the
    // request line of a silent connection, the other must answer.
    int silent = connect_loopback(port);
    REQUIRE(silent >= 0);
    std::set<std::string> pids;
    for (int i = 0; i < 3; ++i) {
        std::string body = http_get(port);
        REQUIRE(body.find("python") != std::string::npos);
        pids.insert(pid_of(body));
    }
    std::string req = "GET / HTTP/1.0\r\n\r\n";
    REQUIRE(write(silent, req.data(), req.size()) == static_cast<ssize_t>(req.size()));
    std::string resp;
    char buf[4096];
    for (ssize_t n; (n = read(silent, buf, sizeof buf)) > 0;)
        resp.append(buf, static_cast<size_t>(n));
    close(silent);
    auto body = resp.find("\r\n\r\n");
    REQUIRE(body != std::string::npos);
    pids.insert(pid_of(resp.substr(body + 4)));
    CHECK(pids.size() == 2);
    CHECK(m.events_named("exit").empty());  // LISTEN_PID and LISTEN_FDS held (else assert)
    kill(m.pid(), SIGINT);
    CHECK(m.wait_exit() == 0);
}

TEST_CASE("fork-cluster shell workers report readiness and messages with ipc-send") {
    Master m({"-w", "2", "--listen", "web=127.0.0.1:0", "--", fixture("shell_worker.sh")});
    REQUIRE(m.wait_events("message", 2));
    REQUIRE(m.wait_events("online", 2));
    std::set<std::string> hellos;
    for (auto& e : m.events_named("message")) {
        hellos.insert(e["data"]["hello"].get<std::string>());
        CHECK(e["data"]["listen_fds"] == "1");
        CHECK(e["data"]["names"] == "web");
    }
    CHECK(hellos == std::set<std::string>{"worker 1", "worker 2"});
    CHECK(m.events_named("ready_timeout").empty());
    kill(m.pid(), SIGTERM);
    CHECK(m.wait_exit() == 0);
}

TEST_CASE("fork-cluster routes a Node worker's ptool:send to every worker") {
    Master m({"-w", "2", "--control", "CTL", "--", "node", fixture("messenger.js")});
    REQUIRE(m.wait_events("online", 2));
    // Worker 1 is told to send {"hi":"from 1"} to "workers"; each worker reports to the master.
    auto reply = json::parse(
        control_request(m.dir() / "ctl", R"({"cmd":"send","to":"worker:1","data":{"go":true}})"));
    CHECK(reply == json{{"ok", true}, {"delivered", 1}});
    REQUIRE(m.wait_events("message", 2));
    std::set<int> receivers;
    for (auto& e : m.events_named("message")) {
        CHECK(e["data"]["received"] == json{{"hi", "from 1"}});
        receivers.insert(e["data"]["by"].get<int>());
        CHECK(e["worker_id"] == e["data"]["by"]);
    }
    CHECK(receivers == std::set<int>{1, 2});
    kill(m.pid(), SIGTERM);
    CHECK(m.wait_exit() == 0);
}

TEST_CASE("fork-cluster gives up after max-restarts crashes with backoff and exits 1") {
    Master m(
        {"-w", "1", "--restart-delay", "20ms", "--max-restarts", "3", "--", "sh", "-c", "exit 3"});
    CHECK(m.wait_exit() == 1);
    auto restarts = m.events_named("restart");
    REQUIRE(restarts.size() == 3);
    CHECK(restarts[0]["delay_ms"] == 20);
    CHECK(restarts[1]["delay_ms"] == 40);
    CHECK(restarts[2]["delay_ms"] == 80);
    CHECK(m.events_named("give_up").size() == 1);
    CHECK(m.events_named("fork").size() == 4);
}

TEST_CASE("fork-cluster restart never leaves a clean exit alone and exits with it") {
    Master m({"-w", "2", "--restart", "never", "--", "sh", "-c", "exit 0"});
    CHECK(m.wait_exit() == 0);
    CHECK(m.events_named("restart").empty());
}

TEST_CASE("fork-cluster graceful shutdown SIGKILLs a worker that ignores TERM after the grace") {
    // "online" comes at exec, before sh has run its trap: each worker marks when it has.
    TempDir dir;
    Master m({"-w", "2", "--ready", "exec", "--grace", "300ms", "--", "sh", "-c",
              "trap '' TERM; : > " + shell_quote(dir / "trapped") +
                  ".$$; while :; do sleep 0.05; done"});
    REQUIRE(m.wait_events("online", 2));
    REQUIRE(wait_until(
        [&] {
            auto entries = std::filesystem::directory_iterator(dir.path());
            return std::distance(begin(entries), end(entries)) == 2;
        },
        std::chrono::seconds(10)));
    kill(m.pid(), SIGTERM);
    CHECK(m.wait_exit() == 0);
    auto exits = m.events_named("exit");
    REQUIRE(exits.size() == 2);
    for (auto& e : exits) CHECK(e["signal"] == "SIGKILL");
}

TEST_CASE("fork-cluster workers die with the master even when it is SIGKILLed") {
    Master m({"-w", "2", "--listen", "127.0.0.1:0", "--", "node", fixture("http_server.js")});
    REQUIRE(m.wait_events("online", 2));
    std::vector<int> pids;
    for (auto& e : m.events_named("fork")) pids.push_back(e["pid"]);
    kill(m.pid(), SIGKILL);
    CHECK(m.wait_exit() == 128 + SIGKILL);
    CHECK(wait_until([&] { return !process_alive(pids[0]) && !process_alive(pids[1]); }, 2000ms));
}

TEST_CASE("fork-cluster as a subreaper reaps a worker's orphaned grandchild") {
    TempDir dir;
    std::string pidfile = dir / "orphan";
    Master m({"-w", "1", "--ready", "exec", "--subreaper", "--", "sh", "-c",
              "(sleep 0.5 & echo $! > " + shell_quote(pidfile) + ".tmp; mv " +
                  shell_quote(pidfile) + ".tmp " + shell_quote(pidfile) + "); exec sleep 30"});
    REQUIRE(m.wait_events("online", 1));
    REQUIRE(wait_until([&] { return std::filesystem::exists(pidfile); }));
    int orphan = std::stoi(read_file(pidfile));
    // Once its subshell exits, the orphan's parent is the master (or it already ended,
    // reaped by the master: nothing else could reap it).
    // The subshell wrote the file before it exited: wait for the reparenting.
    CHECK(wait_until([&] {
        long parent = stat_field(orphan, 4);
        return parent == m.pid() || parent == -1;
    }));
    // Reaped once it ends: gone from /proc, not a zombie of the master.
    CHECK(wait_until([&] { return stat_field(orphan, 4) == -1; }));
    CHECK(zombie_children(m.pid()).empty());
    kill(m.pid(), SIGTERM);
    CHECK(m.wait_exit() == 0);
}

TEST_CASE(
    "fork-cluster rolling reload on SIGHUP replaces every worker without refusing a request") {
    Master m({"-w", "2", "--control", "CTL", "--listen", "127.0.0.1:0", "--", "node",
              fixture("http_server.js")});
    REQUIRE(m.wait_events("online", 2));
    int port = m.port();
    auto before = worker_pids(m);
    std::atomic<bool> done{false};
    std::atomic<int> ok{0};
    std::vector<std::string> errors;
    std::thread load([&] {
        while (!done) {
            std::string body = http_get(port, "/?delay=20");
            if (body.starts_with("pid="))
                ++ok;
            else
                errors.push_back(body);
        }
    });
    kill(m.pid(), SIGHUP);
    bool reloaded = m.wait_events("online", 4);
    kill(m.pid(), SIGHUP);
    bool reloaded_again = m.wait_events("online", 6);
    int served = ok;  // a few more requests answered by the new generation
    CHECK(wait_until([&] { return ok >= served + 5; }));
    done = true;
    load.join();
    CHECK(reloaded);
    CHECK(reloaded_again);
    CHECK(errors.empty());
    CHECK(ok > 0);
    auto after = worker_pids(m);
    REQUIRE(after.size() == 2);
    for (int pid : after) CHECK(std::find(before.begin(), before.end(), pid) == before.end());
    CHECK(m.events_named("restart").empty());
    kill(m.pid(), SIGTERM);
    CHECK(m.wait_exit() == 0);
}

TEST_CASE("fork-cluster replaces a SIGKILLed worker while the service keeps answering") {
    Master m({"-w", "2", "--control", "CTL", "--listen", "127.0.0.1:0", "--", "node",
              fixture("http_server.js")});
    REQUIRE(m.wait_events("online", 2));
    int port = m.port();
    std::atomic<bool> done{false};
    std::atomic<int> refused{0}, ok{0};
    std::thread load([&] {
        while (!done) {
            std::string body = http_get(port);
            if (body.starts_with("pid="))
                ++ok;
            else if (body.find("connect") != std::string::npos)
                ++refused;
        }
    });
    for (int round = 0; round < 2; ++round) {
        auto pids = worker_pids(m);
        REQUIRE(pids.size() == 2);
        kill(pids[round % 2], SIGKILL);
        bool back = wait_until(
            [&] {
                auto now = worker_pids(m);
                auto st = json::parse(control_request(m.dir() / "ctl", R"({"cmd":"status"})"));
                int online = 0;
                for (auto& w : st["workers"]) online += w["state"] == "online";
                return now.size() == 2 && online == 2 &&
                       std::find(now.begin(), now.end(), pids[round % 2]) == now.end();
            },
            10000ms);
        CHECK(back);
    }
    done = true;
    load.join();
    CHECK(refused == 0);
    CHECK(ok > 0);
    // The replacement keeps the worker id of the one it replaces.
    std::set<int> ids;
    for (auto& e : m.events_named("fork")) ids.insert(e["worker_id"].get<int>());
    CHECK(ids == std::set<int>{1, 2});
    kill(m.pid(), SIGTERM);
    CHECK(m.wait_exit() == 0);
}

TEST_CASE("fork-cluster retires a Node worker after uncaughtException without refusing a request") {
    Master m({"-w", "2", "--listen", "127.0.0.1:0", "--", "node", fixture("http_server.js")});
    REQUIRE(m.wait_events("online", 2));
    int port = m.port();
    std::atomic<bool> done{false};
    std::atomic<int> answered{0};
    std::vector<std::string> errors;
    std::thread load([&] {
        while (!done) {
            std::string body = http_get(port);
            if (!body.starts_with("pid="))
                errors.push_back(body);
            else
                ++answered;
        }
    });
    http_get(port, "/crash");
    CHECK(m.wait_events("retire", 1));
    CHECK(m.wait_events("online", 3));
    CHECK(m.wait_events("exit", 1));
    int before = answered;  // and the service goes on answering after the exit
    CHECK(wait_until([&] { return answered >= before + 5; }));
    done = true;
    load.join();
    CHECK(errors.empty());
    CHECK(m.events_named("restart").empty());  // a retirement is not a crash
    CHECK(m.events_named("exit")[0]["code"] == 0);
    kill(m.pid(), SIGTERM);
    CHECK(m.wait_exit() == 0);
}

TEST_CASE("fork-cluster control socket answers status scale and errors and survives bad clients") {
    Master m({"-w", "1", "--ready", "exec", "--control", "CTL", "--", "sleep", "30"});
    REQUIRE(m.wait_events("online", 1));
    std::string ctl = m.dir() / "ctl";
    struct stat st;
    REQUIRE(stat(ctl.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    // A client that connects and says nothing must not block the others.
    int idle = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::strncpy(sun.sun_path, ctl.c_str(), sizeof sun.sun_path - 1);
    REQUIRE(connect(idle, reinterpret_cast<sockaddr*>(&sun), sizeof sun) == 0);
    (void)!write(idle, "{\"cmd\":", 7);  // and a partial request at that
    auto bad = json::parse(control_request(ctl, "{nope"));
    CHECK(bad["ok"] == false);
    CHECK(bad["error"].get<std::string>().starts_with("invalid JSON"));
    CHECK(json::parse(control_request(ctl, R"({"cmd":"dance"})"))["error"] ==
          "unknown cmd 'dance'");
    CHECK(json::parse(control_request(ctl, R"({"cmd":"send","to":"nowhere","data":1})"))["ok"] ==
          false);
    auto scaled = json::parse(control_request(ctl, R"({"cmd":"scale","workers":3})"));
    CHECK(scaled == json{{"ok", true}, {"workers", 3}});
    REQUIRE(m.wait_events("online", 3));
    auto status = json::parse(control_request(ctl, R"({"cmd":"status"})"));
    CHECK(status["ok"] == true);
    REQUIRE(status["workers"].size() == 3);
    CHECK(status["workers"][2]["id"] == 3);
    CHECK(status["workers"][0]["state"] == "online");
    CHECK(status["workers"][0]["restarts"] == 0);
    CHECK(status["workers"][0]["uptime_ms"].is_number());
    CHECK(status["agent"].is_null());
    close(idle);
    CHECK(json::parse(control_request(ctl, R"({"cmd":"stop"})")) == json{{"ok", true}});
    CHECK(m.wait_exit() == 0);
}

TEST_CASE("fork-cluster control socket refuses a client of another uid") {
    Master m({"-w", "1", "--ready", "exec", "--control", "CTL", "--", "sleep", "30"});
    REQUIRE(m.wait_events("online", 1));
    std::string ctl = m.dir() / "ctl";
    // The socket file is 0600 already; make it reachable so SO_PEERCRED is what refuses
    // (the master answers and hangs up before reading anything).
    chmod(ctl.c_str(), 0666);
    chmod(m.dir().path().c_str(), 0755);
    std::string script =
        "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\n"
        "print(s.makefile().readline().strip())\n";
    auto r = run({"setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                  "/usr/bin/python3", "-c", script, ctl});
    INFO(r.err);
    CHECK(r.status == 0);
    CHECK(r.out == "{\"ok\":false,\"error\":\"permission denied\"}\n");
    CHECK(m.events_named("shutdown").empty());
    kill(m.pid(), SIGTERM);
    CHECK(m.wait_exit() == 0);
}

TEST_CASE("fork-cluster scales by one on SIGTTIN and SIGTTOU") {
    Master m({"-w", "1", "--ready", "exec", "--control", "CTL", "--", "sleep", "30"});
    REQUIRE(m.wait_events("online", 1));
    kill(m.pid(), SIGTTIN);
    REQUIRE(m.wait_events("online", 2));
    CHECK(worker_pids(m).size() == 2);
    kill(m.pid(), SIGTTOU);
    CHECK(wait_until([&] { return worker_pids(m).size() == 1; }));
    kill(m.pid(), SIGTERM);
    CHECK(m.wait_exit() == 0);
}

TEST_CASE("fork-cluster starts the agent before the workers and routes messages to it") {
    Master m({"-w", "1", "--agent", "exec node " + fixture("messenger.js"), "--control", "CTL",
              "--", "node", fixture("messenger.js")});
    REQUIRE(m.wait_events("online", 2));
    auto forks = m.events_named("fork");
    CHECK(forks[0]["worker_id"] == 0);
    auto reply = json::parse(
        control_request(m.dir() / "ctl", R"({"cmd":"send","to":"agent","data":{"x":1}})"));
    CHECK(reply["delivered"] == 1);
    REQUIRE(m.wait_events("message", 1));
    CHECK(m.events_named("message")[0]["worker_id"] == 0);
    auto status = json::parse(control_request(m.dir() / "ctl", R"({"cmd":"status"})"));
    CHECK(status["agent"]["id"] == 0);
    kill(m.pid(), SIGTERM);
    CHECK(m.wait_exit() == 0);
}

TEST_CASE("fork-cluster --reuseport gives each worker its own socket on one port") {
    Master m({"-w", "2", "--reuseport", "--listen", "127.0.0.1:0", "--", "node",
              fixture("http_server.js")});
    REQUIRE(m.wait_events("online", 2));
    int port = m.port();
    std::set<std::string> pids;
    for (int i = 0; i < 80 && pids.size() < 2; ++i) pids.insert(pid_of(http_get(port)));
    CHECK(pids.size() == 2);
    kill(m.pid(), SIGTERM);
    CHECK(m.wait_exit() == 0);
}

TEST_CASE("fork-cluster reports a listen port in use and exits 1") {
    int holder = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(holder, reinterpret_cast<sockaddr*>(&sin), sizeof sin) == 0);
    REQUIRE(listen(holder, 1) == 0);
    socklen_t len = sizeof sin;
    getsockname(holder, reinterpret_cast<sockaddr*>(&sin), &len);
    std::string addr = "127.0.0.1:" + std::to_string(ntohs(sin.sin_port));
    auto r = run_ptool({"fork-cluster", "--listen", addr, "--", "true"});
    close(holder);
    CHECK(r.status == 1);
    CHECK(r.err == "ptool fork-cluster: " + addr + ": Address already in use\n");
}

TEST_CASE("fork-cluster takes READY=1 on NOTIFY_SOCKET as readiness") {
    std::string notify = R"(import os, socket, time
addr = os.environ["NOTIFY_SOCKET"]
if addr.startswith("@"): addr = "\0" + addr[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
time.sleep(0.2)
s.sendto(b"READY=1\nSTATUS=serving\n", addr)
time.sleep(30)
)";
    Master m({"-w", "1", "--ready-timeout", "20s", "--", "python3", "-c", notify});
    REQUIRE(m.wait_events("online", 1, 5000ms));
    CHECK(m.events_named("ready_timeout").empty());
    kill(m.pid(), SIGTERM);
    CHECK(m.wait_exit() == 0);
}

TEST_CASE(
    "fork-cluster passes tcp and unix sockets as fds 3 and 4 with LISTEN_PID set to the worker") {
    TempDir dir;
    std::string out = dir / "env.txt";
    std::string sock = dir / "app.sock";
    std::string script =
        "echo \"$LISTEN_FDS $LISTEN_FDNAMES $PTOOL_WORKER_ID $PTOOL_WORKERS $([ \"$LISTEN_PID\" = "
        "$$ ] && echo own-pid)\" > " +
        out + "; exec sleep 30";
    Master m({"-w", "1", "--ready", "exec", "--listen", "127.0.0.1:0", "--listen",
              "admin=unix:" + sock, "--", "sh", "-c", script});
    REQUIRE(m.wait_events("online", 1));
    REQUIRE(wait_until([&] { return access(out.c_str(), F_OK) == 0 && !read_file(out).empty(); }));
    CHECK(read_file(out) == "2 tcp0:admin 1 1 own-pid\n");
    // The unix socket accepts (the master bound it; the backlog queues the connection).
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::strncpy(sun.sun_path, sock.c_str(), sizeof sun.sun_path - 1);
    CHECK(connect(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun) == 0);
    close(fd);
    kill(m.pid(), SIGTERM);
    CHECK(m.wait_exit() == 0);
    CHECK(access(sock.c_str(), F_OK) != 0);  // removed at exit
}

TEST_CASE("fork-cluster logs a worker's unusable messages and keeps running") {
    std::string script =
        "\"$PTOOL\" ipc-send '{\"cmd\":\"ptool:send\",\"to\":5}' && "
        "\"$PTOOL\" ipc-send '{\"cmd\":\"ptool:send\",\"to\":\"mars\"}' && "
        "\"$PTOOL\" ipc-send '{\"cmd\":\"online\"}' && exec sleep 30";
    Master m({"-w", "1", "--", "sh", "-c", script});
    REQUIRE(m.wait_events("online", 1));
    CHECK(m.events_named("bad_message").size() == 2);
    CHECK(process_alive(m.pid()));
    kill(m.pid(), SIGTERM);
    CHECK(m.wait_exit() == 0);
}

TEST_CASE("fork-cluster scaled to zero workers keeps running until told to stop") {
    Master m({"-w", "1", "--ready", "exec", "--control", "CTL", "--", "sleep", "30"});
    REQUIRE(m.wait_events("online", 1));
    CHECK(json::parse(control_request(m.dir() / "ctl", R"({"cmd":"scale","workers":0})"))["ok"] ==
          true);
    REQUIRE(m.wait_events("exit", 1));
    // A status answered after the last worker's exit: the master goes on without workers.
    CHECK(json::parse(control_request(m.dir() / "ctl", R"({"cmd":"status"})"))["workers"].empty());
    CHECK(process_alive(m.pid()));
    kill(m.pid(), SIGTERM);
    CHECK(m.wait_exit() == 0);
}

TEST_CASE(
    "fork-cluster hands a routed fd to a Node worker and holds the next messages until its ACK") {
    Master m({"-w", "1", "--control", "CTL", "--", "node", fixture("handle_receiver.js")},
             {{"WANT", "6"}});
    REQUIRE(m.wait_events("online", 1));
    int port1 = 0, port2 = 0;
    int server = loopback_socket(SOCK_STREAM, port1);
    // The fd rides on the first request; the next ones follow at once. Node makes a
    // net.Server of a handle a tick later, so only the master's hold keeps them behind it.
    auto replies = control_burst(m.dir() / "ctl",
                                 {R"({"cmd":"send","to":"worker:1","data":{"n":0}})",
                                  R"({"cmd":"send","to":"worker:1","data":{"n":1}})",
                                  R"({"cmd":"send","to":"worker:1","data":{"n":2}})",
                                  R"({"cmd":"send","to":"worker:1","data":{"n":3}})"},
                                 server);
    close(server);
    REQUIRE(replies.size() == 4);
    for (auto& r : replies) CHECK(json::parse(r) == json{{"ok", true}, {"delivered", 1}});
    // A second handle, with a message right behind it.
    server = loopback_socket(SOCK_STREAM, port2);
    auto more = control_burst(m.dir() / "ctl",
                              {R"({"cmd":"send","to":"worker:1","data":{"n":4}})",
                               R"({"cmd":"send","to":"worker:1","data":{"n":5}})"},
                              server);
    close(server);
    CHECK(more.size() == 2);
    REQUIRE(m.wait_events("message", 1));
    auto seen = m.events_named("message")[0]["data"]["seen"];
    CHECK(seen == json{"handle 0 Server " + std::to_string(port1), "n 1", "n 2", "n 3",
                       "handle 4 Server " + std::to_string(port2), "n 5"});
    CHECK(m.events_named("handle_lost").empty());
    kill(m.pid(), SIGTERM);
    CHECK(m.wait_exit() == 0);
}

TEST_CASE("fork-cluster shares a UDP socket between two workers that answer datagrams") {
    // A blocking recvfrom() wakes one worker per datagram, and a fast one may drain a
    // burst before the other runs: the Python worker takes 20 ms per answer.
    std::vector<std::string> worker;
    SECTION("Python workers on socket.fromfd 3") {
        worker = {"--ready", "exec", "--", "python3", fixture("udp_echo.py")};
    }
    SECTION("Node workers on dgram bind fd 3") {
        worker = {"--", "node", fixture("udp_echo.js")};
    }
    std::vector<std::string> args = {"-w", "2", "--listen", "udp://127.0.0.1:0"};
    args.insert(args.end(), worker.begin(), worker.end());
    Master m(args, {{"ECHO_DELAY", "0.02"}});
    REQUIRE(m.wait_events("online", 2));
    int port = m.port();
    REQUIRE(port > 0);
    int client_port = 0;
    int client = loopback_socket(SOCK_DGRAM, client_port);
    timeval tv{5, 0};
    setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    to.sin_port = htons(static_cast<uint16_t>(port));
    // Bursts of datagrams: while one worker answers, the next one wakes the other.
    std::set<std::string> workers;
    for (int burst = 0; burst < 50 && workers.size() < 2; ++burst) {
        constexpr int kBurst = 4;
        for (int i = 0; i < kBurst; ++i) {
            std::string ping = "ping " + std::to_string(i);
            REQUIRE(sendto(client, ping.data(), ping.size(), 0, reinterpret_cast<sockaddr*>(&to),
                           sizeof to) == static_cast<ssize_t>(ping.size()));
        }
        for (int i = 0; i < kBurst; ++i) {
            char buf[256];
            ssize_t n = recv(client, buf, sizeof buf, 0);
            REQUIRE(n > 0);
            std::string reply(buf, static_cast<size_t>(n));
            REQUIRE(reply.starts_with("ping "));
            REQUIRE(reply.find(" worker=") != std::string::npos);
            workers.insert(reply.substr(reply.find(" worker=") + 1));
        }
    }
    close(client);
    CHECK(workers == std::set<std::string>{"worker=1", "worker=2"});
    CHECK(m.events_named("exit").empty());
    kill(m.pid(), SIGTERM);
    CHECK(m.wait_exit() == 0);
}
