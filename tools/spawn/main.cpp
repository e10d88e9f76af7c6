// ptool spawn [OPTIONS] -- PROGRAM [ARGS...]: run a program, stream its output
// (Node child_process.spawn).
//   --cwd DIR  --env K=V  --unset K  --env-clear  --argv0 NAME  --shell[=PATH]
//   --stdin|--stdout|--stderr inherit|pipe|ignore|file:PATH|append:PATH|fd:N
//   --tag[=TEXT] (default "[PID]")  --timestamps
//   --timeout DUR  --kill-signal SIG  --kill-after DUR  (exit 124 on timeout)
//   --kill-tree  --preserve-status  --foreground  -v
//   --detached  --uid USER  --gid GROUP  --ipc  --max-message SIZE  --json  --events FILE
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <optional>

#include "libcommon/core/error.hpp"
#include "libcommon/core/events.hpp"
#include "libcommon/core/fd.hpp"
#include "libcommon/core/json.hpp"
#include "libcommon/core/json_text.hpp"
#include "libcommon/core/output.hpp"
#include "libcommon/core/parse.hpp"
#include "libcommon/launch/child_stop.hpp"
#include "libcommon/launch/error_json.hpp"
#include "libcommon/launch/event_loop.hpp"
#include "libcommon/launch/ipc.hpp"
#include "libcommon/launch/launcher.hpp"
#include "libcommon/launch/relay.hpp"
#include "tools/ptool/ptool.hpp"
#include "tools/spawn/ipc_relay.hpp"
#include "tools/spawn/launch_options.hpp"

