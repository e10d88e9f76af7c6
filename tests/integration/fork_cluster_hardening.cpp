// fork-cluster under hostile peers (issue 9, sections 1-3): bad control requests get
// a reply in ptool's words, a client that never reads is dropped at its cap, a stderr
// nobody reads does not stop the master, a ptool:send to nobody is answered, and a
// Node program below a Python worker or agent does not trip over NODE_CHANNEL_FD.
#include <poll.h>

#include <filesystem>
#include <set>
#include <thread>

#include "cluster_harness.hpp"

using namespace cluster_test;

namespace {

// Writes `lines` to a new control connection, then shuts down its write side and reads
// every reply line until the master hangs up.
std::vector<std::string> control_exchange(const std::string& path, const std::string& lines) {
    int fd = connect_control(path);
    if (fd < 0) return {"connect failed"};
    std::thread writer([&] {
        size_t done = 0;
        while (done < lines.size()) {
            ssize_t n = send(fd, lines.data() + done, lines.size() - done, MSG_NOSIGNAL);
            if (n <= 0) break;
            done += static_cast<size_t>(n);
        }
        shutdown(fd, SHUT_WR);
    });
    std::vector<std::string> replies(1);
    char buf[65536];
    for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;)
        for (ssize_t i = 0; i < n; ++i) {
            if (buf[i] == '\n')
                replies.emplace_back();
            else
                replies.back() += buf[i];
        }
    writer.join();
    close(fd);
    replies.pop_back();
    return replies;
}

}  // namespace

TEST_CASE("fork-cluster control socket answers a hostile corpus in its own words") {
    Master m({"-w", "1", "--ready", "exec", "--control", "CTL", "--", "sleep", "30"});
    REQUIRE(m.wait_events("online", 1));
    std::string ctl = m.dir() / "ctl";
    const std::vector<std::string> corpus = {
        "1e999",
        "-1e999",
        R"({"cmd":"scale","workers":1e999})",
        std::string(100000, '['),
        std::string(100000, '[') + std::string(100000, ']'),
        R"({"cmd":"send","to":"master","data":)" + std::string(100000, '[') +
            std::string(100000, ']') + "}",
        "{\"cmd\":\"st\xff\xfe\"}",
        "{\"cmd\":\"st\xc3\"}",
        std::string("{\"cmd\":\"status\0\"}", 17),
        std::string("\0\0\0", 3),
        R"({"cmd":"send","to":"worker:\u0000\udc00"})",
        R"({"cmd":"send","to":")" + std::string(1 << 20, 'x') + "\"}",
        R"({"cmd":["status"]})",
        R"({"cmd":"scale","workers":-1})",
        R"({"cmd":"scale","workers":99999999999999999999})",
    };
    for (const auto& line : corpus) {
        INFO("request: " << line.substr(0, 80));
        auto replies = control_exchange(ctl, line + "\n");
        REQUIRE(replies.size() == 1);
        json reply;
        REQUIRE_NOTHROW(reply = json::parse(replies[0]));
        CHECK(reply["ok"] == false);
        std::string error = reply["error"];
        CHECK(!error.empty());
        CHECK(error.find("json.exception") == std::string::npos);
        CHECK(error.size() < 400);
    }
    // An empty line is no request (Node skips it too): no reply, or an error reply.
    auto empty = control_exchange(ctl, "\n");
    REQUIRE(empty.size() <= 1);
    if (!empty.empty()) CHECK(json::parse(empty[0])["ok"] == false);
    // A request without "\n" before EOF is not one: it is refused, not run.
    auto cut = control_exchange(ctl, R"({"cmd":"status"})");
    REQUIRE(cut.size() == 1);
    CHECK(json::parse(cut[0])["ok"] == false);
    CHECK(json::parse(cut[0])["error"].get<std::string>().find("cut off") != std::string::npos);
    auto status = json::parse(control_request(ctl, R"({"cmd":"status"})"));
    CHECK(status["ok"] == true);
    CHECK(status["workers"].size() == 1);
    CHECK(m.events_named("exit").empty());
    kill(m.pid(), SIGTERM);
    CHECK(m.wait_exit() == 0);
}

TEST_CASE("fork-cluster drops a control client that sends requests and never reads") {
    // 8 workers: each status reply is ~1 KB, so the cap is reached in fewer requests.
    Master m({"-w", "8", "--ready", "exec", "--control", "CTL", "--", "sleep", "30"});
    REQUIRE(m.wait_events("online", 8));
    std::string ctl = m.dir() / "ctl";
    long rss_before = vm_hwm_kb(m.pid());
    int fd = connect_control(ctl);
    REQUIRE(fd >= 0);
    // 4 MiB of requests (~60 MB of replies), written at once, never a reply read.
    std::string requests;
    for (int i = 0; i < 250000; ++i) requests += "{\"cmd\":\"status\"}\n";
    size_t written = 0;
    while (written < requests.size()) {
        ssize_t n = send(fd, requests.data() + written, requests.size() - written, MSG_NOSIGNAL);
        if (n <= 0) break;  // EPIPE: dropped already
        written += static_cast<size_t>(n);
    }
    // Dropped: the master hangs up on us (POLLHUP) with our replies unread.
    pollfd p{fd, POLLRDHUP, 0};
    bool dropped = poll(&p, 1, 10000) == 1 && (p.revents & (POLLHUP | POLLRDHUP));
    close(fd);
    long rss_after = vm_hwm_kb(m.pid());
    WARN("requests written: " << written << " bytes; master VmHWM " << rss_before << " kB -> "
                              << rss_after << " kB");
    CHECK(dropped);
    CHECK(m.wait_events("control_client_dropped", 1));
    CHECK(rss_after - rss_before < 128 * 1024);  // ASan's quarantine included
    auto status = json::parse(control_request(ctl, R"({"cmd":"status"})"));
    CHECK(status["ok"] == true);
    kill(m.pid(), SIGTERM);
    CHECK(m.wait_exit() == 0);
}

