// What fork-cluster's upgrade in place keeps besides listeners, workers and channels
// (fork_cluster_upgrade.cpp has those): the log files and the workers' log pipes with
// their half lines, --http and its counters, the agent and its channel, and sd_notify
// both ways (NOTIFY_SOCKET upwards, the workers' READY=1 and WATCHDOG=1 to the master).
#include <sys/stat.h>
#include <time.h>

#include <atomic>
#include <thread>

#include "cluster_harness.hpp"

using namespace cluster_test;
namespace fs = std::filesystem;

namespace {

json request(const Master& m, const json& req) {
    return json::parse(control_request(m.ctl(), req.dump(), 20s), nullptr, false);
}

// {"cmd":"upgrade"}: answered by the new image, with the master's pid.
void upgrade(const Master& m) {
    json reply = request(m, {{"cmd", "upgrade"}});
    REQUIRE(reply["ok"] == true);
    CHECK(reply["upgraded"] == true);
    CHECK(reply["pid"] == m.pid());
}

// The events named `name` in a file of JSON lines (master.log under --log-dir).
std::vector<json> events_in(const std::string& path, const std::string& name) {
    std::vector<json> out;
    std::istringstream lines(fs::exists(path) ? read_file(path) : "");
    for (std::string line; std::getline(lines, line);) {
        auto e = json::parse(line, nullptr, false);
        if (e.is_object() && e.value("event", "") == name) out.push_back(e);
    }
    return out;
}

bool file_has(const std::string& path, const std::string& what) {
    return wait_until(
        [&] { return fs::exists(path) && read_file(path).find(what) != std::string::npos; }, 20s);
}

size_t count_of(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = 0; (at = text.find(what, at)) != std::string::npos; at += what.size()) ++n;
    return n;
}

ino_t inode_of(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

struct HttpAnswer {
    int status = 0;  // -1: connection refused, 0: closed without an answer
    std::string body;
};

// GET PATH on 127.0.0.1:PORT over HTTP/1.0, read to the end.
HttpAnswer http_answer(int port, const std::string& path) {
    int fd = connect_loopback(port);
    if (fd < 0) return {-1, ""};
    std::string req = "GET " + path + " HTTP/1.0\r\n\r\n", resp;
    if (write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size())) {
        char buf[4096];
        for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;)
            resp.append(buf, static_cast<size_t>(n));
    }
    close(fd);
    auto head_end = resp.find("\r\n\r\n");
    if (!resp.starts_with("HTTP/1.") || head_end == std::string::npos || resp.size() < 12)
        return {};
    return {std::atoi(resp.c_str() + 9), resp.substr(head_end + 4)};
}

// The value of the sample line "NAME VALUE" of a /metrics page, or -1.
long long metric(const std::string& page, const std::string& name) {
    std::istringstream lines(page);
    for (std::string line; std::getline(lines, line);)
        if (line.starts_with(name + " ")) return std::stoll(line.substr(name.size() + 1));
    return -1;
}

long long monotonic_usec() {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<long long>(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
}

}  // namespace

