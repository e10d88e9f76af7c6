// fork-cluster's Master: setup (sockets, signals), the loop, stop and shutdown, and
// the subreaper's orphans (tini's waitid loop: known pids are left to the event loop,
// the rest reaped at once). Workers and slots are slots.cpp's.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>

#include "libcommon/core/error.hpp"
#include "libcommon/core/parse.hpp"
#include "libcommon/core/signals.hpp"
#include "libcommon/procs/procfs.hpp"
#include "tools/fork_cluster/master.hpp"

namespace ptool::cluster {

// Event lines waiting for a slow reader of stderr; past this they are dropped, counted.
constexpr size_t kMaxEventBuffer = 1024 * 1024;

// The cluster's numbers for the shared restart policy (each slot's backoff).
RestartPolicy restart_policy(const ClusterConfig& config) {
    using R = ClusterConfig::Restart;
    return RestartPolicy{.mode = config.restart == R::always  ? RestartMode::always
                                 : config.restart == R::never ? RestartMode::never
                                                              : RestartMode::on_failure,
                         .delay = config.restart_delay,
                         .delay_max = config.restart_delay_max,
                         .min_uptime = config.min_uptime};
}

Master::Master(const ClusterConfig& config, std::optional<Json> upgrade_state)
    : config_(config),
      policy_(restart_policy(config)),
      agent_backoff_(std::make_shared<Backoff>(policy_)),
      budget_(config.max_restarts, config.restart_window),
      events_(EventStream::queued(STDERR_FILENO, config.json ? EventForm::json : EventForm::human,
                                  kMaxEventBuffer,
                                  config.json ? json_drop_notice : text_drop_notice)),
      upgrade_state_(std::move(upgrade_state)) {}

Master::~Master() {
    for (auto& [fd, client] : clients_) loop_.unwatch_fd(fd);
    if (events_.poll_fd() >= 0) loop_.unwatch_fd(events_.poll_fd());
    if (control_) ::unlink(config_.control_path.c_str());
    for (const auto& a : bound_)
        if (a.kind == ListenAddress::Kind::unix_path) ::unlink(a.path.c_str());
}

int Master::run() {
    ::signal(SIGPIPE, SIG_IGN);  // children get default dispositions back from the launcher
    if (reaps_orphans()) {
        if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
            throw SysError("prctl(PR_SET_CHILD_SUBREAPER)", errno);
        loop_.watch_signal(SIGCHLD, [this](const signalfd_siginfo&) { reap_orphans(); });
    }
    resolve_own_binary();
    if (upgrade_state_) {
        restore_upgrade_fds(*upgrade_state_);  // the image before bound and made them
    } else {
        bind_sockets();
        notify_.emplace(NotifyReceiver::create());
    }
    if (const auto& u = config_.run_as.user) notify_->allow_owner(u->uid, u->gid);
    loop_.watch_fd(notify_->fd(), EPOLLIN, [this](uint32_t) { on_notify(); });
    if (!config_.control_path.empty()) setup_control();
    setup_http();
    setup_logs();
    watch_signals();
    start_service_watchdog();

    if (upgrade_state_) {
        restore_upgrade_procs(*upgrade_state_);
    } else if (config_.agent.empty()) {
        scale(config_.workers);
    } else {
        start_agent_first();  // the workers follow once it is ready
    }
    starting_up_ = false;
    start_health_checks();
    if (upgrade_state_) {
        announce_upgraded(*upgrade_state_);
        upgrade_state_.reset();
    }
    loop_.run();
    return final_status();
}

void Master::watch_signals() {
    if (config_.init) return watch_init_signals();
    for (int sig : {SIGTERM, SIGINT, SIGQUIT})
        loop_.watch_signal(sig, [this](const signalfd_siginfo& si) { on_stop_signal(si); });
    std::vector<int> forwarded = cluster_forwarded_signals();
    if (logs_) {  // SIGUSR1 reopens the logs (logrotate's postrotate), as nginx's does
        std::erase(forwarded, SIGUSR1);
        loop_.watch_signal(SIGUSR1, [this](const signalfd_siginfo&) { rotate(); });
    }
    // SIGUSR2 upgrades the master in place (einhorn's and nginx's convention).
    std::erase(forwarded, SIGUSR2);
    loop_.watch_signal(SIGUSR2, [this](const signalfd_siginfo&) { request_upgrade(); });
    loop_.watch_signals(forwarded, [this](const signalfd_siginfo& si) { forward_signal(si); });
    loop_.watch_signal(SIGHUP, [this](const signalfd_siginfo&) { reload(); });
    loop_.watch_signal(SIGTTIN, [this](const signalfd_siginfo&) { scale(target_workers_ + 1); });
    loop_.watch_signal(
        SIGTTOU, [this](const signalfd_siginfo&) { scale(std::max(1, target_workers_ - 1)); });
}

void Master::on_stop_signal(const signalfd_siginfo& si) {
    std::string name = signal_name(static_cast<int>(si.ssi_signo));
    auto sender = static_cast<pid_t>(si.ssi_pid);
    emit(Json{{"event", "signal"}, {"signal", name}, {"sender_pid", sender}}, nullptr,
         "received " + name);
    if (!shutting_down_) {
        stop_sender_ = sender;
        stop_at_ = Clock::now();
        begin_shutdown(0);
        return;
    }
    // One request delivered twice (to ptool, then to its process group) is not "force".
    if (sender == stop_sender_ && Clock::now() - stop_at_ <= kForceStopInterval) return;
    force_stop();
}

void Master::forward_signal(const signalfd_siginfo& si) {
    int sig = static_cast<int>(si.ssi_signo);
    int n = 0;
    for (auto& p : procs_) n += p->child.signal_tree(sig) ? 1 : 0;
    emit(Json{{"event", "signal"}, {"signal", signal_name(sig)}, {"forwarded", n}}, nullptr,
         "received " + signal_name(sig) + "; forwarded to " + std::to_string(n) + " processes");
}

void Master::force_stop() {
    emit(Json{{"event", "force_stop"}, {"workers", procs_.size()}}, nullptr,
         "asked again to stop: killing the workers now");
    for (auto& p : procs_) p->child.signal_tree(SIGKILL);
    for (pid_t pid : orphans_) ::kill(pid, SIGKILL);
}

void Master::begin_shutdown(int code) {
    if (shutting_down_) return;  // a repeat: see on_stop_signal
    shutting_down_ = true;
    exit_code_ = code;
    emit(Json{{"event", "shutdown"}, {"workers", procs_.size()}}, nullptr, "shutting down");
    reload_queue_.clear();
    reload_slots_.clear();
    for (auto& p : procs_) {
        p->retiring = false;
        stop_proc(p.get());
    }
    for (auto& g : generations_)
        if (!g->proc) g->sup->stop(0);  // a restart that was pending
    if (procs_.empty()) stop_orphans();
}

// At shutdown, once the workers are gone: the descendants a subreaper adopted (a
// daemon a worker started in its own session) get the stop signal, SIGKILL after the
// grace, and the master ends when they are reaped.
void Master::stop_orphans() {
    if (!(reaps_orphans())) return finish();
    reap_orphans();
    std::vector<ProcessInfo> table;
    try {
        table = read_process_table(ProcReadOptions{});
    } catch (const Error&) {
    }
    pid_t self = ::getpid();
    for (const auto& proc : table)
        if (proc.ppid == self && proc.state != 'Z' && !orphans_.count(proc.pid)) {
            orphans_.insert(proc.pid);
            ::kill(proc.pid, orphans_killed_ ? SIGKILL : config_.stop_signal);
            ::kill(proc.pid, SIGCONT);
        }
    if (orphans_.empty()) return finish();
    emit(Json{{"event", "stop_orphans"}, {"count", orphans_.size()}}, nullptr,
         "stopping " + std::to_string(orphans_.size()) + " adopted orphan processes");
    if (!orphans_killed_)
        loop_.add_timer(config_.grace, [this] {
            orphans_killed_ = true;
            for (pid_t pid : orphans_) ::kill(pid, SIGKILL);
        });
}

void Master::finish() {
    for (auto& [fd, client] : clients_) {
        try {
            client->channel.flush_blocking(200);
        } catch (const SysError&) {
        }
    }
    events_.finish(200);
    loop_.stop();
}

// tini's loop: every child that ended is reaped, except our own workers, which the
// event loop reaps with their status. waitid(WNOWAIT) shows the next ended child
// without reaping it; when that is one of ours the loop stops, and on_exit() calls
// again once the event loop has reaped it.
void Master::reap_orphans() {
    for (;;) {
        siginfo_t info{};
        if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0) return;
        pid_t pid = info.si_pid;
        if (std::any_of(procs_.begin(), procs_.end(),
                        [pid](const auto& p) { return p->child.pid() == pid; }))
            return;
        ::waitpid(pid, nullptr, WNOHANG);
        if (orphans_.erase(pid) && orphans_.empty() && shutting_down_ && procs_.empty())
            stop_orphans();  // any they left behind, or finish
    }
}

}  // namespace ptool::cluster

