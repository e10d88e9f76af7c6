// fork-cluster's health checks beside the Supervisor's: readiness probes for workers
// that cannot notify (--ready tcp:|http:|exec:, probes.cpp), a worker whose probe never
// answers being stopped as failed (restarted by the policy, like a crash).
#include <signal.h>

#include "libcommon/core/error.hpp"
#include "libcommon/core/parse.hpp"
#include "tools/fork_cluster/master.hpp"

namespace ptool::cluster {

void Master::start_probe(Proc* p) {
    const ProbeSpec& spec = config_.probe;
    bool shared = false;
    if (spec.kind != ProbeSpec::Kind::exec)
        for (const auto& a : bound_)
            if (a.kind == ListenAddress::Kind::tcp && a.port == spec.port) shared = true;
    p->probe = std::make_unique<ReadyProbe>(
        loop_, spec, p->child.pid(), p->id, shared, config_.ready_timeout,
        [this, p] {
            on_ready(p);
            loop_.add_timer(Duration::zero(), [this, p] {
                for (auto& q : procs_)
                    if (q.get() == p && q->state != Proc::State::starting) q->probe.reset();
            });
        },
        [this, p] {
            emit(Json{{"event", "ready_timeout"},
                      {"worker_id", p->id},
                      {"pid", p->child.pid()},
                      {"probe", config_.probe.text},
                      {"timeout", format_duration(config_.ready_timeout)}},
                 p,
                 "probe " + config_.probe.text + " did not answer within " +
                     format_duration(config_.ready_timeout) + "; stopping it as failed");
            stop_hung(p);
        });
}

}  // namespace ptool::cluster

namespace ptool::cluster {

// A hung worker gets the stop signal, SIGKILL after --grace, and its exit counts as a
// failure: its Supervisor is not stopped, so the restart policy decides what follows.
void Master::stop_hung(Proc* p) {
    p->hung = true;
    p->state = Proc::State::stopping;
    p->child.signal_tree(config_.stop_signal);
    p->child.signal_tree(SIGCONT);
    pid_t pid = p->child.pid();
    loop_.add_timer(kill_grace(), [this, p, pid] {
        for (auto& q : procs_)
            if (q.get() == p && q->hung && q->child.pid() == pid) {
                emit_killed(p);
                q->child.signal_tree(SIGKILL);
            }
    });
}

// A stopping worker outlived --grace: it is killed (SIGKILL to its process group).
void Master::emit_killed(const Proc* p) {
    emit(Json{{"event", "kill"},
              {"worker_id", p->id},
              {"pid", p->child.pid()},
              {"grace", format_duration(config_.grace)}},
         p, "did not stop within " + format_duration(config_.grace) + " (--grace); killing it");
}

// Every --check-interval while anything needs it (--max-rss), a quarter of --watchdog
// when that is shorter.
void Master::start_health_checks() {
    if (!config_.max_rss && config_.watchdog == Duration::zero()) return;
    Duration every = config_.max_rss ? Duration(config_.check_interval) : Duration::max();
    if (config_.watchdog > Duration::zero()) every = std::min(every, config_.watchdog / 4);
    every = std::max<Duration>(every, std::chrono::milliseconds(10));
    loop_.add_timer(every, [this] {
        if (shutting_down_) return;
        if (config_.max_rss) check_health();
        if (config_.watchdog > Duration::zero()) check_watchdog();
        start_health_checks();
    });
}

// sd_watchdog_enabled(3)'s variables: WATCHDOG_PID is the worker's own pid.
void Master::add_watchdog_env(ChildSpec& spec) const {
    if (config_.watchdog == Duration::zero()) return;
    auto usec = std::chrono::duration_cast<std::chrono::microseconds>(config_.watchdog).count();
    spec.env_set.emplace_back("WATCHDOG_USEC", std::to_string(usec));
    spec.env_own_pid.push_back("WATCHDOG_PID");
}

// An online worker silent for --watchdog is hung (a blocked event loop still holds its
// sockets): stopped as failed, and restarted under the policy.
void Master::check_watchdog() {
    auto now = Clock::now();
    std::vector<Proc*> hung;
    for (auto& p : procs_)
        if (p->state == Proc::State::online && !p->hung && now - p->last_beat > config_.watchdog)
            hung.push_back(p.get());
    for (Proc* p : hung) {
        emit(Json{{"event", "watchdog"},
                  {"worker_id", p->id},
                  {"pid", p->child.pid()},
                  {"silent_ms", to_ms(now - p->last_beat)},
                  {"watchdog", format_duration(config_.watchdog)}},
             p,
             "sent no heartbeat for " + format_duration(config_.watchdog) +
                 " (--watchdog): stopping it as hung");
        stop_hung(p);
    }
}

// A worker over --max-rss is replaced as a rolling reload replaces one: its successor
// starts, and once that one is ready the old one gets the stop signal and --grace
// (pm2's max_memory_restart kills it where it stands, requests and all).
void Master::check_health() {
    long long limit_kb = static_cast<long long>(*config_.max_rss / 1024);
    std::vector<Proc*> over;
    for (auto& p : procs_) {
        if (p->agent || !p->serving() || p->state != Proc::State::online) continue;
        if (!slots_.count(p->id) || reload_replacing(p->id)) continue;
        ProcUsage u = read_proc_usage(p->child.pid());
        if (u.valid && u.rss_kb > limit_kb) over.push_back(p.get());
    }
    for (Proc* p : over) {
        ProcUsage u = read_proc_usage(p->child.pid());
        ++counters_.rss_retired;
        emit(Json{{"event", "max_rss"},
                  {"worker_id", p->id},
                  {"pid", p->child.pid()},
                  {"rss_kb", u.rss_kb},
                  {"limit_kb", limit_kb}},
             p,
             "uses " + std::to_string(u.rss_kb) + " KiB, over --max-rss (" +
                 std::to_string(limit_kb) + " KiB): replacing it");
        p->replace_me = true;
        if (!restart_pending(p->id)) start_slot(p->id);
    }
}

}  // namespace ptool::cluster
