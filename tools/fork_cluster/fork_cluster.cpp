// ptool fork-cluster [OPTIONS] -- PROGRAM [ARGS...]: supervise N workers sharing
// listening sockets (Node cluster, pm2 cluster mode, systemd socket activation).
//   -w, --workers N|auto     --listen ADDR (repeatable)   --reuseport
//   --ready message|exec     --ready-timeout DUR (5s)
//   --restart always|on-failure|never   --restart-delay DUR (100ms, doubling to 30s)
//   --max-restarts N (10, 0 = no limit) within --restart-window DUR (60s)
//   --min-uptime DUR (1s)    --stop-signal SIG (TERM)   --grace DUR (10s)
//   --subreaper   --agent 'COMMAND'   --json   --control PATH
// Signals: TERM/INT/QUIT graceful stop, HUP rolling reload, TTIN/TTOU one worker more/fewer;
// every other catchable signal is forwarded to the workers and the agent.
#include <sched.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <memory>
#include <optional>
#include <thread>

#include "libcommon/core/error.hpp"
#include "libcommon/core/parse.hpp"
#include "libcommon/launch/ipc.hpp"
#include "tools/fork_cluster/cluster.hpp"
#include "tools/ptool.hpp"

namespace ptool {

namespace {

struct Options {
    std::vector<std::string> command;
    std::string workers = "1";
    std::vector<std::string> listen;
    bool reuse_port = false;
    std::string ready = "message";
    std::string ready_timeout = "5s";
    std::string restart = "on-failure";
    std::string restart_delay = "100ms";
    int max_restarts = 10;
    std::string restart_window = "60s";
    std::string min_uptime = "1s";
    std::string stop_signal = "TERM";
    std::string grace = "10s";
    bool subreaper = false;
    std::string agent;
    bool json = false;
    std::string control;
    std::optional<std::string> max_message;
};

int run_fork_cluster(const Options& opts);

}  // namespace

ToolRunner setup_fork_cluster(CLI::App& app) {
    auto opts = std::make_shared<Options>();
    app.add_option("-w,--workers", opts->workers, "number of workers, or auto (CPUs available)");
    app.add_option("--listen", opts->listen,
                   "bind ADDR once and pass it to every worker (HOST:PORT, [::1]:PORT, :PORT, "
                   "unix:PATH, udp://HOST:PORT; NAME=ADDR names it)");
    app.add_flag("--reuseport", opts->reuse_port, "one SO_REUSEPORT socket per worker");
    app.add_option("--ready", opts->ready,
                   "readiness: message ({\"cmd\":\"online\"} or READY=1) or exec");
    app.add_option("--ready-timeout", opts->ready_timeout,
                   "take a silent worker as ready after DUR (5s)");
    app.add_option("--restart", opts->restart, "always|on-failure|never (on-failure)");
    app.add_option("--restart-delay", opts->restart_delay,
                   "first restart delay, doubling up to 30s (100ms)");
    app.add_option("--max-restarts", opts->max_restarts,
                   "stop everything past N restarts in the window (10; 0: no limit)");
    app.add_option("--restart-window", opts->restart_window, "the window for --max-restarts (60s)");
    app.add_option("--min-uptime", opts->min_uptime,
                   "a worker up this long resets its backoff (1s)");
    app.add_option("--stop-signal", opts->stop_signal, "signal for a graceful stop (TERM)");
    app.add_option("--grace", opts->grace, "time a stopping worker gets before SIGKILL (10s)");
    app.add_flag("--subreaper", opts->subreaper, "reap orphaned descendants (automatic as PID 1)");
    app.add_option("--agent", opts->agent,
                   "run COMMAND as a singleton agent beside the workers (directly when it is "
                   "plain words, else through sh -c)");
    app.add_flag("--json", opts->json, "events as JSON lines on stderr");
    app.add_option("--control", opts->control, "serve JSON-line requests on the Unix socket PATH");
    app.add_option("--max-message", opts->max_message,
                   "drop IPC messages and control requests larger than SIZE (4MiB)");
    app.add_option("command", opts->command, "PROGRAM [ARGS...]")->required()->expected(-1);
    app.positionals_at_end();
    return [opts] { return run_fork_cluster(*opts); };
}

namespace {

int available_cpus() {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
    return std::max(1u, std::thread::hardware_concurrency());
}

int parse_workers(const std::string& text) {
    if (text == "auto") return available_cpus();
    auto n = parse_int(text);
    if (!n || *n < 1 || *n > 4096)
        throw UsageError("--workers: expected 1..4096 or auto, got '" + text + "'");
    return static_cast<int>(*n);
}

ClusterConfig::Restart parse_restart(const std::string& text) {
    if (text == "always") return ClusterConfig::Restart::always;
    if (text == "on-failure") return ClusterConfig::Restart::on_failure;
    if (text == "never") return ClusterConfig::Restart::never;
    throw UsageError("--restart: expected always, on-failure or never, got '" + text + "'");
}

int run_fork_cluster(const Options& opts) {
    ClusterConfig config;
    config.command = opts.command;
    config.workers = parse_workers(opts.workers);
    for (const auto& text : opts.listen) config.listen.push_back(parse_listen_address(text));
    config.reuse_port = opts.reuse_port;
    if (opts.ready == "message")
        config.ready = ClusterConfig::Ready::message;
    else if (opts.ready == "exec")
        config.ready = ClusterConfig::Ready::exec;
    else
        throw UsageError("--ready: expected message or exec, got '" + opts.ready + "'");
    config.ready_timeout = parse_duration(opts.ready_timeout);
    config.restart = parse_restart(opts.restart);
    config.restart_delay = parse_duration(opts.restart_delay);
    if (opts.max_restarts < 0) throw UsageError("--max-restarts: must be 0 or more");
    config.max_restarts = opts.max_restarts;
    config.restart_window = parse_duration(opts.restart_window);
    config.min_uptime = parse_duration(opts.min_uptime);
    config.stop_signal = parse_signal(opts.stop_signal);
    config.grace = parse_duration(opts.grace);
    config.subreaper = opts.subreaper;
    config.agent = opts.agent;
    config.json = opts.json;
    config.control_path = opts.control;
    if (opts.max_message) config.max_message = parse_message_limit(*opts.max_message);
    return run_cluster(config);
}

}  // namespace

}  // namespace ptool
