// ptool daemonize [OPTIONS] -- PROGRAM [ARGS...]: run a program as a daemon
// (double fork + setsid), reporting exec failure and readiness to the caller.
//   --cwd DIR  --umask MASK  --log FILE | --stdout F --stderr F  --pidfile F
//   --wait-ready DUR  --user USER[:GROUP]  --respawn [--max-restarts N]
//   --stop --pidfile F [--signal SIG] [--timeout DUR]   --status --pidfile F
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>

#include "libcommon/core/error.hpp"
#include "libcommon/core/output.hpp"
#include "libcommon/core/parse.hpp"
#include "libcommon/core/safe_open.hpp"
#include "libcommon/launch/launcher.hpp"
#include "libcommon/launch/run_as.hpp"
#include "libcommon/supervise/notify.hpp"
#include "libcommon/supervise/service_notify.hpp"
#include "tools/daemonize/daemonize.hpp"
#include "tools/daemonize/pidfile.hpp"
#include "tools/daemonize/respawn.hpp"
#include "tools/ptool/ptool.hpp"

namespace ptool::daemonize {

using namespace std::chrono_literals;

namespace {

mode_t parse_umask(std::string_view text) {
    if (text.empty() || text.size() > 4 || text.find_first_not_of("01234567") != std::string::npos)
        throw UsageError("invalid mode '" + std::string(text) + "' (octal, e.g. 022)");
    return static_cast<mode_t>(std::stoul(std::string(text), nullptr, 8) & 0777);
}

void declare_daemonize(cli::OptionTable& t, Options& o) {
    t.path("--cwd", "DIR", "working directory of the daemon (default /)", o.cwd);
    t.custom("--umask", "MASK", "umask of the daemon, octal (default 022)", cli::Kind::string,
             [&o](std::string_view text) { o.umask = parse_umask(text); });
    t.path("--log", "FILE", "append stdout and stderr to FILE", o.log);
    t.path("--stdout", "FILE", "append stdout to FILE (default /dev/null)", o.stdout_path)
        .exclude("--log");
    t.path("--stderr", "FILE", "append stderr to FILE (default /dev/null)", o.stderr_path)
        .exclude("--log");
    t.path("--pidfile", "FILE", "write the pid to FILE and keep it locked", o.pidfile);
    t.duration("--wait-ready", "DUR", "wait up to DUR for READY=1 on NOTIFY_SOCKET (sd_notify)",
               o.wait_ready);
    t.string("--user", "USER[:GROUP]",
             "run as USER[:GROUP] (initgroups, setgid, setuid); with --stop/--status: "
             "the daemon must run as USER",
             o.user);
    t.flag("--respawn", "restart the program when it dies (with backoff)", o.respawn);
    t.integer("--max-restarts", "N", "with --respawn: give up after N restarts (default: no limit)",
              o.max_restarts, 0, INT_MAX);
    t.flag("--stop", "stop the daemon named by --pidfile", o.stop);
    t.flag("--status", "exit 0 if the daemon of --pidfile runs, 1 if stale, 3 if not", o.status)
        .exclude("--stop");
    t.signal("--signal", "SIG", "with --stop: the signal to send (default TERM)", o.signal);
    t.duration("--timeout", "DUR", "with --stop: SIGKILL after DUR (default 10s)", o.timeout);
    t.custom("--retry", "SCHEDULE",
             "with --stop: signal/timeout/... as start-stop-daemon (TERM/30/KILL/5, or 30); "
             "exit 2 if it still runs at the end",
             cli::Kind::string,
             [&o](std::string_view text) {
                 parse_stop_schedule(text, SIGTERM);  // a usage error now, not at --stop
                 o.retry = std::string(text);
             })
        .exclude("--timeout");
    t.flag("--oknodo", "exit 0 when there is nothing to do (stopped already, running already)",
           o.oknodo);
    t.flag("--restart", "stop the daemon of --pidfile (if it runs), then start PROGRAM", o.restart)
        .exclude("--stop")
        .exclude("--status");
    t.flag("--json", "print {\"pid\":..,\"running\":..} for start, stop and status", o.json);
    t.assignments("--env", "K=V", "set K=V in the daemon's environment (repeatable)", o.env);
    t.positional("command", "PROGRAM [ARGS...]", o.command);
    t.positionals_at_end();
}

}  // namespace

int run_daemonize(const Options& opts) {
    if ((opts.stop || opts.status || opts.restart) && opts.pidfile.empty())
        throw UsageError(std::string(opts.stop     ? "--stop"
                                     : opts.status ? "--status"
                                                   : "--restart") +
                         " needs --pidfile");
    if ((opts.stop || opts.status) && !opts.command.empty())
        throw UsageError("--stop and --status take no PROGRAM");
    if (opts.stop) return stop_daemon(opts);
    if (opts.status) return daemon_status(opts);
    if (opts.command.empty()) throw UsageError("no PROGRAM given (see --help)");
    if (opts.max_restarts > 0 && !opts.respawn) throw UsageError("--max-restarts needs --respawn");
    if (opts.restart) {
        Options stop = opts;
        stop.oknodo = true;  // nothing running: just start
        stop.json = false;
        if (int status = stop_daemon(stop); status != exit_code::ok) return status;
    }
    return start_daemon(opts);
}

namespace {

// Points 0-2 of this (starter) process at what the daemon gets: the program and,
// under --respawn, the supervisor inherit them. Relative paths are the caller's.
// Log files are opened as pidfiles are (safe_open): a symlink planted in /tmp
// never makes root append the daemon's output to a file of its choosing.
void redirect_stdio(const Options& opts) {
    int flags = O_WRONLY | O_CREAT | O_APPEND;
    UniqueFd null = open_file("/dev/null", O_RDWR);
    const std::string& out_path = opts.log.empty() ? opts.stdout_path : opts.log;
    const std::string& err_path = opts.log.empty() ? opts.stderr_path : opts.log;
    auto open_log = [&](const std::string& path) {
        return safe_open(path, flags, 0666,
                         SafeOpenOptions{.exit_status = exit_code::launch_failed})
            .fd;
    };
    UniqueFd out = out_path.empty() ? UniqueFd() : open_log(out_path);
    UniqueFd err = !opts.log.empty() || err_path.empty() ? UniqueFd() : open_log(err_path);
    int err_fd = !opts.log.empty() ? out.get() : err ? err.get() : null.get();
    if (::dup2(null.get(), 0) < 0 || ::dup2(out ? out.get() : null.get(), 1) < 0 ||
        ::dup2(err_fd, 2) < 0)
        throw SysError("dup2", errno, exit_code::launch_failed);
}

// The first fork: a new session, the daemon's stdio, then either the program
// (launched, so it is not the session leader) or the supervisor. Never returns.
[[noreturn]] void run_starter(const Options& opts, ChildSpec spec, int report_fd, int lock_fd) {
    const std::string program = spec.argv[0];
    try {
        if (::setsid() < 0) throw SysError("setsid", errno, exit_code::launch_failed);
        if (spec.umask) ::umask(*spec.umask);  // files the starter creates get it too
        redirect_stdio(opts);
        if (opts.respawn) {
            pid_t supervisor = ::fork();
            if (supervisor < 0) throw SysError("fork", errno, exit_code::launch_failed);
            if (supervisor == 0) {
                int status = exit_code::launch_failed;
                try {
                    status = run_respawn({opts.max_restarts, opts.pidfile, opts.user},
                                         std::move(spec), report_fd, lock_fd);
                } catch (const std::exception& e) {
                    report_error(e.what());
                }
                ::_exit(status);
            }
            ::_exit(0);
        }
        if (lock_fd >= 0) spec.extra_fds.push_back({lock_fd, 3});
        Child child = launch(spec);
        send_report(report_fd, 0, child.release(), "");
    } catch (const Error& e) {
        send_report(report_fd, e.exit_status(), 0, launch_failure_message(opts.user, e));
    } catch (const std::exception& e) {
        send_report(report_fd, exit_code::launch_failed, 0, e.what());
    }
    ::_exit(0);
}

ChildSpec make_spec(const Options& opts) {
    ChildSpec spec;
    spec.argv = opts.command;
    // "./server" means the caller's ./server, not one in --cwd.
    if (spec.argv[0].find('/') != std::string::npos && spec.argv[0][0] != '/')
        spec.argv[0] = std::filesystem::absolute(spec.argv[0]).lexically_normal().string();
    spec.argv0 = opts.command[0];
    spec.cwd = opts.cwd;
    spec.cwd_option = "--cwd";
    spec.umask = opts.umask;
    RunAs run_as;
    run_as.env = opts.env;
    if (!opts.user.empty()) run_as.user = parse_user_group(opts.user, "--user");
    apply_run_as(run_as, spec, Supplementary::of_user);
    return spec;
}

// A start that failed stops the daemon's whole process group (a shell wrapper's
// children too): TERM, up to `grace` for the daemon to go, then KILL for the rest.
void stop_session_group(pid_t group, pid_t pid, Duration grace) {
    UniqueFd pidfd = open_pidfd(pid);
    ::kill(-group, SIGTERM);
    ::kill(-group, SIGCONT);  // a stopped member must see the TERM
    if (pidfd) wait_readable(pidfd.get(), grace);
    ::kill(-group, SIGKILL);
}

}  // namespace

UniqueFd open_pidfd(pid_t pid) {
    return UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
}

int start_daemon(const Options& opts) {
    if (opts.oknodo && !opts.pidfile.empty()) {
        PidfileStatus running = probe_pidfile(opts.pidfile);
        if (running.state == PidfileState::running && running.pid > 0) {
            write_or_die(STDOUT_FILENO, opts.json ? json_state(running.pid, true)
                                                  : std::to_string(running.pid) + "\n");
            return exit_code::ok;  // start-stop-daemon --start --oknodo
        }
    }
    ChildSpec spec = make_spec(opts);
    std::optional<SpelledDuration> ready_limit;
    if (opts.wait_ready) ready_limit = *opts.wait_ready;
    Options resolved = opts;
    std::optional<PidfileLock> pidfile;
    if (!opts.pidfile.empty()) {
        resolved.pidfile = std::filesystem::absolute(opts.pidfile).lexically_normal().string();
        pidfile = PidfileLock::acquire(resolved.pidfile);
    }
    std::optional<NotifyReceiver> receiver;
    ServiceNotifier upward;  // systemd above us, told once the daemon is ready
    if (ready_limit) {
        upward = ServiceNotifier::from_environment();
        receiver = NotifyReceiver::create();
        if (spec.uid) receiver->allow_owner(*spec.uid, *spec.gid);
        spec.env_set.emplace_back("NOTIFY_SOCKET", receiver->address());
    }

    int ends[2];  // a socketpair: the supervisor learns from its EOF that the caller is done
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) < 0)
        throw SysError("socketpair", errno, exit_code::launch_failed);
    Pipe report_channel{UniqueFd(ends[0]), UniqueFd(ends[1])};
    pid_t starter = ::fork();
    if (starter < 0) throw SysError("fork", errno, exit_code::launch_failed);
    if (starter == 0) {
        report_channel.read.reset();
        run_starter(resolved, std::move(spec), report_channel.write.get(),
                    pidfile ? pidfile->lock_fd() : -1);
    }
    report_channel.write.reset();
    StartReport report;
    ssize_t got = read_full(report_channel.read.get(), &report, sizeof report);
    while (::waitpid(starter, nullptr, 0) < 0 && errno == EINTR) {
    }
    if (got != static_cast<ssize_t>(sizeof report))
        throw Error("the daemon's starter died before reporting", exit_code::launch_failed);
    report.message[sizeof report.message - 1] = '\0';
    if (report.status != 0) throw Error(report.message, report.status);

    pid_t pid = report.pid;
    if (receiver) {
        std::string status;
        if (auto failure = wait_for_ready(*receiver, pid, *ready_limit, opts.command[0], &status)) {
            stop_session_group(starter, pid, 1s);  // the starter's setsid made the group
            throw Error(*failure);
        }
        // Under systemd (Type=notify, NotifyAccess=main): the daemon is the main process.
        upward.send("READY=1\nMAINPID=" + std::to_string(pid) +
                    (status.empty() ? "" : "\nSTATUS=" + status));
    }
    if (pidfile) {
        pidfile->write_pid(pid);
        pidfile->publish();
    }
    // The daemon runs, so the exit status says so even when nobody can read its pid.
    if (write_full(STDOUT_FILENO, opts.json ? json_state(pid, true) : std::to_string(pid) + "\n") <
        0)
        report_error("started pid " + std::to_string(pid) + ", but " +
                     errno_message("stdout", errno));
    return exit_code::ok;
}

}  // namespace ptool::daemonize

namespace ptool {

const ToolEntry daemonize_tool{
    "daemonize", "run a program as a daemon (daemonize, start-stop-daemon)",
    tool_main<daemonize::Options, daemonize::declare_daemonize, daemonize::run_daemonize>};

}  // namespace ptool
