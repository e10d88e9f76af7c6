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
#include "libcommon/supervise/notify.hpp"
#include "tools/daemonize/pidfile.hpp"
#include "tools/daemonize/respawn.hpp"
#include "tools/ptool.hpp"

namespace ptool {

namespace {

struct Options {
    std::vector<std::string> command;
    std::string cwd = "/";
    mode_t umask = 022;
    std::string log, stdout_path, stderr_path;
    std::string pidfile;
    std::optional<Duration> wait_ready;  // none: do not wait
    std::string user;                    // USER[:GROUP]
    bool respawn = false;
    int max_restarts = 0;  // 0: no limit
    bool stop = false;
    bool status = false;
    int signal = SIGTERM;
    Duration timeout = std::chrono::seconds(10);
};

int run_daemonize(const Options& opts);

}  // namespace

namespace {

using namespace std::chrono_literals;

int start_daemon(const Options& opts);
int stop_daemon(const Options& opts);
int daemon_status(const Options& opts);

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
    t.positional("command", "PROGRAM [ARGS...]", o.command);
    t.positionals_at_end();
}

int run_daemonize(const Options& opts) {
    if ((opts.stop || opts.status) && opts.pidfile.empty())
        throw UsageError(std::string(opts.stop ? "--stop" : "--status") + " needs --pidfile");
    if ((opts.stop || opts.status) && !opts.command.empty())
        throw UsageError("--stop and --status take no PROGRAM");
    if (opts.stop) return stop_daemon(opts);
    if (opts.status) return daemon_status(opts);
    if (opts.command.empty()) throw UsageError("no PROGRAM given (see --help)");
    if (opts.max_restarts > 0 && !opts.respawn) throw UsageError("--max-restarts needs --respawn");
    return start_daemon(opts);
}

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
    if (!opts.user.empty()) {
        size_t colon = opts.user.find(':');
        UserInfo user = lookup_user(opts.user.substr(0, colon));
        gid_t gid =
            colon == std::string::npos ? user.gid : lookup_group(opts.user.substr(colon + 1));
        if (gid == static_cast<gid_t>(-1))
            throw UsageError("--user " + opts.user + ": no group (use USER:GROUP)");
        spec.uid = user.uid;
        spec.gid = gid;
        spec.groups = user.name.empty() ? std::vector<gid_t>{gid} : user_groups(user.name, gid);
        if (!user.name.empty())
            spec.env_set = {{"HOME", user.home}, {"USER", user.name}, {"LOGNAME", user.name}};
    }
    return spec;
}