TEST_CASE("fork-cluster upgrade keeps the log files, the log pipes' half lines and rotation") {
    TempDir logs;
    std::string go = logs / "go", w1 = logs / "worker-1.log", master_log = logs / "master.log";
    // Each stream's last line is cut in two writes: the first half before the upgrade (read
    // with the line before it, in one write), the rest after.
    Master m({"-w", "1", "--ready", "exec", "--log-dir", logs.path(), "--control", "CTL", "--",
              "sh", "-c",
              "printf 'line1\\nbefore-'; printf 'eline1\\nebefore-' >&2; while [ ! -e " +
                  shell_quote(go) +
                  " ]; do sleep 0.02; done; echo after; echo eafter >&2; "
                  "trap 'echo again' WINCH; while :; do sleep 0.02; done"});
    REQUIRE(file_has(w1, "[worker 1] line1\n"));
    REQUIRE(file_has(w1, "[worker 1] eline1\n"));
    REQUIRE(file_has(master_log, "\"online\""));
    ino_t w1_inode = inode_of(w1), master_inode = inode_of(master_log);
    upgrade(m);
    REQUIRE(file_has(master_log, "\"upgraded\""));
    write_file(go, "");
    REQUIRE(file_has(w1, "[worker 1] ebefore-eafter\n"));
    REQUIRE(file_has(w1, "[worker 1] before-after\n"));
    std::string text = read_file(w1);
    CHECK(count_of(text, "] before-") == 1);
    CHECK(count_of(text, "] ebefore-") == 1);
    CHECK(count_of(text, "after") == 2);
    CHECK(count_of(text, "line1\n") == 2);
    CHECK(inode_of(w1) == w1_inode);
    CHECK(inode_of(master_log) == master_inode);
    CHECK(events_in(master_log, "online").size() == 1);  // the old image's lines stay

    // Reopened after the upgrade, on the request and on SIGUSR1, the master's log too.
    for (int round = 0; round < 2; ++round) {
        std::string old = w1 + ".old" + std::to_string(round);
        fs::rename(w1, old);
        fs::rename(master_log, master_log + ".old" + std::to_string(round));
        if (round == 0)
            CHECK(request(m, {{"cmd", "rotate"}})["ok"] == true);
        else
            kill(m.pid(), SIGUSR1);
        REQUIRE(wait_until([&] { return !events_in(master_log, "logs_reopened").empty(); }, 20s));
        kill(m.pid(), SIGWINCH);
        REQUIRE(file_has(w1, "[worker 1] again\n"));
        CHECK(count_of(read_file(w1), "again") == 1);
        CHECK(count_of(read_file(old), "again") ==
              static_cast<size_t>(round));  // the round before's
    }
    CHECK(m.stop() == 0);

    // --log FILE --log-max: the size carries over, so the file rotates at the same bound and
    // the numbering goes on from the upgraded image.
    std::string log = logs / "app.log";
    std::string lines =
        "i=0; while [ $i -lt 36 ]; do echo $1-$i-padding-padding-padding; "
        "i=$((i+1)); done; echo $1-done";
    Master r({"-w", "1", "--ready", "exec", "--log", log, "--log-max", "1k", "--log-keep", "3",
              "--control", "CTL", "--", "sh", "-c",
              "f() { " + lines + "; }; f one; while [ ! -e " + shell_quote(go + "2") +
                  " ]; do sleep 0.02; done; f two; exec sleep 60"});
    REQUIRE(file_has(log, "one-done"));
    REQUIRE(fs::exists(log + ".1"));
    CHECK(!fs::exists(log + ".2"));
    upgrade(r);
    write_file(go + "2", "");
    REQUIRE(file_has(log, "two-done"));
    CHECK(fs::exists(log + ".2"));
    std::string all;
    for (auto p : {log + ".3", log + ".2", log + ".1", log})
        if (fs::exists(p)) {
            CHECK(fs::file_size(p) <= 1024);
            all += read_file(p);
        }
    CHECK(count_of(all, "[worker 1] one-") == 37);
    CHECK(count_of(all, "[worker 1] two-") == 37);
    CHECK(r.stop() == 0);
}

TEST_CASE("fork-cluster upgrade keeps --http answering and its counters counting") {
    Master m({"-w", "2", "--ready", "exec", "--http", "127.0.0.1:0", "--control", "CTL", "--",
              "sleep", "60"});
    REQUIRE(m.wait_events("http", 1));
    std::string addr = m.events_named("http")[0]["address"];
    int port = std::stoi(addr.substr(addr.rfind(':') + 1));
    REQUIRE(m.wait_events("online", 2));
    // A restart, a reload and two messages routed before the upgrade.
    kill(m.events_named("online")[0]["pid"].get<int>(), SIGKILL);
    REQUIRE(m.wait_events("online", 3));
    kill(m.pid(), SIGHUP);
    REQUIRE(wait_until(
        [&] {
            json s = request(m, {{"cmd", "status"}});
            return m.events_named("online").size() >= 5 && !s.contains("reloading");
        },
        20s));
    REQUIRE(request(m, {{"cmd", "send"}, {"to", "workers"}, {"data", "hi"}})["delivered"] == 2);
    auto before = http_answer(port, "/metrics");
    REQUIRE(before.status == 200);
    const char* counters[] = {"ptool_cluster_restarts_total", "ptool_cluster_reloads_total",
                              "ptool_cluster_messages_routed_total"};
    CHECK(metric(before.body, counters[0]) == 1);
    CHECK(metric(before.body, counters[1]) == 1);
    CHECK(metric(before.body, counters[2]) == 2);
    CHECK(metric(before.body, "ptool_cluster_upgrades_total") == 0);

    // Probes in a loop throughout: never refused; one caught in the exec may go unanswered.
    std::atomic<bool> stop{false};
    std::atomic<int> ok{0}, refused{0}, unanswered{0}, other{0};
    std::thread probes([&] {
        for (int i = 0; !stop; ++i) {
            int status = http_answer(port, i % 2 ? "/readyz" : "/healthz").status;
            (status == 200 ? ok : status < 0 ? refused : status == 0 ? unanswered : other)++;
        }
    });
    CHECK(wait_until([&] { return ok >= 10; }, 20s));
    upgrade(m);
    int at_upgrade = ok;
    CHECK(wait_until([&] { return ok >= at_upgrade + 10; }, 20s));
    stop = true;
    probes.join();
    CHECK(refused == 0);
    CHECK(unanswered <= 1);
    CHECK(other == 0);

    auto after = http_answer(port, "/metrics");
    REQUIRE(after.status == 200);
    for (const char* name : counters) CHECK(metric(after.body, name) == metric(before.body, name));
    CHECK(metric(after.body, "ptool_cluster_upgrades_total") == 1);
    CHECK(request(m, {{"cmd", "status"}})["master"]["upgrades"] == 1);
    CHECK(m.events_named("upgraded")[0]["upgrades"] == 1);
    CHECK(m.stop() == 0);
}