namespace ptool {

std::vector<int> cluster_forwarded_signals() {
    // spawn's list (libcommon/core/signals.hpp) less the signals the master gives a meaning:
    // stop (TERM INT QUIT), reload (HUP); TTIN/TTOU (scale) are not in that list. TSTP is
    // passed on too: a supervisor that stops with its terminal would stop supervising.
    static constexpr int own[] = {SIGTERM, SIGINT, SIGQUIT, SIGHUP};
    std::vector<int> out{SIGTSTP};
    for (int sig : forwarded_signals())
        if (std::find(std::begin(own), std::end(own), sig) == std::end(own)) out.push_back(sig);
    return out;
}

int run_cluster(const ClusterConfig& given) {
    if (!given.emit_systemd.empty()) return emit_systemd_units(given);
    if (given.status_query) return print_cluster_status(given);
    if (given.command.empty()) throw UsageError("command is required");
    ClusterConfig config = given;
    apply_init_mode(config, given.workers_given);
    std::optional<Json> state;
    if (const char* text = std::getenv(cluster::kUpgradeStateEnv)) {
        // The image before this one executed us: take over its workers, or stop them.
        auto fd = parse_int(text);
        ::unsetenv(cluster::kUpgradeStateEnv);
        try {
            if (!fd || *fd < 3 || *fd > INT_MAX) throw Error("not an fd number");
            state = cluster::read_upgrade_state(static_cast<int>(*fd));
            cluster::check_upgrade_state(*state);
        } catch (const Error& e) {
            int n = cluster::stop_upgrade_orphans(state ? &*state : nullptr, config.stop_signal,
                                                  std::max<Duration>(config.grace, Duration(1)));
            throw Error(std::string("upgrade: cannot take over from the previous image: ") +
                        e.what() + "; stopped " + std::to_string(n) + " processes");
        }
    } else {
        redirect_master_stderr(config.logs);  // under an upgrade fd 2 already is that file
    }
    cluster::Master master(config, std::move(state));
    return master.run();
}

}  // namespace ptool