UniqueFd open_pidfd(pid_t pid) {
    return UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
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

int start_daemon(const Options& opts) {
    ChildSpec spec = make_spec(opts);
    std::optional<Duration> ready_limit;
    if (opts.wait_ready) ready_limit = *opts.wait_ready;
    Options resolved = opts;
    std::optional<PidfileLock> pidfile;
    if (!opts.pidfile.empty()) {
        resolved.pidfile = std::filesystem::absolute(opts.pidfile).lexically_normal().string();
        pidfile = PidfileLock::acquire(resolved.pidfile);
    }
    std::optional<NotifyReceiver> receiver;
    if (ready_limit) {
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
        if (auto failure = wait_for_ready(*receiver, pid, *ready_limit, opts.command[0])) {
            stop_session_group(starter, pid, 1s);  // the starter's setsid made the group
            throw Error(*failure);
        }
    }
    if (pidfile) {
        pidfile->write_pid(pid);
        pidfile->publish();
    }
    // The daemon runs, so the exit status says so even when nobody can read its pid.
    if (write_full(STDOUT_FILENO, std::to_string(pid) + "\n") < 0)
        report_error("started pid " + std::to_string(pid) + ", but " +
                     errno_message("stdout", errno));
    return exit_code::ok;
}

// The real uid of a process ("Uid:\tREAL\tEFFECTIVE..." in /proc/PID/status).
uid_t process_uid(pid_t pid) {
    std::string status = read_file("/proc/" + std::to_string(pid) + "/status");
    size_t at = status.find("\nUid:");
    if (at == std::string::npos) return static_cast<uid_t>(-1);
    size_t begin = status.find_first_not_of(" \t", at + 5);
    size_t end = status.find_first_of(" \t\n", begin);
    auto uid = parse_int(std::string_view(status).substr(begin, end - begin));
    return uid ? static_cast<uid_t>(*uid) : static_cast<uid_t>(-1);
}

// --stop and --status act only on the daemon itself: the process that holds the
// pidfile open (so its lock), running as --user when given. Throws Error otherwise.
// --status of another user's daemon cannot see its fds: it reports what the lock says.
void check_is_daemon(const Options& opts, const PidfileStatus& status, bool to_signal) {
    std::string pid = std::to_string(status.pid);
    if (!to_signal && ::access(("/proc/" + pid + "/fd").c_str(), R_OK) < 0 && errno == EACCES)
        return;
    if (!process_holds_pidfile(status.pid, status))
        throw Error(opts.pidfile + ": pid " + pid +
                    " does not hold the pidfile's lock: not the daemon (refused)");
    if (!opts.user.empty()) {
        UserInfo user = lookup_user(opts.user.substr(0, opts.user.find(':')));
        uid_t actual = process_uid(status.pid);
        if (actual != user.uid)
            throw Error(opts.pidfile + ": pid " + pid + " runs as uid " + std::to_string(actual) +
                        ", not --user " + opts.user + " (refused)");
    }
}

int stop_daemon(const Options& opts) {
    int sig = opts.signal;
    Duration timeout = opts.timeout;
    PidfileStatus status = probe_pidfile(opts.pidfile);
    if (status.state == PidfileState::missing)
        throw Error(opts.pidfile + ": not running (no pidfile)");
    if (status.state == PidfileState::stale) {
        remove_stale_pidfile(opts.pidfile);
        throw Error(opts.pidfile + ": not running (removed stale pidfile of pid " +
                    std::to_string(status.pid) + ")");
    }
    if (status.pid == 0) throw Error(opts.pidfile + ": locked but holds no pid (starting?)");
    // The pidfd is taken before the checks: if they pass, it is that very process we
    // signal, even should its pid be reused meanwhile.
    UniqueFd pidfd = open_pidfd(status.pid);
    if (!pidfd) throw SysError("pid " + std::to_string(status.pid), errno);
    check_is_daemon(opts, status, true);
    auto send = [&](int s) {
        if (::syscall(SYS_pidfd_send_signal, pidfd.get(), s, nullptr, 0) < 0 && errno != ESRCH)
            throw SysError("kill pid " + std::to_string(status.pid), errno);
    };
    send(sig);
    if (!wait_readable(pidfd.get(), timeout)) {
        send(SIGKILL);
        if (!wait_readable(pidfd.get(), 5s))
            throw Error("pid " + std::to_string(status.pid) + " survived SIGKILL");
    }
    remove_stale_pidfile(opts.pidfile);  // unless a successor holds it already
    return exit_code::ok;
}

// LSB status codes, as start-stop-daemon --status: 0 running, 1 dead but the
// pidfile remains, 3 not running, 4 unknown (the pidfile cannot be read).
int daemon_status(const Options& opts) {
    PidfileStatus status;
    try {
        status = probe_pidfile(opts.pidfile);
        if (status.state == PidfileState::running && status.pid > 0)
            check_is_daemon(opts, status, false);
    } catch (const Error& e) {
        report_error(e.what());
        return exit_code::lsb_unknown;
    }
    switch (status.state) {
        case PidfileState::running:
            write_or_die(STDOUT_FILENO, status.pid > 0
                                            ? "running (pid " + std::to_string(status.pid) + ")\n"
                                            : std::string("running (starting)\n"));
            return exit_code::lsb_running;
        case PidfileState::stale:
            write_or_die(STDOUT_FILENO,
                         "not running (stale pidfile, pid " + std::to_string(status.pid) + ")\n");
            return exit_code::lsb_dead_pidfile;
        case PidfileState::missing: break;
    }
    write_or_die(STDOUT_FILENO, "not running\n");
    return exit_code::lsb_not_running;
}

}  // namespace

const ToolEntry daemonize_tool{"daemonize",
                               "run a program as a daemon (daemonize, start-stop-daemon)",
                               tool_main<Options, declare_daemonize, run_daemonize>};

}  // namespace ptool
