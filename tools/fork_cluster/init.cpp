// fork-cluster as a container's init (--init, tini's semantics): one worker, never
// restarted, every signal passed on to it as received (TERM INT QUIT stop it, HUP TTIN
// TTOU are forwarded, not reload and scale), orphans reaped, and the worker's exit
// status as the master's own: its code, or 128+N when signal N killed it.
#include <signal.h>

#include "libcommon/core/error.hpp"
#include "libcommon/core/signals.hpp"
#include "tools/fork_cluster/master.hpp"

namespace ptool {

void apply_init_mode(ClusterConfig& config, bool workers_given) {
    if (!config.init) return;
    if (workers_given && config.workers != 1)
        throw UsageError("--init runs exactly one worker, not -w " +
                         std::to_string(config.workers));
    if (!config.agent.empty()) throw UsageError("--init and --agent cannot be combined");
    config.workers = 1;
    config.restart = ClusterConfig::Restart::never;
    config.subreaper = true;
}

}  // namespace ptool

namespace ptool::cluster {

// One worker that is never restarted: its status becomes the master's.
bool Master::passes_exit_status() const {
    return config_.init || (config_.workers == 1 && config_.agent.empty() &&
                            config_.restart == ClusterConfig::Restart::never);
}

void Master::note_worker_exit(const Proc& p, const ExitStatus& status) {
    if (!p.agent) last_worker_status_ = status;
}

// The master's exit status: 1 when the restart budget ran out; with one worker that is
// never restarted, the worker's status when it ended by itself (and with --init also
// when a signal stopped it); else 0 after a graceful shutdown, 1 when the last worker
// failed.
int Master::final_status() const {
    if (!passes_exit_status() || !last_worker_status_) return exit_code_;
    if (shutting_down_ && (!config_.init || exit_code_ != exit_code::ok)) return exit_code_;
    return last_worker_status_->shell_status();
}

int Master::stop_signal() const {
    return init_stop_signal_ ? init_stop_signal_ : config_.stop_signal;
}

// --init: the signal that stops the master stops the worker too (tini forwards it).
void Master::watch_init_signals() {
    for (int sig : {SIGTERM, SIGINT, SIGQUIT})
        loop_.watch_signal(sig, [this](const signalfd_siginfo& si) {
            if (!shutting_down_) init_stop_signal_ = static_cast<int>(si.ssi_signo);
            on_stop_signal(si);
        });
    std::vector<int> forwarded = cluster_forwarded_signals();
    for (int sig : {SIGHUP, SIGTTIN, SIGTTOU}) forwarded.push_back(sig);
    loop_.watch_signals(forwarded, [this](const signalfd_siginfo& si) { forward_signal(si); });
}

}  // namespace ptool::cluster
