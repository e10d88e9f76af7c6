// fork-cluster's readiness probes (--ready tcp:PORT | http:URL | exec:CMD): for servers
// that never say they are ready (python -m http.server, uvicorn, a plain Node app), the
// master asks them, every kProbeInterval, until one answer comes or --ready-timeout ends.
// On a port the workers share, an answer counts only when the probed worker itself
// accepted the connection (its fd table holds it), so a reload waits for the new one.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libcommon/core/fd.hpp"
#include "libcommon/launch/event_loop.hpp"
#include "libcommon/launch/launcher.hpp"

namespace ptool {

struct ProbeSpec {
    enum class Kind { tcp, http, exec };
    Kind kind = Kind::tcp;
    std::string text;  // as given, for messages
    std::string host = "127.0.0.1";
    uint16_t port = 0;
    std::string path = "/";  // http
    std::string command;     // exec, through /bin/sh -c
};

// "tcp:PORT", "tcp:HOST:PORT", "http://HOST:PORT/PATH" (http:URL), "exec:CMD"; nullopt
// for any other text (message, exec). Throws UsageError on a malformed probe.
std::optional<ProbeSpec> parse_probe(std::string_view text);

inline constexpr std::chrono::milliseconds kProbeInterval{50};

// One worker's probe, from its start until it answered (on_ready) or `timeout` passed
// (on_timeout). Destroyed, it closes its connection and kills its exec child.
class ReadyProbe {
public:
    // `shared_port`: the probe's port is one the master holds for its workers.
    ReadyProbe(EventLoop& loop, const ProbeSpec& spec, pid_t pid, int worker_id, bool shared_port,
               std::chrono::nanoseconds timeout, std::function<void()> on_ready,
               std::function<void()> on_timeout);
    ~ReadyProbe();
    ReadyProbe(const ReadyProbe&) = delete;
    ReadyProbe& operator=(const ReadyProbe&) = delete;

private:
    enum class Step { idle, connecting, accepting, waiting_reply, running };
    void tick();
    void again();
    void close_socket();
    void start_connect();
    void on_socket(uint32_t events);
    void check_accepted();
    void send_request();
    void read_reply();
    void start_exec();
    void answered();

    EventLoop& loop_;
    ProbeSpec spec_;
    pid_t pid_;
    int worker_id_;
    bool shared_port_;
    std::function<void()> on_ready_;
    std::function<void()> on_timeout_;
    Step step_ = Step::idle;
    UniqueFd sock_;
    uint16_t local_port_ = 0;
    std::string reply_;
    Child exec_;
    EventLoop::TimerId tick_timer_ = 0;
    EventLoop::TimerId deadline_ = 0;
    bool done_ = false;
};

// The inode of the accepted end of a loopback TCP connection from `client_port` to
// `server_port` (0: not accepted yet, or no such connection), from /proc/net/tcp{,6}.
unsigned long accepted_socket_inode(uint16_t server_port, uint16_t client_port, bool ipv6);
// Whether process `pid` has the socket `inode` open.
bool process_holds_socket(pid_t pid, unsigned long inode);

}  // namespace ptool
