// ptool exec [OPTIONS] 'SHELL COMMAND' | --file PROGRAM [ARGS...]: run a command and
// capture its output (Node child_process.exec / execFile).
//   --max-buffer SIZE (each stream, default 1M)  --timeout DUR  --kill-signal SIG
//   --kill-after DUR (default 5s)
//   --cwd DIR  --env K=V  --env-clear  --input TEXT  --input-file F
//   --json  --encoding utf8|hex|base64
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <cerrno>
#include <memory>
#include <optional>
#include <utility>

#include "libcommon/bytes/buffer_strings.hpp"
#include "libcommon/core/error.hpp"
#include "libcommon/core/fd.hpp"
#include "libcommon/core/json.hpp"
#include "libcommon/core/output.hpp"
#include "libcommon/core/parse.hpp"
#include "libcommon/launch/event_loop.hpp"
#include "libcommon/launch/launcher.hpp"
#include "libcommon/launch/relay.hpp"
#include "tools/ptool.hpp"

namespace ptool {

namespace {

struct Options {
    std::vector<std::string> command;
    bool file = false;
    std::string max_buffer = "1M";
    std::string timeout;
    std::string kill_signal = "TERM";
    std::optional<std::string> kill_after;
    std::string cwd;
    std::vector<std::string> env;
    bool env_clear = false;
    std::optional<std::string> input;
    std::string input_file;
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

ToolRunner setup_exec(CLI::App& app) {
    auto opts = std::make_shared<Options>();
    app.add_flag("--file", opts->file, "run PROGRAM with ARGS directly, no shell (execFile)");
    app.add_option("--max-buffer", opts->max_buffer,
                   "largest output kept per stream; past it the command is killed (default 1M)");
    app.add_option("--timeout", opts->timeout, "kill the command after DUR; exit 124");
    app.add_option("--kill-signal", opts->kill_signal, "signal for timeout and max-buffer (TERM)");
    app.add_option("--kill-after", opts->kill_after,
                   "SIGKILL this long after the kill signal (default 5s)");
    app.add_option("--cwd", opts->cwd, "run the command in DIR");
    app.add_option("--env", opts->env, "set K=V in the environment (repeatable)");
    app.add_flag("--env-clear", opts->env_clear, "start from an empty environment");
    app.add_option("--input", opts->input, "the command's stdin (default /dev/null)");
    app.add_option("--input-file", opts->input_file, "read the command's stdin from F");
    app.add_flag("--json", opts->json, "print one JSON object with the result");
    app.add_option("--encoding", opts->encoding, "stdout/stderr in --json: utf8, hex or base64")
        ->check(CLI::IsMember({"utf8", "hex", "base64"}));
    app.add_option("command", opts->command, "'SHELL COMMAND', or PROGRAM [ARGS...] with --file")
        ->required()
        ->expected(-1);
    app.positionals_at_end();
    return [opts] { return run_exec(*opts); };
}

namespace {

struct Result {
    std::string command;
    std::optional<ExitStatus> status;
    std::string_view out;
    std::string_view err;
    bool timed_out = false;
    const char* overflowed = nullptr;  // "stdout" / "stderr"
    long long duration_ms = 0;
    std::string error;  // empty: none
};

ChildSpec build_spec(const Options& opts, int input_fd) {
    ChildSpec spec;
    if (opts.file) {
        spec.argv = opts.command;
    } else {
        if (opts.command.size() != 1)
            throw UsageError("expected one 'SHELL COMMAND' argument (quote it, or use --file)");
        spec.argv = {"/bin/sh", "-c", opts.command[0]};
    }
    spec.cwd = opts.cwd;
    spec.env_clear = opts.env_clear;
    for (const auto& kv : opts.env) spec.env_set.push_back(parse_env_assignment(kv));
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
    spec.new_process_group = true;
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

int exit_status_of(const Result& r) {
    if (r.timed_out) return exit_code::timed_out;
    if (r.overflowed) return exit_code::failure;
    return r.status->shell_status();
}

void print_json(const Result& r, const std::string& encoding) {
    Json out;
    out["command"] = r.command;
    bool signalled = r.status && !r.status->exited();
    out["code"] = r.status && !signalled ? Json(r.status->code()) : Json(nullptr);
    out["signal"] = signalled ? Json(signal_name(r.status->signal())) : Json(nullptr);
    out["stdout"] = encode(r.out, encoding);
    out["stderr"] = encode(r.err, encoding);
    out["timed_out"] = r.timed_out;
    out["max_buffer_exceeded"] = r.overflowed != nullptr;
    out["duration_ms"] = r.duration_ms;
    out["error"] = r.error.empty() ? Json(nullptr) : Json(r.error);
    write_or_die(STDOUT_FILENO, json_line(out));
}

int run_exec(const Options& opts) {
    // --input TEXT reaches the child as a file in memory: no pipe to feed, no deadlock.
    UniqueFd input;
    if (opts.input) input = memory_file(*opts.input);
    ChildSpec spec = build_spec(opts, input.get());
    uint64_t limit = parse_size(opts.max_buffer);
    if (limit == 0) throw UsageError("--max-buffer must be at least 1 byte");
    ChildTimeout timeout;
    if (!opts.timeout.empty()) timeout.after = parse_duration(opts.timeout);
    timeout.signal = parse_signal(opts.kill_signal);
    std::chrono::nanoseconds kill_after = kDefaultKillAfter;
    if (opts.kill_after) {
        if (opts.kill_after->empty()) throw UsageError("--kill-after: empty duration");
        kill_after = parse_duration(*opts.kill_after);
        if (kill_after.count() <= 0)
            throw UsageError("--kill-after must be more than 0 (--kill-signal KILL kills at once)");
    }

    Result result;
    result.command = command_text(opts);
    EventLoop loop;
    Child child;
    forward_signals(loop, child);
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
        print_json(result, opts.encoding);
        return e.exit_status();
    }

    bool exited = false;
    bool killing = false;
    bool killed = false;  // SIGKILL sent: pipes a stray grandchild holds are not waited for
    std::optional<PipeCapture> out, err;
    auto maybe_stop = [&] {
        if (exited && ((out->done() && err->done()) || killed)) loop.stop();
    };
    auto kill_command = [&] {
        if (std::exchange(killing, true)) return;
        stop_child(loop, child, timeout.signal, kill_after, [&] {
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
    if (timeout.after.count() > 0)
        loop.add_timer(timeout.after, [&] {
            if (!child.running()) return;
            result.timed_out = true;
            kill_command();
        });
    loop.watch_child(child, [&](const ExitStatus& st) {
        result.status = st;
        exited = true;
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
        result.error = "timed out after " + opts.timeout;
    else if (result.status->shell_status() != 0)
        result.error = "Command failed: " + result.command;

    if (opts.json) {
        print_json(result, opts.encoding);
    } else {
        write_or_die(STDOUT_FILENO, result.out);
        write_or_die(STDERR_FILENO, result.err);
        if (result.overflowed) report_error(result.error);
    }
    return exit_status_of(result);
}

}  // namespace

}  // namespace ptool
