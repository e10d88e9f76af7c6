// The fork-cluster test harness shared by every fork-cluster test file and ipc_hostile.cpp:
// a master in the background with its --json events in a file, control-socket requests,
// and /proc look-ups.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "test_support.hpp"

extern char** environ;

namespace cluster_test {

using namespace ptool::test;
using nlohmann::json;
using namespace std::chrono_literals;

inline std::string fixture(const std::string& name) {
    return source_dir() + "/tests/fixtures/cluster/" + name;
}

// A fork-cluster master running in the background with --json events in a file.
class Master {
public:
    // `stderr_fd` >= 0: the master's stderr (events then are not read back here).
    explicit Master(std::vector<std::string> args,
                    std::map<std::string, std::string> extra_env = {}, int stderr_fd = -1) {
        events_path_ = dir_ / "events.jsonl";
        for (auto& a : args)
            if (a == "CTL") a = dir_ / "ctl";  // the control socket lives in the test's directory
        std::vector<std::string> argv = {ptool_bin(), "fork-cluster", "--json"};
        argv.insert(argv.end(), args.begin(), args.end());
        std::vector<std::string> env_strings;
        for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
        env_strings.push_back("PTOOL=" + ptool_bin());
        for (const auto& [k, v] : extra_env) env_strings.push_back(k + "=" + v);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        if (stderr_fd >= 0)
            posix_spawn_file_actions_adddup2(&fa, stderr_fd, 2);
        else
            posix_spawn_file_actions_addopen(&fa, 2, events_path_.c_str(),
                                             O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int rc = spawn_clean(pid_, argv, env_strings, fa);
        posix_spawn_file_actions_destroy(&fa);
        REQUIRE(rc == 0);
    }
    ~Master() {
        if (pid_ > 0 && status_ < 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
    }
    pid_t pid() const { return pid_; }
    const TempDir& dir() const { return dir_; }
    std::string ctl() const { return dir_ / "ctl"; }  // where "CTL" in the arguments points

    std::vector<json> events() const {
        std::vector<json> out;
        std::string text = read_file(events_path_);
        size_t start = 0;
        for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
            try {
                out.push_back(json::parse(text.substr(start, nl - start)));
            } catch (const json::parse_error&) {
                out.push_back(json{{"event", "text"}, {"text", text.substr(start, nl - start)}});
            }
        }
        return out;
    }
    std::vector<json> events_named(const std::string& name) const {
        std::vector<json> out;
        for (auto& e : events())
            if (e.value("event", "") == name) out.push_back(e);
        return out;
    }
    // Waits until `count` events named `name` were logged.
    bool wait_events(const std::string& name, size_t count,
                     std::chrono::milliseconds timeout = 20s) const {
        return wait_until([&] { return events_named(name).size() >= count; }, timeout);
    }
    int port() const {
        if (!wait_events("listen", 1)) return 0;
        std::string a = events_named("listen")[0]["address"];
        return std::stoi(a.substr(a.rfind(':') + 1));
    }
    // Waits for the master to exit; returns its status (128+N for a signal) or -1.
    int wait_exit(std::chrono::milliseconds timeout = 15s) {
        if (status_ >= 0) return status_;
        wait_until(
            [&] {
                int st;
                if (waitpid(pid_, &st, WNOHANG) != pid_) return false;
                status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                return true;
            },
            timeout);
        return status_;
    }
    // SIGTERM, then wait_exit().
    int stop(std::chrono::milliseconds timeout = 20s) {
        if (status_ < 0) kill(pid_, SIGTERM);
        return wait_exit(timeout);
    }

private:
    TempDir dir_;
    std::string events_path_;
    pid_t pid_ = -1;
    int status_ = -1;
};

// A connection to a control socket that gives up reading after `timeout`, or -1.
inline int connect_control(const std::string& path, std::chrono::seconds timeout = 5s) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::strncpy(sun.sun_path, path.c_str(), sizeof sun.sun_path - 1);
    if (connect(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun) != 0) {
        close(fd);
        return -1;
    }
    timeval tv{static_cast<time_t>(timeout.count()), 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

// Sends one JSON line to a control socket and returns the reply line: "connect failed"
// when nothing listens, "" when no whole line comes within `timeout`.
inline std::string control_request(const std::string& path, const std::string& line,
                                   std::chrono::seconds timeout = 5s) {
    int fd = connect_control(path, timeout);
    if (fd < 0) return "connect failed";
    std::string msg = line + "\n";
    for (size_t off = 0; off < msg.size();) {
        ssize_t n = write(fd, msg.data() + off, msg.size() - off);
        if (n <= 0) break;
        off += static_cast<size_t>(n);
    }
    std::string reply;
    char buf[4096];
    for (ssize_t n; reply.find('\n') == std::string::npos && (n = read(fd, buf, sizeof buf)) > 0;)
        reply.append(buf, static_cast<size_t>(n));
    close(fd);
    return reply.find('\n') == std::string::npos ? "" : reply.substr(0, reply.find('\n'));
}

inline std::vector<int> worker_pids(const Master& m) {
    auto status = json::parse(control_request(m.dir() / "ctl", R"({"cmd":"status"})"));
    std::vector<int> pids;
    for (auto& w : status["workers"]) pids.push_back(w["pid"]);
    return pids;
}

// Field `index` (1-based, as in proc(5): 4 ppid, 5 pgrp) of /proc/PID/stat, or -1.
inline long stat_field(int pid, int index) {
    std::string text;
    try {  // a process that exits between open and read makes the read fail (ESRCH), and throw
        std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
        text.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    } catch (const std::exception&) {
        return -1;
    }
    auto close = text.rfind(')');
    if (close == std::string::npos) return -1;
    std::istringstream rest(text.substr(close + 2));
    std::string field;
    for (int i = 3; rest >> field; ++i)
        if (i == index) return std::stol(field);
    return -1;
}

// Live (non-zombie) processes whose process group is `pgid`.
inline std::vector<int> group_members(int pgid) {
    std::vector<int> out;
    for (const auto& e : std::filesystem::directory_iterator("/proc")) {
        std::string name = e.path().filename();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        int pid = std::stoi(name);
        if (stat_field(pid, 5) == pgid && process_alive(pid)) out.push_back(pid);
    }
    return out;
}

}  // namespace cluster_test
