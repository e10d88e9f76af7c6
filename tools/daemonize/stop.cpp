// daemonize --stop and --status: only ever the process that holds the pidfile's lock
// (and runs as --user, when given); --stop follows a start-stop-daemon --retry
// schedule, and both speak start-stop-daemon's and the LSB's exit statuses.
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <functional>

#include "libcommon/core/error.hpp"
#include "libcommon/core/output.hpp"
#include "libcommon/core/parse.hpp"
#include "tools/daemonize/daemonize.hpp"
#include "tools/daemonize/pidfile.hpp"

namespace ptool::daemonize {

using namespace std::chrono_literals;

namespace {

// start-stop-daemon --stop: 2 when the daemon outlived the --retry schedule.
constexpr int kStillRunning = 2;

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

// Nothing to stop: start-stop-daemon's 1 with the reason, or a quiet 0 with --oknodo.
int nothing_to_stop(const Options& opts, const std::string& why) {
    if (!opts.oknodo) throw Error(why);
    if (opts.json) write_or_die(STDOUT_FILENO, json_state(0, false));
    return exit_code::ok;
}

// Runs the schedule against `pidfd`; true once the process is gone.
bool run_schedule(const StopSchedule& schedule, const std::function<void(int)>& send, int pidfd) {
    for (size_t i = 0; i < schedule.steps.size(); ++i) {
        const auto& step = schedule.steps[i];
        if (step.signal > 0)
            send(step.signal);
        else if (wait_readable(pidfd, step.wait))
            return true;
        if (i + 1 == schedule.steps.size() && schedule.repeat_from &&
            *schedule.repeat_from < schedule.steps.size())
            i = *schedule.repeat_from - 1;  // "forever"
    }
    return wait_readable(pidfd, Duration::zero());
}

}  // namespace

StopSchedule parse_stop_schedule(std::string_view text, int stop_signal) {
    auto bad = [&](const std::string& why) {
        return UsageError(std::string(text) + ": " + why);  // after "--retry: "
    };
    auto parse_wait = [&](std::string_view item) -> Duration {
        if (item.find_first_not_of("0123456789") == std::string_view::npos && !item.empty()) {
            auto n = parse_int(item);
            if (!n || *n > 86400 * 365) throw bad("timeout '" + std::string(item) + "' too large");
            return std::chrono::seconds(*n);
        }
        try {
            return parse_duration(item);
        } catch (const Error&) {
            throw bad("'" + std::string(item) + "' is neither a signal nor a timeout");
        }
    };
    StopSchedule out;
    if (text.find('/') == std::string_view::npos) {  // "N": SIG/N/KILL/N
        Duration wait = parse_wait(text);
        out.steps = {{stop_signal, {}}, {0, wait}, {SIGKILL, {}}, {0, wait}};
        return out;
    }
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find('/', start);
        std::string_view item =
            text.substr(start, end == std::string_view::npos ? end : end - start);
        if (item.empty()) throw bad("empty item");
        if (item == "forever") {
            if (out.repeat_from) throw bad("'forever' twice");
            out.repeat_from = out.steps.size();
        } else if (item.find_first_not_of("0123456789.") == std::string_view::npos ||
                   std::isdigit(static_cast<unsigned char>(item[0]))) {
            out.steps.push_back({0, parse_wait(item)});
        } else {
            if (item[0] == '-') item.remove_prefix(1);
            try {
                out.steps.push_back({parse_signal(item), {}});
            } catch (const Error&) {
                throw bad("unknown signal '" + std::string(item) + "'");
            }
        }
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    if (out.steps.size() < 2) throw bad("a schedule has at least a signal and a timeout");
    return out;
}

std::string json_state(pid_t pid, bool running) {
    return json_line(Json{{"pid", pid > 0 ? Json(pid) : Json(nullptr)}, {"running", running}});
}

int stop_daemon(const Options& opts) {
    PidfileStatus status = probe_pidfile(opts.pidfile);
    if (status.state == PidfileState::missing)
        return nothing_to_stop(opts, opts.pidfile + ": not running (no pidfile)");
    if (status.state == PidfileState::stale) {
        remove_stale_pidfile(opts.pidfile);
        return nothing_to_stop(opts, opts.pidfile + ": not running (removed stale pidfile of pid " +
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
    if (!opts.retry.empty()) {
        if (!run_schedule(parse_stop_schedule(opts.retry, opts.signal), send, pidfd.get())) {
            report_error("pid " + std::to_string(status.pid) + " still runs after --retry " +
                         opts.retry);
            return kStillRunning;
        }
    } else {
        send(opts.signal);
        if (!wait_readable(pidfd.get(), opts.timeout)) {
            send(SIGKILL);
            if (!wait_readable(pidfd.get(), 5s))
                throw Error("pid " + std::to_string(status.pid) + " survived SIGKILL");
        }
    }
    remove_stale_pidfile(opts.pidfile);  // unless a successor holds it already
    if (opts.json) write_or_die(STDOUT_FILENO, json_state(status.pid, false));
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
    std::string pid = std::to_string(status.pid);
    auto say = [&](const std::string& human, bool running) {
        if (!opts.json) return write_or_die(STDOUT_FILENO, human);
        Json j{{"pid", status.pid > 0 ? Json(status.pid) : Json(nullptr)}, {"running", running}};
        j["state"] = running                               ? "running"
                     : status.state == PidfileState::stale ? "stale"
                                                           : "stopped";
        write_or_die(STDOUT_FILENO, json_line(j));
    };
    switch (status.state) {
        case PidfileState::running:
            say(status.pid > 0 ? "running (pid " + pid + ")\n"
                               : std::string("running (starting)\n"),
                true);
            return exit_code::lsb_running;
        case PidfileState::stale:
            say("not running (stale pidfile, pid " + pid + ")\n", false);
            return exit_code::lsb_dead_pidfile;
        case PidfileState::missing: break;
    }
    say("not running\n", false);
    return exit_code::lsb_not_running;
}

}  // namespace ptool::daemonize
