// ptool spawn [OPTIONS] -- PROGRAM [ARGS...]: run a program, stream its output
// (Node child_process.spawn).
//   --cwd DIR  --env K=V  --unset K  --env-clear  --argv0 NAME  --shell
//   --stdin|--stdout|--stderr inherit|pipe|ignore|file:PATH|append:PATH|fd:N
//   --tag[=TEXT] (default "[PID]")  --timestamps
//   --timeout DUR  --kill-signal SIG  --kill-after DUR  (exit 124 on timeout)
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
#include "libcommon/launch/event_loop.hpp"
#include "libcommon/launch/ipc.hpp"
#include "libcommon/launch/launcher.hpp"
#include "libcommon/launch/relay.hpp"
#include "tools/ptool.hpp"

namespace ptool {

namespace {

struct Options {
    std::vector<std::string> command;
    std::string cwd;
    std::vector<std::pair<std::string, std::string>> env;
    std::vector<std::string> unset;
    bool env_clear = false;
    std::string argv0;
    bool shell = false;
    StdioSpec stdio[3];  // inherit
    bool stdio_given[3] = {false, false, false};
    std::optional<std::string> tag;  // "" when given bare: "[PID]"
    bool timestamps = false;
    std::optional<Duration> timeout;
    int kill_signal = SIGTERM;
    Duration kill_after{};
    bool detached = false;
    std::optional<UserInfo> uid;
    std::optional<gid_t> gid;
    bool ipc = false;
    std::optional<size_t> max_message;
    bool json = false;
    std::string events;
};

constexpr int kChannelFd = 3;  // NODE_CHANNEL_FD in the child

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
    t.list("--unset", "NAME", "remove NAME from the environment (repeatable)", o.unset);
    t.flag("--env-clear", "start from an empty environment", o.env_clear);
    t.string("--argv0", "NAME", "the name the program sees as argv[0]", o.argv0);
    t.flag("--shell", "run the command through /bin/sh -c", o.shell);
    const char* names[3] = {"--stdin", "--stdout", "--stderr"};
    for (int i = 0; i < 3; ++i)
        t.custom(names[i], "MODE", "inherit|pipe|ignore|file:PATH|append:PATH|fd:N",
                 cli::Kind::string,
                 [&o, i](std::string_view mode) { o.stdio[i] = parse_stdio(mode, i); })
            .mark_given(o.stdio_given[i]);
    t.optional_value("--tag", "PREFIX", "prefix relayed lines (default [PID])", o.tag);
    t.flag("--timestamps", "prefix relayed lines with an ISO-8601 time", o.timestamps);
    t.duration("--timeout", "DUR", "signal the program after DUR; exit 124", o.timeout);
    t.signal("--kill-signal", "SIG", "the timeout signal (default TERM)", o.kill_signal);
    t.duration("--kill-after", "DUR", "SIGKILL this long after the timeout signal", o.kill_after);
    t.flag("--detached", "new session; print the pid and exit at once", o.detached);
    t.user("--uid", "USER", "run as USER (name or number)", o.uid);
    t.group("--gid", "GROUP", "run with GROUP (name or number)", o.gid);
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
    if (opts.shell) {
        std::string line;
        for (const auto& word : opts.command) line += (line.empty() ? "" : " ") + word;
        spec.argv = {"/bin/sh", "-c", line};  // Node's shell:true joins with spaces too
    } else {
        spec.argv = opts.command;
    }
    if (!opts.argv0.empty()) spec.argv0 = opts.argv0;
    spec.cwd = opts.cwd;
    spec.cwd_option = "--cwd";
    spec.env_clear = opts.env_clear;
    spec.env_unset = opts.unset;
    spec.env_set = opts.env;
    bool line_mode = opts.tag || opts.timestamps;
    for (int i = 0; i < 3; ++i) {
        spec.stdio[i] = opts.stdio[i];
        // --tag/--timestamps relay what was not explicitly sent elsewhere.
        if (line_mode && i > 0 && !opts.stdio_given[i]) spec.stdio[i] = StdioSpec::pipe();
    }
    // ptool's stdin carries the IPC messages, so the program does not read it too.
    if (opts.ipc && !opts.stdio_given[0]) spec.stdio[0] = StdioSpec::null();
    if (opts.uid) {
        const UserInfo& user = *opts.uid;
        spec.uid = user.uid;
        if (!user.name.empty()) {
            spec.gid = user.gid;
            spec.groups = user_groups(user.name, user.gid);
        }
    }
    if (opts.gid) {
        spec.gid = *opts.gid;
        if (!opts.uid) spec.groups = std::vector<gid_t>{*spec.gid};
    }
    if (opts.detached)
        spec.new_session = true;
    else if (opts.timeout)
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
    if (opts.ipc || opts.timeout)
        throw UsageError("--detached cannot be combined with --ipc or --timeout");
}

// The --json event stream: stderr or --events FILE, one JSON line per event.
class EventLog {
public:
    explicit EventLog(const Options& opts)
        : file_(opts.events.empty() ? UniqueFd()
                                    : open_file(opts.events, O_WRONLY | O_CREAT | O_TRUNC)),
          stream_(file_ ? file_.get() : STDERR_FILENO,
                  opts.json || file_ ? EventForm::json : EventForm::off) {}
    void emit(const Json& event) { stream_.emit(event); }

private:
    UniqueFd file_;
    EventStream stream_;
};

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

// Relays the IPC channel: child messages to stdout as JSON lines, stdin lines to the
// child; at stdin EOF only half-closes (Node drops queued sends once it sees EOF).
// Both directions go through the one parser (parse_json_text) and the one line
// splitter (LineBuffer): a bad or oversized message is dropped with a diagnostic (a
// bad_message event under --json) and the child and ptool go on. Each direction
// reads a bounded amount per loop turn, and stdin waits while the child is not
// taking its messages, so neither side can grow ptool without bound.
class IpcRelay {
public:
    IpcRelay(EventLoop& loop, UniqueFd channel, EventLog& events, bool json, pid_t pid,
             size_t max_message)
        : loop_(loop),
          channel_(std::move(channel)),
          events_(events),
          json_(json),
          pid_(pid),
          lines_(max_message) {
        channel_.set_max_message(max_message);
        loop_.watch_fd(channel_.fd(), EPOLLIN, [this](uint32_t ev) { on_channel(ev); });
        watch_stdin();
    }
    ~IpcRelay() {
        if (stdin_watched_) loop_.unwatch_fd(STDIN_FILENO);
        if (stdin_timer_) loop_.cancel_timer(stdin_timer_);
    }
    IpcRelay(const IpcRelay&) = delete;
    IpcRelay& operator=(const IpcRelay&) = delete;
    // After the child exited: take what it sent before going.
    void drain() {
        while (channel_.is_open() && read_messages()) {
        }
    }

private:
    static constexpr size_t kStdinChunk = 64 * 1024;
    static constexpr size_t kStdinTurn = 4 * kStdinChunk;  // read per loop turn
    // Queued for the child past which stdin is not read until the child catches up.
    size_t backlog_limit() const { return lines_.max() + (1 << 20); }

