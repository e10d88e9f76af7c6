// ptool exec [OPTIONS] 'SHELL COMMAND' | --file PROGRAM [ARGS...]: run a command and
// capture its output (Node child_process.exec / execFile).
//   --max-buffer SIZE (each stream, default 1M)  --timeout DUR  --kill-signal SIG
//   --kill-after DUR (default 5s)  --kill-tree  --preserve-status  --foreground  -v
//   --cwd DIR  --env K=V  --env-clear  --unset K  --argv0 NAME  --shell=PATH
//   --uid USER  --gid GROUP  --input TEXT  --input-file F
//   --all  --json  --encoding utf8|hex|base64
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <optional>
#include <utility>

#include "libcommon/bytes/buffer_strings.hpp"
#include "libcommon/bytes/formats.hpp"
#include "libcommon/core/error.hpp"
#include "libcommon/core/fd.hpp"
#include "libcommon/core/json.hpp"
#include "libcommon/core/output.hpp"
#include "libcommon/core/parse.hpp"
#include "libcommon/launch/child_stop.hpp"
#include "libcommon/launch/error_json.hpp"
#include "libcommon/launch/event_loop.hpp"
#include "libcommon/launch/launcher.hpp"
#include "libcommon/launch/relay.hpp"
#include "tools/ptool/ptool.hpp"
#include "tools/spawn/launch_options.hpp"

