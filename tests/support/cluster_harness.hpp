// The one fork-cluster test harness, for every fork_cluster_* test, ipc_hostile and
// json_schema_outputs: a master (or systemd-socket-activate) in the background with its
// --json events in a file, control-socket requests, loopback TCP and HTTP clients, an
// sd_notify receiver standing in for systemd, and a copy of ptool to upgrade in place.
#pragma once

// What the test files use along with it: signals, waitpid, sockets, files.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "processes.hpp"
#include "test_support.hpp"

namespace cluster_test {

using namespace ptool::test;
using nlohmann::json;
using namespace std::chrono_literals;

// tests/fixtures/cluster/NAME.
std::string fixture(const std::string& name);

// argv in the background: stdin and stdout /dev/null, stderr into DIR/events.jsonl (or
// onto `stderr_fd` when >= 0, and then nothing is read back here). SIGKILLed and reaped
// on destruction unless it was seen to exit.
class Background {
public:
    explicit Background(const std::vector<std::string>& argv,
                        const std::map<std::string, std::string>& extra_env = {},
                        int stderr_fd = -1);
    ~Background();
    Background(const Background&) = delete;
    Background& operator=(const Background&) = delete;

    pid_t pid() const { return pid_; }
    const TempDir& dir() const { return dir_; }
    std::string text() const;  // its stderr so far
    // Each whole stderr line: its JSON object, or {"event":"text","text":LINE}.
    std::vector<json> events() const;
    std::vector<json> events_named(const std::string& name) const;
    // Waits until `count` events named `name` were logged.
    bool wait_events(const std::string& name, size_t count,
                     std::chrono::milliseconds timeout = 20s) const;
    // Waits for a "message" event whose data has `key` equal to `value`.
    bool wait_message(const std::string& key, const json& value,
                      std::chrono::milliseconds timeout = 20s) const;
    // The port of the first "listen" event (waited for), or 0.
    int port() const;
    // Waits for it to exit; returns its status (128+N for a signal) or -1.
    int wait_exit(std::chrono::milliseconds timeout = 20s);
    // SIGTERM, then wait_exit().
    int stop(std::chrono::milliseconds timeout = 20s);

protected:
    Background() = default;
    void start(const std::vector<std::string>& argv, const std::vector<std::string>& env,
               int stderr_fd);

private:
    TempDir dir_;
    std::string events_path_ = dir_ / "events.jsonl";
    pid_t pid_ = -1;
    int status_ = -1;
};

// `BINARY fork-cluster --json ARGS...` in the background (BINARY: the built ptool unless
// given), PTOOL set to the built ptool; an argument "CTL" becomes ctl(), a control
// socket in the master's directory.
class Master : public Background {
public:
    explicit Master(std::vector<std::string> args,
                    const std::map<std::string, std::string>& extra_env = {}, int stderr_fd = -1,
                    const std::string& binary = ptool_bin());
    std::string ctl() const { return dir() / "ctl"; }
};

// A connection to a control socket that gives up reading after `timeout`, or -1.
int connect_control(const std::string& path, std::chrono::seconds timeout = 5s);
// Sends one JSON line to a control socket and returns the reply line: "connect failed"
// when nothing listens, "" when no whole line comes within `timeout`.
std::string control_request(const std::string& path, const std::string& line,
                            std::chrono::seconds timeout = 5s);
// `request` to the master's control socket ("CTL" in its arguments); the reply parsed
// (a discarded value when it is not JSON).
json control_reply(const Master& m, const json& request, std::chrono::seconds timeout = 20s);
// The master's status reply (throws when it is not JSON).
json status_of(const Master& m);
// The workers' pids in the status reply's order.
std::vector<int> worker_pids(const Master& m);

// Index of the first event satisfying `pred` in `events`, or -1.
template <typename Pred>
long index_of(const std::vector<json>& events, Pred pred) {
    for (size_t i = 0; i < events.size(); ++i)
        if (pred(events[i])) return static_cast<long>(i);
    return -1;
}

// A loopback TCP port nothing listens on now (bound to :0, then closed).
int free_port();
// A loopback TCP connection to `port` whose reads give up after `timeout`, or -1.
int connect_loopback(int port, std::chrono::seconds timeout = 5s);
// Writes `request` to a loopback connection to `port` and reads until the peer closes:
// the whole response, or "" when the connection failed.
std::string http_exchange(int port, const std::string& request, std::chrono::seconds timeout = 5s);
// GET PATH (HTTP/1.1, Connection: close): the body of a 200 response, or "ERROR: why".
std::string http_get(int port, const std::string& path = "/", std::chrono::seconds timeout = 5s);
// The body of GET / (HTTP/1.0, reads give up after 20 s), "" on failure.
std::string get_body(int port);
// The pid N in a fixture's reply "pid=N worker=I ...", or "".
std::string pid_of(const std::string& body);

struct HttpReply {
    int status = 0;  // 0: no answer
    std::string body;
};
// curl http://ADDRESS/PATH (ADDRESS as the "http" event names it).
HttpReply curl(const std::string& address, const std::string& path);
// The address of the master's --http endpoint, from its "http" event.
std::string http_address(const Master& m);

// What systemd is to a Type=notify service: a datagram socket at NOTIFY_SOCKET
// ("/path" in the test's directory, or "@abstract"), each datagram parsed into
// KEY=VALUE fields.
class NotifyListener {
public:
    explicit NotifyListener(const std::string& address);
    ~NotifyListener();
    NotifyListener(const NotifyListener&) = delete;
    NotifyListener& operator=(const NotifyListener&) = delete;
    const std::string& address() const { return address_; }
    // Datagrams until one has KEY=VALUE (true), or 20 s without it (false).
    bool wait_for(const std::string& key, const std::string& value);
    std::vector<std::map<std::string, std::string>> messages;

private:
    std::string address_;
    int fd_ = -1;
};

// Requests GET / on `port`, a fresh connection each, until finished; counts the
// answers (HTTP/1.0 200 with "pid=") and the failures.
class LoadLoop {
public:
    explicit LoadLoop(int port);
    ~LoadLoop() { finish(); }
    LoadLoop(const LoadLoop&) = delete;
    LoadLoop& operator=(const LoadLoop&) = delete;
    void finish();
    int ok() const { return ok_; }
    int failed() const { return failed_; }
    // Waits until `more` requests beyond now succeeded.
    bool wait_more(int more) const;

private:
    std::atomic<bool> stop_{false};
    std::atomic<int> ok_{0}, failed_{0};
    std::thread thread_;
};

// A copy of the built ptool at DIR/NAME, for a master to be upgraded in place.
std::string copy_binary(const TempDir& dir, const std::string& name);
// A package upgrade: a fresh copy renamed over the file at `path` in `dir`.
void replace_binary(const TempDir& dir, const std::string& path);
// /proc/PID/exe's target ("... (deleted)" once the file was replaced).
std::string exe_of(pid_t pid);

}  // namespace cluster_test