TEST_CASE("fork-cluster upgrade keeps the agent, its channel and its restarts") {
    Master m({"-w", "2", "--agent", "node " + fixture("messenger.js"), "--control", "CTL", "--",
              "node", fixture("messenger.js")});
    REQUIRE(m.wait_events("online", 3));
    json agent = request(m, {{"cmd", "status"}})["agent"];
    REQUIRE(agent.is_object());
    int pid = agent["pid"];
    upgrade(m);
    json status = request(m, {{"cmd", "status"}});
    CHECK(status["agent"]["pid"] == pid);
    CHECK(status["agent"]["state"] == "online");
    // The agent hears the master and answers through the channel the new image adopted.
    auto answers = [&](const std::string& cmd) {
        int n = 0;
        for (auto& e : m.events_named("message"))
            if (e["data"].is_object() && e["data"]["received"].is_object() &&
                e["data"]["received"].value("cmd", "") == cmd)
                ++n;
        return n;
    };
    REQUIRE(
        request(m, {{"cmd", "send"}, {"to", "agent"}, {"data", {{"cmd", "ping"}}}})["delivered"] ==
        1);
    CHECK(wait_until([&] { return answers("ping") == 1; }, 20s));
    // An agent that dies after the upgrade comes back and the workers are told.
    kill(pid, SIGKILL);
    REQUIRE(m.wait_events("agent_restarted", 1));
    CHECK(m.events_named("agent_restarted")[0]["pid"] != pid);
    CHECK(wait_until([&] { return answers("ptool:agent-restarted") == 2; }, 20s));
    CHECK(request(m, {{"cmd", "status"}})["agent"]["pid"] ==
          m.events_named("agent_restarted")[0]["pid"]);
    CHECK(m.stop() == 0);
}

TEST_CASE("fork-cluster upgrade keeps sd_notify: RELOADING, READY and WATCHDOG both ways") {
    TempDir dir;
    NotifyListener systemd(dir / "notify");
    // Says READY=1 once DIR/go-ID exists, then WATCHDOG=1 every 20 ms, counting them in
    // DIR/beats-ID.
    write_file(dir / "worker.py", R"(
import os, socket, sys, time
a = os.environ["NOTIFY_SOCKET"]
addr = "\0" + a[1:] if a.startswith("@") else a
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
me = os.environ["PTOOL_WORKER_ID"]
while not os.path.exists(sys.argv[1] + "/go-" + me):
    time.sleep(0.02)
s.sendto(b"READY=1", addr)
n = 0
while True:
    s.sendto(b"WATCHDOG=1", addr)
    n += 1
    beats = sys.argv[1] + "/beats-" + me
    with open(beats + ".tmp", "w") as f:
        f.write(str(n))
    os.rename(beats + ".tmp", beats)
    time.sleep(0.02)
)");
    write_file(dir / "go-1", "");
    Master m({"-w", "1", "--watchdog", "500ms", "--ready-timeout", "20s", "--control", "CTL", "--",
              "python3", dir / "worker.py", dir.path()},
             {{"NOTIFY_SOCKET", systemd.address()}, {"WATCHDOG_USEC", "200000"}});
    REQUIRE(systemd.wait_for("READY", "1"));
    // Worker 2 is still starting (no READY=1 yet) when the upgrade comes.
    REQUIRE(request(m, {{"cmd", "scale"}, {"workers", 2}})["ok"] == true);
    REQUIRE(m.wait_events("fork", 2));
    int pid1 = m.events_named("fork")[0]["pid"], pid2 = m.events_named("fork")[1]["pid"];
    long long asked = monotonic_usec();
    upgrade(m);
    REQUIRE(systemd.wait_for("RELOADING", "1"));
    auto reloading = systemd.messages.back();
    REQUIRE(reloading.count("MONOTONIC_USEC") == 1);
    CHECK(std::stoll(reloading["MONOTONIC_USEC"]) >= asked);
    CHECK(std::stoll(reloading["MONOTONIC_USEC"]) <= monotonic_usec());
    REQUIRE(systemd.wait_for("READY", "1"));
    CHECK(systemd.wait_for("WATCHDOG", "1"));
    CHECK(systemd.wait_for("WATCHDOG", "1"));

    // Waits for `pred` reading the datagrams as systemd does: the master's sd_notify is
    // blocking, so a manager that does not read (10 datagrams queued) would stop its loop.
    auto reading = [&](auto pred) {
        return wait_until(
            [&] {
                systemd.wait_for("WATCHDOG", "1");
                return pred();
            },
            20s);
    };
    // Worker 1's heartbeats reach the new image: 1.2 s of them (past --watchdog twice) and
    // it is not taken as hung.
    auto beats = [&] {
        std::string text = fs::exists(dir / "beats-1") ? read_file(dir / "beats-1") : "0";
        return text.empty() ? 0 : std::stoi(text);
    };
    int at_upgrade = beats();
    CHECK(reading([&] { return beats() >= at_upgrade + 60; }));
    CHECK(m.events_named("watchdog").empty());
    // Worker 2's READY=1, sent after the upgrade, makes it online.
    write_file(dir / "go-2", "");
    REQUIRE(reading([&] { return m.events_named("online").size() >= 2; }));
    CHECK(m.events_named("online")[1]["pid"] == pid2);
    json status = request(m, {{"cmd", "status"}});
    for (auto& w : status["workers"]) {
        CHECK(w["state"] == "online");
        CHECK(w["pid"] == (w["id"] == 1 ? pid1 : pid2));
    }
    CHECK(m.events_named("exit").empty());
    kill(m.pid(), SIGTERM);
    CHECK(systemd.wait_for("STOPPING", "1"));
    CHECK(m.wait_exit() == 0);
}