namespace ptool {

namespace {

struct Options {
    std::vector<std::string> command;
    bool file = false;
    uint64_t max_buffer = 1 << 20;
    std::optional<Duration> timeout;
    std::string timeout_text;  // as given, for the "timed out after" message
    int kill_signal = SIGTERM;
    std::optional<Duration> kill_after;
    TimeoutParity parity;
    std::string cwd;
    std::vector<std::pair<std::string, std::string>> env;
    bool env_clear = false;
    LaunchOptions launch;
    std::optional<std::string> input;
    std::string input_file;
    bool all = false;
    bool json = false;
    std::string encoding = "utf8";
};

// Pipes as large as an unprivileged process may make them (the default
// /proc/sys/fs/pipe-max-size): fewer wakeups and copies for big outputs.
constexpr int kPipeSize = 1 << 20;
// How long a command killed for --timeout or --max-buffer gets before SIGKILL: exec
// never waits forever on a command that ignores the kill signal.
constexpr auto kDefaultKillAfter = std::chrono::seconds(5);

int run_exec(const Options& opts);

}  // namespace

namespace {

struct Result {
    std::string command;
    std::optional<ExitStatus> status;
    std::string_view out;
    std::string_view err;
    std::optional<std::string> all;  // --all
    bool timed_out = false;
    const char* overflowed = nullptr;  // "stdout" / "stderr"
    pid_t pid = 0;                     // 0: never started
    long long duration_ms = 0;
    std::string error;  // empty: none
    int error_errno = 0;
};

void declare_exec(cli::OptionTable& t, Options& o) {
    t.flag("--file", "run PROGRAM with ARGS directly, no shell (execFile)", o.file);
    t.size("--max-buffer", "SIZE",
           "largest output kept per stream; past it the command is killed (default 1M)",
           o.max_buffer);
    t.duration("--timeout", "DUR", "kill the command after DUR; exit 124", o.timeout)
        .keep_text(o.timeout_text);
    declare_kill_signal(t, "signal for timeout and max-buffer (TERM; 0: none)", o.kill_signal);
    t.duration("--kill-after", "DUR", "SIGKILL this long after the kill signal (default 5s)",
               o.kill_after);
    declare_timeout_parity(t, o.parity);
    t.path("--cwd", "DIR", "run the command in DIR", o.cwd);
    t.assignments("--env", "K=V", "set K=V in the environment (repeatable)", o.env);
    t.flag("--env-clear", "start from an empty environment", o.env_clear);
    declare_launch_options(t, o.launch, "the shell that runs the command (default /bin/sh)");
    t.string("--input", "DATA", "the command's stdin (default /dev/null)", o.input);
    t.path("--input-file", "FILE", "read the command's stdin from FILE", o.input_file);
    t.flag("--all", "stdout and stderr interleaved in arrival order, as one stream", o.all);
    t.flag("--json", "print one JSON object with the result", o.json);
    // Any case and Node's aliases (UTF-8, HEX), as bufdump's formats: one lookup.
    t.custom(
         "--encoding", "ENC", "stdout/stderr in --json: utf8, hex or base64", cli::Kind::choice,
         [&o](std::string_view text) {
             const ByteFormat* f = find_byte_format(text);
             if (!f || (f->name != "utf8" && f->name != "hex" && f->name != "base64"))
                 throw UsageError("expected utf8, hex or base64, got '" + std::string(text) + "'");
             o.encoding = std::string(f->name);
         })
        .complete_words("utf8, hex, base64");
    t.positional("command", "'SHELL COMMAND', or PROGRAM [ARGS...] with --file", o.command)
        .require();
    t.positionals_at_end();
}

ChildSpec build_spec(const Options& opts, int input_fd) {
    ChildSpec spec;
    if (opts.file) {
        if (opts.launch.shell) throw UsageError("--shell cannot be combined with --file");
        spec.argv = opts.command;
    } else {
        if (opts.command.size() != 1)
            throw UsageError("expected one 'SHELL COMMAND' argument (quote it, or use --file)");
        spec.argv = shell_argv(opts.launch, opts.command[0]);
    }
    apply_launch_options(opts.launch, spec);
    spec.cwd = opts.cwd;
    spec.cwd_option = "--cwd";
    spec.env_clear = opts.env_clear;
    spec.env_set = opts.env;
    if (opts.input && !opts.input_file.empty())
        throw UsageError("--input and --input-file cannot be combined");
    if (opts.input)
        spec.stdio[0] = StdioSpec::from_fd(input_fd);
    else if (!opts.input_file.empty())
        spec.stdio[0] = StdioSpec::file(opts.input_file, O_RDONLY);
    else
        spec.stdio[0] = StdioSpec::null();
    spec.stdio[1] = StdioSpec::pipe();
    spec.stdio[2] = StdioSpec::pipe();
    spec.pipe_size = kPipeSize;
    // Its own process group, so that forwarded signals, the timeout and --max-buffer
    // reach the shell's children too (as timeout(1)); its stdin is never the terminal.
    // --foreground: ptool's group, and the command alone is signalled.
    spec.new_process_group = !opts.parity.foreground;
    return spec;
}

UniqueFd memory_file(std::string_view text) {
    UniqueFd fd(::memfd_create("ptool-exec-input", MFD_CLOEXEC));
    if (!fd) throw SysError("memfd_create", errno);
    if (write_full(fd.get(), text) < 0) throw SysError("--input", errno);
    if (::lseek(fd.get(), 0, SEEK_SET) < 0) throw SysError("lseek", errno);
    return fd;
}

std::string command_text(const Options& opts) {
    std::string text;
    for (const auto& word : opts.command) text += (text.empty() ? "" : " ") + word;
    return text;  // Node's error.cmd: file and args joined by spaces
}

std::string encode(std::string_view bytes, const std::string& encoding) {
    if (encoding == "hex") return hex_encode(bytes);
    if (encoding == "base64") return base64_encode(bytes);
    return utf8_lossy(bytes);
}

int exit_status_of(const Result& r, const TimeoutParity& parity) {
    if (r.overflowed && !r.timed_out) return exit_code::failure;
    return timeout_status(parity, r.timed_out, *r.status);
}

void print_json(const Result& r, const std::string& encoding) {
    Json out;
    out["command"] = r.command;
    out["pid"] = r.pid > 0 ? Json(r.pid) : Json(nullptr);
    bool signalled = r.status && !r.status->exited();
    out["code"] = r.status && !signalled ? Json(r.status->code()) : Json(nullptr);
    out["signal"] = signalled ? Json(signal_name(r.status->signal())) : Json(nullptr);
    out["stdout"] = encode(r.out, encoding);
    out["stderr"] = encode(r.err, encoding);
    if (r.all) out["all"] = encode(*r.all, encoding);
    out["timed_out"] = r.timed_out;
    out["max_buffer_exceeded"] = r.overflowed != nullptr;
    out["duration_ms"] = r.duration_ms;
    bool ran = r.pid > 0;
    out["user_ms"] = ran ? Json(r.status->user_time().count()) : Json(nullptr);
    out["sys_ms"] = ran ? Json(r.status->system_time().count()) : Json(nullptr);
    out["max_rss_kb"] = ran ? Json(r.status->max_rss_kb()) : Json(nullptr);
    out["error"] = r.error.empty() ? Json(nullptr) : error_object(r.error, r.error_errno);
    write_or_die(STDOUT_FILENO, json_line(out));
}

int run_exec(const Options& opts) {
    // --input TEXT reaches the child as a file in memory: no pipe to feed, no deadlock.
    UniqueFd input;
    if (opts.input) input = memory_file(*opts.input);
    ChildSpec spec = build_spec(opts, input.get());
    uint64_t limit = opts.max_buffer;
    if (limit == 0) throw UsageError("--max-buffer must be at least 1 byte");
    StopPlan plan;
    plan.signal = opts.kill_signal;
    plan.kill_after = kDefaultKillAfter;
    if (opts.kill_after) {
        plan.kill_after = *opts.kill_after;
        if (plan.kill_after.count() <= 0)
            throw UsageError("--kill-after must be more than 0 (--kill-signal KILL kills at once)");
    }
    plan.whole_tree = opts.parity.kill_tree;
    plan.on_signal = signal_reporter(opts.parity.verbose, opts.command[0]);

    Result result;
    result.command = command_text(opts);
    EventLoop loop;
    Child child;
    forward_signals(loop, child);
    KillTree tree(loop, opts.parity.kill_tree);
    auto started = std::chrono::steady_clock::now();
    try {
        child = launch(spec);
    } catch (const LaunchError& e) {
        if (!opts.json) throw;
        // As Node's callback: an error, and the status a shell would give.
        ExitStatus st;
        st.wait_status = e.exit_status() << 8;
        result.status = st;
        result.error = e.what();
        result.error_errno = e.err();
        print_json(result, opts.encoding);
        return e.exit_status();
    }
    tree.watch(child);
    result.pid = child.pid();

    bool exited = false;
    bool killing = false;
    bool killed = false;  // SIGKILL sent: pipes a stray grandchild holds are not waited for
    std::optional<PipeCapture> out, err;
    auto maybe_stop = [&] {
        if (exited && ((out->done() && err->done()) || killed)) loop.stop();
    };
    auto kill_command = [&] {
        if (std::exchange(killing, true)) return;
        stop_child(loop, child, plan, [&] {
            killed = true;
            maybe_stop();
        });
    };
    auto overflow = [&](const char* which) {
        if (!result.overflowed) result.overflowed = which;
        kill_command();
    };
    out.emplace(
        loop, std::move(child.stdio[1]), limit, [&] { overflow("stdout"); }, maybe_stop);
    err.emplace(
        loop, std::move(child.stdio[2]), limit, [&] { overflow("stderr"); }, maybe_stop);
    if (opts.all) {
        result.all.emplace();
        auto append = [&](std::string_view piece) { result.all->append(piece); };
        out->tee_to(append);
        err->tee_to(append);
    }
    if (opts.timeout && opts.timeout->count() > 0)
        loop.add_timer(*opts.timeout, [&] {
            if (!child.running()) return;
            result.timed_out = true;
            kill_command();
        });
    loop.watch_child(child, [&](const ExitStatus& st) {
        result.status = st;
        exited = true;
        // What the command left behind: the pipes it holds close as it goes.
        tree.sweep(plan.signal ? plan.signal : SIGTERM, plan.kill_after);
        maybe_stop();
    });
    loop.run();
    result.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - started)
                             .count();
    result.out = out->data();
    result.err = err->data();
    if (result.overflowed)
        result.error = std::string(result.overflowed) + " maxBuffer length exceeded";
    else if (result.timed_out)
        result.error = "timed out after " + opts.timeout_text;
    else if (result.status->shell_status() != 0)
        result.error = "Command failed: " + result.command;

    if (opts.json) {
        print_json(result, opts.encoding);
    } else {
        if (result.all) {
            write_or_die(STDOUT_FILENO, *result.all);
        } else {
            write_or_die(STDOUT_FILENO, result.out);
            write_or_die(STDERR_FILENO, result.err);
        }
        if (result.overflowed) report_error(result.error);
    }
    return exit_status_of(result, opts.parity);
}

}  // namespace

const ToolEntry exec_tool{"exec", "run a command, capture its output (Node exec)",
                          tool_main<Options, declare_exec, run_exec>};

}  // namespace ptool