namespace ptool {

namespace {

struct Options {
    std::vector<std::string> command;
    std::string cwd;
    std::vector<std::pair<std::string, std::string>> env;
    bool env_clear = false;
    LaunchOptions launch;
    StdioSpec stdio[3];  // inherit
    bool stdio_given[3] = {false, false, false};
    std::optional<std::string> tag;  // "" when given bare: "[PID]"
    bool timestamps = false;
    std::optional<Duration> timeout;
    int kill_signal = SIGTERM;
    Duration kill_after{};
    TimeoutParity parity;
    bool detached = false;
    bool ipc = false;
    std::optional<size_t> max_message;
    bool json = false;
    std::string events;
};

constexpr int kChannelFd = 3;  // NODE_CHANNEL_FD in the child
// With --kill-tree and no --kill-after: how long what the program left behind gets
// between the kill signal and SIGKILL.
constexpr auto kTreeGrace = std::chrono::seconds(5);

int run_spawn(const Options& opts);

}  // namespace

namespace {

StdioSpec parse_stdio(std::string_view mode, int index) {
    if (mode == "inherit") return StdioSpec::inherit();
    if (mode == "pipe") return StdioSpec::pipe();
    if (mode == "ignore") return StdioSpec::null();
    if (mode.starts_with("file:") && mode.size() > 5)
        return StdioSpec::file(std::string(mode.substr(5)),
                               index == 0 ? O_RDONLY : O_WRONLY | O_CREAT | O_TRUNC);
    if (mode.starts_with("append:") && mode.size() > 7)
        return StdioSpec::file(std::string(mode.substr(7)),
                               index == 0 ? O_RDONLY : O_WRONLY | O_CREAT | O_APPEND);
    if (mode.starts_with("fd:"))
        if (auto fd = parse_int(mode.substr(3)); fd && *fd >= 0 && *fd < (1 << 20))
            return StdioSpec::from_fd(static_cast<int>(*fd));
    throw UsageError("expected inherit, pipe, ignore, file:PATH, append:PATH or fd:N, got '" +
                     std::string(mode) + "'");
}

void declare_spawn(cli::OptionTable& t, Options& o) {
    t.path("--cwd", "DIR", "run the program in DIR", o.cwd);
    t.assignments("--env", "K=V", "set K=V in the program's environment (repeatable)", o.env);
    t.flag("--env-clear", "start from an empty environment", o.env_clear);
    declare_launch_options(t, o.launch, "run the command through /bin/sh -c (or PATH -c)");
    const char* names[3] = {"--stdin", "--stdout", "--stderr"};
    for (int i = 0; i < 3; ++i)
        t.custom(names[i], "MODE", "inherit|pipe|ignore|file:PATH|append:PATH|fd:N",
                 cli::Kind::string,
                 [&o, i](std::string_view mode) { o.stdio[i] = parse_stdio(mode, i); })
            .mark_given(o.stdio_given[i]);
    t.optional_value("--tag", "PREFIX", "prefix relayed lines (default [PID])", o.tag);
    t.flag("--timestamps", "prefix relayed lines with an ISO-8601 time", o.timestamps);
    t.duration("--timeout", "DUR", "signal the program after DUR; exit 124", o.timeout);
    declare_kill_signal(t, "the timeout signal (default TERM; 0: none)", o.kill_signal);
    t.duration("--kill-after", "DUR", "SIGKILL this long after the timeout signal", o.kill_after);
    declare_timeout_parity(t, o.parity);
    t.flag("--detached", "new session; print the pid and exit at once", o.detached);
    t.flag("--ipc", "give the program a Node IPC channel (JSON lines on stdio)", o.ipc);
    t.custom("--max-message", "SIZE", "with --ipc: drop messages larger than SIZE (default 4MiB)",
             cli::Kind::size,
             [&o](std::string_view text) { o.max_message = parse_message_limit(text); });
    t.flag("--json", "lifecycle events as JSON lines on stderr", o.json);
    t.path("--events", "FILE", "write the --json events to FILE instead", o.events);
    t.positional("command", "PROGRAM [ARGS...]", o.command).require();
    t.positionals_at_end();
}

ChildSpec build_spec(const Options& opts) {
    ChildSpec spec;
    if (opts.launch.shell) {
        std::string line;
        for (const auto& word : opts.command) line += (line.empty() ? "" : " ") + word;
        spec.argv = shell_argv(opts.launch, line);  // Node's shell:true joins with spaces too
    } else {
        spec.argv = opts.command;
    }
    apply_launch_options(opts.launch, spec);
    spec.cwd = opts.cwd;
    spec.cwd_option = "--cwd";
    spec.env_clear = opts.env_clear;
    spec.env_set = opts.env;
    bool line_mode = opts.tag || opts.timestamps;
    for (int i = 0; i < 3; ++i) {
        spec.stdio[i] = opts.stdio[i];
        // --tag/--timestamps relay what was not explicitly sent elsewhere.
        if (line_mode && i > 0 && !opts.stdio_given[i]) spec.stdio[i] = StdioSpec::pipe();
    }
    // ptool's stdin carries the IPC messages, so the program does not read it too.
    if (opts.ipc && !opts.stdio_given[0]) spec.stdio[0] = StdioSpec::null();
    if (opts.detached)
        spec.new_session = true;
    else if (opts.timeout && !opts.parity.foreground)
        spec.new_process_group = true;  // as timeout(1)
    return spec;
}

void check_combinations(const Options& opts, const ChildSpec& spec) {
    if (opts.ipc && spec.stdio[0].kind == StdioSpec::Kind::pipe)
        throw UsageError("--ipc reads ptool's stdin for messages; --stdin pipe cannot share it");
    if (!opts.detached) return;
    for (const auto& s : spec.stdio)
        if (s.kind == StdioSpec::Kind::pipe)
            throw UsageError("--detached cannot relay pipes (ptool exits at once)");
    if (opts.ipc || opts.timeout || opts.parity.kill_tree)
        throw UsageError("--detached cannot be combined with --ipc, --timeout or --kill-tree");
}

Json exit_event(pid_t pid, const ExitStatus& st, bool timed_out,
                std::chrono::steady_clock::duration took) {
    return {{"event", "exit"},
            {"pid", pid},
            {"code", st.exited() ? Json(st.code()) : Json(nullptr)},
            {"signal", st.exited() ? Json(nullptr) : Json(signal_name(st.signal()))},
            {"timed_out", timed_out},
            {"duration_ms", std::chrono::duration_cast<std::chrono::milliseconds>(took).count()},
            {"user_ms", st.user_time().count()},
            {"sys_ms", st.system_time().count()},
            {"max_rss_kb", st.max_rss_kb()}};
}

int run_spawn(const Options& opts) {
    ChildSpec spec = build_spec(opts);
    check_combinations(opts, spec);
    if (opts.max_message && !opts.ipc) throw UsageError("--max-message needs --ipc");
    size_t max_message = opts.max_message.value_or(kDefaultMaxMessage);
    EventLog events(opts.events, opts.json);
    std::optional<IpcPair> ipc;
    if (opts.ipc) {
        ipc = make_ipc_pair();
        spec.extra_fds.push_back({ipc->child.get(), kChannelFd});
        for (const auto& entry : ipc_child_env(kChannelFd))
            spec.env_set.push_back(parse_env_assignment(entry));
    }

    // Signals are watched (blocked) before the child exists: none can slip in between.
    EventLoop loop;
    Child child;
    forward_signals(loop, child);
    KillTree tree(loop, opts.parity.kill_tree);

    auto started = std::chrono::steady_clock::now();
    try {
        child = launch(spec);
    } catch (const LaunchError& e) {
        events.emit({{"event", "error"}, {"error", error_object(e)}, {"code", e.exit_status()}});
        throw;
    }
    if (ipc) ipc->child.reset();
    tree.watch(child);
    events.emit({{"event", "spawn"}, {"pid", child.pid()}});
    if (opts.detached) {
        write_or_die(STDOUT_FILENO, std::to_string(child.release()) + "\n");
        return exit_code::ok;
    }

    std::string tag;
    if (opts.tag) tag = opts.tag->empty() ? "[" + std::to_string(child.pid()) + "]" : *opts.tag;
    LinePrefix prefix{tag, opts.timestamps};
    std::optional<OutputRelay> relays[3];
    for (int i = 1; i <= 2; ++i)
        if (child.stdio[i]) relays[i].emplace(loop, std::move(child.stdio[i]), i, prefix);
    std::optional<InputRelay> input;
    if (child.stdio[0]) input.emplace(loop, STDIN_FILENO, std::move(child.stdio[0]));
    std::optional<IpcRelay> ipc_relay;
    if (ipc)
        ipc_relay.emplace(loop, std::move(ipc->parent), events, opts.json, child.pid(),
                          max_message);

    bool timed_out = false;
    StopPlan plan;
    plan.signal = opts.kill_signal;
    plan.kill_after = opts.kill_after;
    plan.whole_tree = opts.parity.kill_tree;
    plan.on_signal = signal_reporter(opts.parity.verbose, opts.command[0]);
    if (opts.timeout && opts.timeout->count() > 0)
        loop.add_timer(*opts.timeout, [&] {
            if (!child.running()) return;
            timed_out = true;
            stop_child(loop, child, plan);
        });
    ExitStatus status;
    loop.watch_child(child, [&](const ExitStatus& st) {
        status = st;
        loop.stop();
    });
    loop.run();
    auto took = std::chrono::steady_clock::now() - started;
    // What the program left behind gets the kill signal, SIGKILL after the grace.
    tree.sweep(opts.kill_signal ? opts.kill_signal : SIGTERM,
               opts.kill_after.count() > 0 ? opts.kill_after : kTreeGrace);
    // What the child wrote before it ended is still in the pipes; grandchildren
    // holding them open are not waited for.
    for (auto& r : relays)
        if (r) r->drain();
    if (ipc_relay) ipc_relay->drain();
    for (auto& r : relays)
        if (r) r->finish();
    events.emit(exit_event(child.pid(), status, timed_out, took));
    return timeout_status(opts.parity, timed_out, status);
}

}  // namespace

const ToolEntry spawn_tool{"spawn", "run a program, stream its output (Node spawn)",
                           tool_main<Options, declare_spawn, run_spawn>};

}  // namespace ptool
