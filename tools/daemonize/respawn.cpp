// daemonize --respawn on the shared Supervisor, and the starter's report to the
// caller that both the plain start and the supervisor send.
#include "tools/daemonize/respawn.hpp"

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "libcommon/core/fd.hpp"
#include "libcommon/core/parse.hpp"
#include "libcommon/core/report.hpp"
#include "libcommon/core/signals.hpp"
#include "libcommon/launch/event_loop.hpp"
#include "libcommon/launch/relay.hpp"  // iso8601_now
#include "libcommon/supervise/supervisor.hpp"
#include "tools/daemonize/pidfile.hpp"

namespace ptool {

using namespace std::chrono_literals;

void send_report(int fd, int status, pid_t pid, std::string_view message) noexcept {
    StartReport report;
    report.status = status;
    report.pid = pid;
    std::memcpy(report.message, message.data(),
                std::min(message.size(), sizeof report.message - 1));
    write_full(fd, &report, sizeof report);
}

std::string launch_failure_message(const std::string& user, const Error& e) {
    const auto* launch = dynamic_cast<const LaunchError*>(&e);
    if (!launch || user.empty()) return e.what();
    const char* op = launch->step() == LaunchStep::groups ? "setgroups"
                     : launch->step() == LaunchStep::gid  ? "setgid"
                     : launch->step() == LaunchStep::uid  ? "setuid"
                                                          : nullptr;
    if (!op) return e.what();
    return "--user " + user + ": " + op + ": " + std::strerror(launch->err());
}

namespace {

// A line of the daemon's log (its stderr): "ISO-8601-TIME ptool daemonize: MESSAGE".
void log_line(const std::string& message) {
    write_full(STDERR_FILENO, iso8601_now() + " " + program_name() + ": " + message + "\n");
}

}  // namespace

int run_respawn(const RespawnOptions& opts, ChildSpec spec, int report_fd, int lock_fd) {
    close_fds_except({report_fd, lock_fd});
    spec.parent_death_signal = SIGKILL;  // even a SIGKILLed supervisor leaves no orphan
    EventLoop loop;
    RestartBudget budget(opts.max_restarts, RestartBudget::kForever);
    Report report;
    const std::string program = spec.argv[0];
    SupervisorHooks hooks;
    hooks.exited = [&](const SupervisedExit& exit) {
        if (!exit.status) log_line(exit.error);  // a restart that failed to launch
        if (exit.next == SupervisedExit::Next::give_up) {
            log_line(program + ": " + (exit.status ? exit.status->describe() : "failed to start") +
                     "; giving up after " + std::to_string(exit.restarts) + " restarts");
            report.fail();
        } else if (exit.next == SupervisedExit::Next::restart && exit.status) {
            log_line(program + ": " + exit.status->describe() + "; restarting in " +
                     format_duration(exit.delay));
        }
    };
    hooks.done = [&] { loop.stop(); };
    Supervisor supervisor(loop, std::move(spec), kRespawnPolicy, budget, std::move(hooks));
    // TERM, INT and QUIT also end the supervisor; the others are only passed on.
    for (int sig : forwarded_signals()) {
        loop.watch_signal(sig, [&, sig](const signalfd_siginfo&) {
            bool ends = sig == SIGTERM || sig == SIGINT || sig == SIGQUIT;
            if (ends && !supervisor.stopping())
                supervisor.stop(sig);
            else
                supervisor.signal(sig);
        });
    }
    try {
        supervisor.start();
    } catch (const Error& e) {
        send_report(report_fd, e.exit_status(), 0, launch_failure_message(opts.user, e));
        return e.exit_status();
    }
    send_report(report_fd, 0, ::getpid(), "");
    // The caller closes its end once the pidfile is in place (or given up): only
    // then may an exiting supervisor remove it.
    UniqueFd caller(report_fd);
    ::shutdown(report_fd, SHUT_WR);
    loop.watch_fd(report_fd, EPOLLIN | EPOLLRDHUP, [&](uint32_t) {
        loop.unwatch_fd(caller.get());
        caller.reset();
    });
    // Only the first start is waited for: later ones must not talk to a gone socket.
    ChildSpec& later = supervisor.spec();
    std::erase_if(later.env_set, [](const auto& kv) { return kv.first == "NOTIFY_SOCKET"; });
    later.env_unset.push_back("NOTIFY_SOCKET");
    loop.run();
    if (caller) wait_readable(caller.get(), 5s);
    if (lock_fd >= 0) remove_own_pidfile(opts.pidfile, lock_fd);
    return report.exit_status();
}

}  // namespace ptool