    // A message dropped: one diagnostic, an event under --json (and in --events).
    void bad_message(Json event, const std::string& text) {
        events_.emit(event);
        if (!json_) report_error(text);
    }

    void on_channel(uint32_t events) {
        if (events & EPOLLOUT) flush();
        if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) read_messages();
    }
    // One budget's worth; true when more may be waiting.
    bool read_messages() {
        std::vector<IpcMessage> messages;
        bool open;
        try {
            open = channel_.read(messages);
        } catch (const SysError&) {
            open = false;
        }
        for (auto& m : messages) {
            std::string text = m.text;  // printed as sent: keys keep their order
            IpcDecoded d = channel_.decode(std::move(m));
            // Valid JSON holds no raw NUL or control byte: the text is safe to relay as is.
            if (d.kind == IpcDecoded::Kind::user)
                write_or_die(STDOUT_FILENO, text + "\n");
            else if (d.kind == IpcDecoded::Kind::handle)  // the fd itself cannot be printed
                write_or_die(STDOUT_FILENO, json_line(d.data));
            else if (d.kind == IpcDecoded::Kind::invalid)
                bad_message({{"event", "bad_message"},
                             {"from", "child"},
                             {"pid", pid_},
                             {"error", d.error}},
                            "ipc: message from the child dropped: " + d.error);
        }
        if (!open) {
            loop_.unwatch_fd(channel_.fd());
            channel_.close();
            if (!stdin_done_) pause_stdin();  // nobody to send to: stdin is left unread
            return false;
        }
        flush();  // ACKs decode() queued
        return channel_.more_to_read();
    }