TEST_CASE("fork-cluster upgrade of a cluster still starting says no READY=1 before it is up") {
    TempDir dir;
    NotifyListener systemd(dir / "notify");
    std::string bin = dir / "ptool", flag = dir / "go";
    auto install = [&] {
        fs::copy_file(ptool_bin(), bin);
        fs::permissions(bin, fs::perms::owner_all);
    };
    install();
    Background m({bin, "fork-cluster", "--json", "--control", dir / "ctl", "-w", "1", "--ready",
                  "exec:test -e " + flag, "--ready-timeout", "30s", "--", "sleep", "60"},
                 {{"NOTIFY_SOCKET", systemd.address()}});
    REQUIRE(m.wait_events("fork", 1));
    REQUIRE(systemd.wait_for("STATUS", "0/1 workers online"));
    // One upgrade that fails at execve (the binary is gone), one that succeeds.
    fs::remove(bin);
    json failed = json::parse(control_request(dir / "ctl", R"({"cmd":"upgrade"})", 20s));
    CHECK(failed["ok"] == false);
    install();
    json upgraded = json::parse(control_request(dir / "ctl", R"({"cmd":"upgrade"})", 20s));
    CHECK(upgraded["upgraded"] == true);
    write_file(flag, "");
    REQUIRE(systemd.wait_for("READY", "1"));
    CHECK(systemd.messages.back()["STATUS"] == "1/1 workers online");
    for (auto& message : systemd.messages) CHECK(message.count("RELOADING") == 0);
    CHECK(m.stop() == 0);
}

TEST_CASE("fork-cluster upgrade sends WATCHDOG=1 before the exec and as the new image starts") {
    TempDir dir;
    NotifyListener systemd(dir / "notify");
    // A watchdog beat every 30 s: none of the loop's own comes within the test.
    Master m({"-w", "1", "--ready", "exec", "--control", "CTL", "--", "sleep", "60"},
             {{"NOTIFY_SOCKET", systemd.address()}, {"WATCHDOG_USEC", "60000000"}});
    REQUIRE(systemd.wait_for("READY", "1"));
    upgrade(m);
    REQUIRE(systemd.wait_for("RELOADING", "1"));
    size_t reloading = systemd.messages.size();
    REQUIRE(systemd.wait_for("READY", "1"));
    int beats = 0;
    for (size_t i = reloading; i < systemd.messages.size(); ++i)
        beats += systemd.messages[i].count("WATCHDOG") ? 1 : 0;
    CHECK(beats == 2);
    kill(m.pid(), SIGTERM);
    CHECK(systemd.wait_for("STOPPING", "1"));
    CHECK(m.wait_exit() == 0);
}