TEST_CASE("fork-cluster answers its control socket while nobody reads its stderr") {
    int pipefd[2];
    REQUIRE(pipe2(pipefd, O_CLOEXEC) == 0);
    Master m({"-w", "1", "--ready", "exec", "--control", "CTL", "--", "sleep", "30"}, {},
             pipefd[1]);
    close(pipefd[1]);
    std::string ctl = m.dir() / "ctl";
    REQUIRE(wait_until([&] { return std::filesystem::exists(ctl); }, 10s));
    // 800 "message" events of ~2 KB: more than the pipe (64 KiB) and the buffer (1 MiB).
    std::string lines;
    std::string pad(2000, 'x');
    for (int i = 0; i < 800; ++i)
        lines += R"({"cmd":"send","to":"master","data":")" + pad + "\"}\n";
    auto replies = control_exchange(ctl, lines);
    CHECK(replies.size() == 800);
    auto status = json::parse(control_request(ctl, R"({"cmd":"status"})"));
    CHECK(status["ok"] == true);
    // Read the pipe now: the events that fit, then the count of the dropped ones.
    fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
    std::string text;
    bool noticed = wait_until(
        [&] {
            char buf[65536];
            for (ssize_t n; (n = read(pipefd[0], buf, sizeof buf)) > 0;)
                text.append(buf, static_cast<size_t>(n));
            return text.find("\"events_dropped\"") != std::string::npos;
        },
        10s);
    CHECK(noticed);
    size_t lines_seen = 0;
    for (size_t start = 0, nl; (nl = text.find('\n', start)) != std::string::npos;
         start = nl + 1, ++lines_seen)
        CHECK_NOTHROW(json::parse(text.substr(start, nl - start)));  // whole lines only
    CHECK(lines_seen > 0);
    kill(m.pid(), SIGTERM);
    CHECK(m.wait_exit() == 0);
    close(pipefd[0]);
}

TEST_CASE("fork-cluster answers a ptool:send to nobody with an event and ptool:send-failed") {
    Master m({"-w", "1", "--", "node", fixture("send_failed.js")});
    REQUIRE(m.wait_events("online", 1));
    REQUIRE(m.wait_events("message", 6));
    std::set<std::string> undelivered, failed;
    for (auto& e : m.events_named("message")) {
        if (e.contains("undelivered")) {
            undelivered.insert(e["data"]["to"].get<std::string>());
            CHECK(e["undelivered"].get<std::string>().starts_with("no process matches"));
        } else {
            const json& f = e["data"]["failed"];
            CHECK(f["cmd"] == "ptool:send-failed");
            CHECK(f["data"]["for"] == f["to"]);
            CHECK(f["error"].get<std::string>().starts_with("no process matches"));
            failed.insert(f["to"].get<std::string>());
        }
    }
    std::set<std::string> targets{"worker:9", "pid:99999", "agent"};
    CHECK(undelivered == targets);
    CHECK(failed == targets);
    kill(m.pid(), SIGTERM);
    CHECK(m.wait_exit() == 0);
}

TEST_CASE("fork-cluster: node run by a Python worker or agent ignores the inherited channel") {
    Master m({"-w", "1", "--ready", "exec", "--agent",
              "/usr/bin/python3 " + fixture("node_below.py"), "--", "/usr/bin/python3",
              fixture("node_below.py")});
    REQUIRE(m.wait_events("message", 2, 20s));
    std::set<int> from;
    for (auto& e : m.events_named("message")) {
        INFO(e.dump());
        CHECK(e["data"]["node_rc"] == 0);  // not -6: SIGABRT on a reused fd
        CHECK(e["data"]["channel_fd"].get<int>() >= 100);
        from.insert(e["worker_id"].get<int>());
    }
    CHECK(from == std::set<int>{0, 1});
    kill(m.pid(), SIGTERM);
    CHECK(m.wait_exit() == 0);
}

TEST_CASE("fork-cluster logs a worker's deeply nested message and keeps running") {
    TempDir dir;
    std::string msg = dir / "msg";
    write_file(msg, std::string(100000, '[') + std::string(100000, ']') + "\n");
    Master m({"-w", "1", "--ready", "exec", "--", "sh", "-c",
              "/usr/bin/python3 -c 'import os,sys; os.write(int(os.environ[\"NODE_CHANNEL_FD\"]), "
              "open(sys.argv[1],\"rb\").read())' " +
                  shell_quote(msg) + "; exec sleep 30"});
    REQUIRE(m.wait_events("bad_message", 1));
    CHECK(m.events_named("bad_message")[0]["error"]["message"].get<std::string>().find("nested") !=
          std::string::npos);
    CHECK(process_alive(m.pid()));
    kill(m.pid(), SIGTERM);
    CHECK(m.wait_exit() == 0);
}