    void watch_stdin() {
        try {
            loop_.watch_fd(STDIN_FILENO, EPOLLIN, [this](uint32_t) { read_stdin(); });
            stdin_watched_ = true;
        } catch (const SysError& e) {
            if (e.err() == EBADF) {  // no stdin at all: no messages
                on_stdin_eof();
                return;
            }
            if (e.err() != EPERM) throw;
            // A regular file: always readable, so read it a turn at a time from timers.
            stdin_timer_ = loop_.add_timer(std::chrono::nanoseconds(0), [this] {
                stdin_timer_ = 0;
                read_stdin();
            });
        }
    }
    void pause_stdin() {
        if (stdin_watched_) loop_.unwatch_fd(STDIN_FILENO);
        if (stdin_timer_) loop_.cancel_timer(stdin_timer_);
        stdin_watched_ = false;
        stdin_timer_ = 0;
        stdin_paused_ = true;
    }
    void resume_stdin() {
        if (!stdin_paused_ || stdin_done_ || !channel_.is_open()) return;
        stdin_paused_ = false;
        watch_stdin();
    }
    void read_stdin() {
        char buf[kStdinChunk];
        // A watched stdin may be a blocking pipe: one read per readiness. A regular
        // file never blocks: a few reads per turn.
        size_t turn = stdin_watched_ ? sizeof buf : kStdinTurn;
        for (size_t taken = 0; taken < turn;) {
            ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && errno == EAGAIN) return;
            if (n <= 0) {  // EOF (or a read error, taken as the end of the messages)
                if (stdin_watched_) loop_.unwatch_fd(STDIN_FILENO);
                stdin_watched_ = false;
                lines_.finish([this](std::string_view l, uint64_t, size_t d) { on_line(l, d); });
                on_stdin_eof();
                return;
            }
            lines_.feed(std::string_view(buf, static_cast<size_t>(n)),
                        [this](std::string_view l, uint64_t, size_t d) { on_line(l, d); });
            taken += static_cast<size_t>(n);
            if (channel_.is_open() && channel_.queued_bytes() > backlog_limit()) {
                pause_stdin();
                return;
            }
            if (stdin_paused_) return;
        }
        if (!stdin_watched_ && !stdin_paused_)  // a regular file: the next turn
            stdin_timer_ = loop_.add_timer(std::chrono::nanoseconds(0), [this] {
                stdin_timer_ = 0;
                read_stdin();
            });
    }
    void on_line(std::string_view line, size_t dropped) {
        ++line_number_;
        std::string where = "stdin line " + std::to_string(line_number_) + ": ";
        auto drop = [&](const std::string& why) {
            bad_message({{"event", "bad_message"},
                         {"from", "stdin"},
                         {"line", line_number_},
                         {"error", why}},
                        where + why);
        };
        if (dropped > 0) {
            drop(too_large_message(dropped, lines_.max()));
            return;
        }
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.find_first_not_of(" \t") == std::string_view::npos) return;  // not a message
        JsonParse parsed = parse_json_text(line);
        if (!parsed) {
            drop("invalid JSON " + parsed.error);
            return;
        }
        if (channel_.is_open()) channel_.send_text(json_text(*parsed.value));
        flush();
    }
    void on_stdin_eof() {
        stdin_done_ = true;
        flush();
    }
    void flush() {
        if (!channel_.is_open()) return;
        bool done;
        try {
            done = channel_.flush();
        } catch (const SysError&) {  // the child closed its end: nothing more to send
            done = true;
            if (!stdin_done_) pause_stdin();
            stdin_done_ = true;
        }
        if (done && stdin_done_ && !shut_) {
            channel_.shutdown_write();
            shut_ = true;
        }
        if (stdin_paused_ && channel_.queued_bytes() <= backlog_limit() / 2) resume_stdin();
        loop_.modify_fd(channel_.fd(), done ? EPOLLIN : EPOLLIN | EPOLLOUT);
    }

    EventLoop& loop_;
    IpcChannel channel_;
    EventLog& events_;
    bool json_;
    pid_t pid_;
    LineBuffer lines_;
    bool stdin_watched_ = false;
    bool stdin_paused_ = false;
    EventLoop::TimerId stdin_timer_ = 0;
    size_t line_number_ = 0;
    bool stdin_done_ = false;
    bool shut_ = false;
};

int run_spawn(const Options& opts) {
    ChildSpec spec = build_spec(opts);
    check_combinations(opts, spec);
    ChildTimeout timeout;
    if (opts.timeout) timeout.after = *opts.timeout;
    timeout.signal = opts.kill_signal;
    timeout.kill_after = opts.kill_after;
    if (opts.max_message && !opts.ipc) throw UsageError("--max-message needs --ipc");
    size_t max_message = opts.max_message.value_or(kDefaultMaxMessage);
    EventLog events(opts);
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

    auto started = std::chrono::steady_clock::now();
    try {
        child = launch(spec);
    } catch (const LaunchError& e) {
        events.emit({{"event", "error"}, {"error", e.what()}, {"exit_code", e.exit_status()}});
        throw;
    }
    if (ipc) ipc->child.reset();
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
    if (timeout.after.count() > 0)
        arm_child_timeout(loop, child, timeout, [&] { timed_out = true; });
    ExitStatus status;
    loop.watch_child(child, [&](const ExitStatus& st) {
        status = st;
        loop.stop();
    });
    loop.run();
    auto took = std::chrono::steady_clock::now() - started;
    // What the child wrote before it ended is still in the pipes; grandchildren
    // holding them open are not waited for.
    for (auto& r : relays)
        if (r) r->drain();
    if (ipc_relay) ipc_relay->drain();
    for (auto& r : relays)
        if (r) r->finish();
    events.emit(exit_event(child.pid(), status, timed_out, took));
    return timed_out ? exit_code::timed_out : status.shell_status();
}

}  // namespace

const ToolEntry spawn_tool{"spawn", "run a program, stream its output (Node spawn)",
                           tool_main<Options, declare_spawn, run_spawn>};

}  // namespace ptool
