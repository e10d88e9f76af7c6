// ptool fork-cluster [OPTIONS] -- PROGRAM [ARGS...]: supervise N workers sharing
// listening sockets (Node cluster, pm2 cluster mode, systemd socket activation).
//   -w, --workers N|auto     --listen ADDR (repeatable)   --reuseport
//   --ready message|exec     --ready-timeout DUR (5s)
//   --restart always|on-failure|never   --restart-delay DUR (100ms, doubling to 30s)
//   --max-restarts N (10, 0 = no limit) within --restart-window DUR (60s)
//   --min-uptime DUR (1s)    --stop-signal SIG (TERM)   --grace DUR (10s)   --reload-batch N (1)
//   --subreaper   --agent 'COMMAND'   --json   --control PATH
// Signals: TERM/INT/QUIT graceful stop, HUP rolling reload, TTIN/TTOU one worker more/fewer,
// USR2 upgrade of the master in place (upgrade.cpp);
// every other catchable signal is forwarded to the workers and the agent.
#include <sched.h>
#include <unistd.h>

#include <climits>
#include <memory>
#include <optional>
#include <thread>

#include "libcommon/core/error.hpp"
#include "libcommon/core/parse.hpp"
#include "libcommon/launch/ipc.hpp"
#include "tools/fork_cluster/cluster.hpp"
#include "tools/ptool/ptool.hpp"

namespace ptool {

namespace {

int available_cpus() {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
    return std::max(1u, std::thread::hardware_concurrency());
}

int parse_workers(std::string_view text) {
    if (text == "auto") return available_cpus();
    auto n = parse_int(text);
    if (!n || *n < 1 || *n > 4096)
        throw UsageError("expected 1..4096 or auto, got '" + std::string(text) + "'");
    return static_cast<int>(*n);
}

void parse_ready(std::string_view text, ClusterConfig& c) {
    using Ready = ClusterConfig::Ready;
    if (text == "message") {
        c.ready = Ready::message;
    } else if (text == "exec") {
        c.ready = Ready::exec;
    } else if (auto probe = parse_probe(text)) {
        c.ready = Ready::probe;
        c.probe = *probe;
    } else {
        throw UsageError(
            "expected message, exec, tcp:PORT, http://HOST:PORT/PATH or exec:CMD, "
            "got '" +
            std::string(text) + "'");
    }
}

// The options fill the ClusterConfig itself: run_cluster takes them as they are.
void declare_fork_cluster(cli::OptionTable& t, ClusterConfig& c) {
    using Restart = ClusterConfig::Restart;
    t.custom("-w,--workers", "N", "number of workers, or auto (CPUs available)", cli::Kind::integer,
             [&c](std::string_view text) {
                 c.workers = parse_workers(text);
                 c.workers_given = true;
             });
    t.custom("--listen", "ADDR",
             "bind ADDR once and pass it to every worker (HOST:PORT, [::1]:PORT, :PORT, "
             "unix:PATH, udp://HOST:PORT; NAME=ADDR names it)",
             cli::Kind::string,
             [&c](std::string_view text) { c.listen.push_back(parse_listen_address(text)); })
        .repeat();
    t.flag("--reuseport", "one SO_REUSEPORT socket per worker", c.reuse_port);
    t.custom("--ready", "HOW",
             "readiness: message ({\"cmd\":\"online\"} or READY=1), exec, or a probe: "
             "tcp:[HOST:]PORT, http://HOST:PORT/PATH, exec:CMD",
             cli::Kind::string, [&c](std::string_view text) { parse_ready(text, c); });
    t.duration("--ready-timeout", "DUR",
               "take a silent worker as ready after DUR; with a probe, restart it (5s)",
               c.ready_timeout);
    t.choice<Restart>("--restart", "WHEN", "always|on-failure|never (on-failure)", c.restart,
                      {{"always", Restart::always},
                       {"on-failure", Restart::on_failure},
                       {"never", Restart::never}});
    t.duration("--restart-delay", "DUR", "first restart delay, doubling up to 30s (100ms)",
               c.restart_delay);
    t.integer("--max-restarts", "N",
              "stop everything past N restarts in the window (10; 0: no limit)", c.max_restarts, 0,
              INT_MAX);
    t.duration("--restart-window", "DUR", "the window for --max-restarts (60s)", c.restart_window);
    t.duration("--min-uptime", "DUR", "a worker up this long resets its backoff (1s)",
               c.min_uptime);
    t.signal("--stop-signal", "SIG", "signal for a graceful stop (TERM)", c.stop_signal);
    t.duration("--grace", "DUR", "time a stopping worker gets before SIGKILL (10s)", c.grace);
    t.integer("--reload-batch", "N",
              "after the first replacement of a reload is ready, replace N workers at a time (1)",
              c.reload_batch, 1, 4096);
    t.flag("--subreaper", "reap orphaned descendants (automatic as PID 1)", c.subreaper);
    t.string("--agent", "COMMAND",
             "run COMMAND as a singleton agent beside the workers (directly when it is "
             "plain words, else through sh -c)",
             c.agent);
    t.flag("--json", "events as JSON lines on stderr", c.json);
    t.path("--control", "PATH", "serve JSON-line requests on the Unix socket PATH", c.control_path);
    t.custom("--max-message", "SIZE",
             "drop IPC messages and control requests larger than SIZE (4MiB)", cli::Kind::size,
             [&c](std::string_view text) { c.max_message = parse_message_limit(text); });
    declare_systemd_options(t, c);
    t.size("--max-rss", "SIZE",
           "retire a worker whose RSS passes SIZE: its replacement first, then it drains",
           c.max_rss);
    t.duration("--check-interval", "DUR", "how often --max-rss is checked (1s)", c.check_interval);
    t.string("--http", "ADDR",
             "serve /healthz, /readyz and /metrics on [HOST:]PORT (host 127.0.0.1 unless given)",
             c.http);
    t.integer("--min-ready", "N", "/readyz answers 200 from N online workers (all of them)",
              c.min_ready, 0, 4096);
    t.path("--log", "FILE",
           "workers' stdout and stderr through the master, lines tagged [worker N], to FILE "
           "(- for stderr)",
           c.logs.file);
    t.path("--log-dir", "DIR",
           "as --log, one DIR/worker-N.log per worker, master.log for the master", c.logs.dir);
    t.flag("--timestamps", "an ISO-8601 UTC time (ms) on log lines and human event lines",
           c.logs.timestamps);
    t.size("--log-max", "SIZE", "rotate a log file past SIZE (FILE.1 ... FILE.N)", c.logs.max_size);
    t.integer("--log-keep", "N", "rotated files kept (5)", c.logs.keep, 0, 1000);
    t.duration("--watchdog", "DUR",
               "restart an online worker that sends no WATCHDOG=1 or {\"cmd\":\"ptool:heartbeat\"} "
               "for DUR",
               c.watchdog);
    t.flag("--status", "print the status of the master at --control PATH and exit", c.status_query);
    t.positional("command", "PROGRAM [ARGS...]", c.command);
    t.positionals_at_end();
}

}  // namespace

const ToolEntry fork_cluster_tool{"fork-cluster",
                                  "supervise N workers sharing listening sockets (Node cluster)",
                                  tool_main<ClusterConfig, declare_fork_cluster, run_cluster>};

}  // namespace ptool
