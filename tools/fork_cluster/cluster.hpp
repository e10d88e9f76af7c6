// The fork-cluster master (Node's cluster module, pm2 cluster mode, einhorn): N
// workers, direct children, sharing listening sockets the master bound once, each
// with a Node-compatible IPC channel; readiness, restarts with backoff and a crash
// budget, retiring, rolling reload, scaling, message routing and a control socket,
// all on one EventLoop.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libcommon/core/parse.hpp"  // SpelledDuration
#include "libcommon/launch/ipc.hpp"
#include "libcommon/launch/run_as.hpp"
#include "libcommon/supervise/restart_policy.hpp"  // restart_backoff, RestartBudget
#include "tools/fork_cluster/listen.hpp"
#include "tools/fork_cluster/logs.hpp"
#include "tools/fork_cluster/probes.hpp"

namespace ptool {

// The durations are SpelledDuration: messages name them as they were typed.
struct ClusterConfig {
    std::vector<std::string> command;  // PROGRAM ARGS...
    int workers = 1;
    bool workers_given = false;  // -w appeared (--init refuses more than one)
    std::vector<ListenAddress> listen;
    bool reuse_port = false;

    enum class Ready { message, exec, probe };
    Ready ready = Ready::message;
    ProbeSpec probe;  // Ready::probe (probes.hpp)
    SpelledDuration ready_timeout{std::chrono::seconds(5)};

    enum class Restart { always, on_failure, never };
    Restart restart = Restart::on_failure;
    SpelledDuration restart_delay{std::chrono::milliseconds(100)};
    SpelledDuration restart_delay_max{std::chrono::seconds(30)};
    int max_restarts = 10;  // 0: no limit
    SpelledDuration restart_window{std::chrono::seconds(60)};
    SpelledDuration min_uptime{std::chrono::seconds(1)};

    int stop_signal = 15;  // SIGTERM
    SpelledDuration grace{std::chrono::seconds(10)};
    int reload_batch = 1;  // --reload-batch: replacements a reload starts together after the canary
    bool subreaper = false;
    std::string agent;  // shell command, empty: none
    bool json = false;
    std::string control_path;
    size_t max_message = kDefaultMaxMessage;  // per IPC message and control request

    // Under systemd and as init (activation.cpp, systemd.cpp, init.cpp, run_as.cpp).
    bool no_nodelay = false;   // --no-nodelay: no TCP_NODELAY on TCP listening sockets
    bool init = false;         // --init: one worker, never restarted, its exit status is ours
    RunAs run_as;              // --cwd --env --unset --user of workers and the agent
    std::string emit_systemd;  // --emit-systemd NAME: print the units and exit
    // health.cpp, http.cpp
    std::optional<uint64_t> max_rss;  // bytes; a worker over it is retired (replaced first)
    SpelledDuration check_interval{std::chrono::seconds(1)};
    SpelledDuration watchdog{};  // --watchdog: an online worker beats this often, or is hung
    std::string http;            // --http ADDR: /healthz /readyz /metrics; empty: none
    int min_ready = 0;           // /readyz: 0 means every target worker
    LogConfig logs;              // --log, --log-dir, --timestamps, --log-max, --log-keep (logs.hpp)
    bool status_query = false;   // --status: ask the master at control_path (status_cli.cpp)
};

// --status: prints a running master's status (a table on a tty, else its JSON line).
int print_cluster_status(const ClusterConfig& config);

// Runs the master until it is stopped; returns the exit status (0 after a
// graceful shutdown, 1 when the crash budget ran out). Throws Error on setup
// failures (a port in use, a program that cannot be started).
int run_cluster(const ClusterConfig& config);

namespace cli {
class OptionTable;
}
// --no-nodelay --init --cwd --env --unset --user --emit-systemd (systemd_options.cpp).
void declare_systemd_options(cli::OptionTable& t, ClusterConfig& c);

// --init (init.cpp): one worker, restart never, subreaper. Throws UsageError when -w
// asked for more (`workers_given`) or with --agent.
void apply_init_mode(ClusterConfig& config, bool workers_given);
// --emit-systemd NAME (emit_systemd.cpp): prints NAME.socket and NAME.service for this
// command line on stdout; returns the exit status.
int emit_systemd_units(const ClusterConfig& config);
// This process's argv, from the kernel's copy (/proc/self/cmdline): what the units
// run, and what an upgrade executes again (upgrade.cpp).
std::vector<std::string> own_argv();

// The signals the master gives no meaning of its own: every catchable signal but
// TERM INT QUIT (stop), HUP (reload), TTIN TTOU (scale), CHLD, the faults a process
// raises on itself (SEGV BUS FPE ILL TRAP SYS ABRT XCPU XFSZ), PIPE and URG. Each
// is forwarded to every worker's and the agent's process group, as tini does; none
// ends the master. The one list of them (the master's part of libcommon's shared
// forwarding rule).
std::vector<int> cluster_forwarded_signals();

// A stop signal that repeats while the master is stopping forces the stop (SIGKILL
// now, no grace) only when it comes from another sender than the first (si_pid), or
// more than this long after it: `timeout 3 ptool fork-cluster` signals ptool and then
// its process group, one sender a moment apart, which is one request.
inline constexpr std::chrono::seconds kForceStopInterval{1};

// The fd a child's IPC channel gets (NODE_CHANNEL_FD), unless the listening sockets
// reach it: far above the fds a program opens for itself at start, so that a
// descendant that inherits NODE_CHANNEL_FD but not the fd (Python's subprocess closes
// it) finds it closed -- which Node ignores -- rather than reused by its own epoll fd,
// which makes Node abort.
inline constexpr int kClusterChannelFd = 100;

// The argv of `command` when it is a plain list of words (quotes and backslashes as in
// sh, an initial "exec" dropped), so it can be executed directly; nullopt when it uses
// shell syntax (operators, redirections, $, `, globs, ...) and needs /bin/sh -c.
std::optional<std::vector<std::string>> split_simple_command(std::string_view command);

// A message route: master, all, workers, agent, random, worker:ID, pid:PID.
struct RouteTarget {
    enum class Kind { master, all, workers, agent, random, worker_id, pid };
    Kind kind = Kind::master;
    long long number = 0;  // worker_id / pid
};
// nullopt when `text` names no target.
std::optional<RouteTarget> parse_route_target(std::string_view text);

}  // namespace ptool
