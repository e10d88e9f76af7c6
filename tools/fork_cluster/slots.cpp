// fork-cluster's workers and the agent: each slot's generations on the shared
// Supervisor (libcommon/supervise/supervisor.hpp: restarts, ready timeout, grace then
// SIGKILL), launching each process with its sockets, channel and NOTIFY_SOCKET, the
// cluster's restart decision, retiring, rolling reload, scaling.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>

#include "libcommon/core/error.hpp"
#include "libcommon/core/parse.hpp"
#include "libcommon/procs/procfs.hpp"
#include "tools/fork_cluster/master.hpp"

namespace ptool::cluster {

// A worker's (or the agent's) spec up to its IPC channel: argv, its own process group,
// the listening sockets from fd 3 on (`next_fd`: the first fd after them) and their
// LISTEN_* variables. `own_sockets`: the --reuseport sockets bound for it.
ChildSpec Master::proc_spec(int id, bool agent, std::vector<UniqueFd>& own_sockets, int& next_fd) {
    ChildSpec spec;
    if (agent) {
        // Executed directly like a worker when it is a plain command, so that the death
        // signal reaches the agent itself, not a shell between.
        auto words = split_simple_command(config_.agent);
        spec.argv = words ? *words : std::vector<std::string>{"/bin/sh", "-c", config_.agent};
    } else {
        spec.argv = config_.command;
    }
    spec.new_process_group = true;  // a graceful stop reaches the worker's own children too
    spec.parent_death_signal = SIGKILL;
    spec.env_unset = {"LISTEN_FDS",
                      "LISTEN_PID",
                      "LISTEN_FDNAMES",
                      "NODE_CHANNEL_FD",
                      "NODE_CHANNEL_SERIALIZATION_MODE",
                      "PTOOL_WORKER_ID",
                      "PTOOL_AGENT",
                      kUpgradeStateEnv};
    next_fd = kListenFdsStart;
    if (!agent) {
        for (size_t i = 0; i < sockets_.size(); ++i) {
            int fd = sockets_[i].get();
            if (per_worker_socket(bound_[i])) {
                BindOptions opts;
                opts.reuse_port = true;
                own_sockets.push_back(bind_listen(bound_[i], opts));
                fd = own_sockets.back().get();
            }
            spec.extra_fds.push_back({fd, next_fd++});
        }
        if (!sockets_.empty()) {
            for (const auto& kv : listen_env(socket_names_))
                spec.env_set.push_back(parse_env_assignment(kv));
            spec.env_own_pid.push_back(kListenPidEnv);
        }
        spec.env_set.emplace_back("PTOOL_WORKER_ID", std::to_string(id));
        spec.env_set.emplace_back("PTOOL_WORKERS", std::to_string(target_workers_));
    } else {
        spec.env_set.emplace_back("PTOOL_AGENT", "1");
    }
    apply_run_as(config_.run_as, spec, Supplementary::none);
    return spec;
}

// A slot's new generation, its Supervisor's hooks being the cluster's lifecycle.
Generation& Master::new_generation(int id, bool agent) {
    auto gen = std::make_unique<Generation>();
    Generation& g = *gen;
    g.id = id;
    g.agent = agent;
    SupervisorHooks hooks;
    hooks.make_spec = [this, &g] { return launch_spec(g.id, g.agent); };
    hooks.started = [this, &g](Child&) { on_started(g); };
    hooks.decide = [this, &g](const SupervisedExit& exit) { return on_exit(g, exit); };
    hooks.exited = [this, &g](const SupervisedExit& exit) { on_exited(g, exit); };
    hooks.ready = [this, &g] { on_proc_ready(g); };
    hooks.done = [this, &g] {
        loop_.add_timer(Duration::zero(), [this, &g] {
            generations_.remove_if([&g](const auto& other) { return other.get() == &g; });
        });
    };
    hooks.killed = [this, &g] {
        if (Proc* p = g.proc) emit_killed(p);
    };
    g.sup = std::make_unique<Supervisor>(loop_, ChildSpec{}, policy_, budget_, std::move(hooks),
                                         agent ? agent_backoff_ : slot(id).backoff);
    if (config_.ready == ClusterConfig::Ready::message)
        g.sup->set_ready_timeout(config_.ready_timeout, [this, &g] {
            Proc* p = g.proc;
            emit(Json{{"event", "ready_timeout"},
                      {"worker_id", p->id},
                      {"pid", p->child.pid()},
                      {"timeout", format_duration(config_.ready_timeout)}},
                 p,
                 "sent no readiness within " + format_duration(config_.ready_timeout) +
                     "; taken as ready");
        });
    generations_.push_back(std::move(gen));
    return g;
}

// What each start launches: the spec with a new IPC channel and NOTIFY_SOCKET (the
// channel's parent end and the --reuseport sockets wait for on_started).
ChildSpec Master::launch_spec(int id, bool agent) {
    launch_sockets_.clear();
    int next_fd = 0;
    ChildSpec spec = proc_spec(id, agent, launch_sockets_, next_fd);
    launch_pair_ = make_ipc_pair();
    int channel_fd = std::max(next_fd, kClusterChannelFd);
    rlimit nofile{};
    if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY &&
        static_cast<rlim_t>(channel_fd) >= nofile.rlim_cur)
        channel_fd = std::max(next_fd, static_cast<int>(nofile.rlim_cur) - 1);
    spec.extra_fds.push_back({launch_pair_.child.get(), channel_fd});
    for (const auto& kv : ipc_child_env(channel_fd))
        spec.env_set.push_back(parse_env_assignment(kv));
    spec.env_set.push_back(parse_env_assignment(notify_->env_entry()));
    if (logs_) spec.stdio[1] = spec.stdio[2] = StdioSpec::pipe();
    add_watchdog_env(spec);
    return spec;
}

// A run began: its Proc, channel and "fork" event.
void Master::on_started(Generation& g) {
    auto proc = std::make_unique<Proc>(*g.sup, g.id, g.agent);
    proc->started = Clock::now();
    proc->generation = counters_.reloads;
    launch_pair_.child.reset();
    launch_sockets_.clear();
    proc->channel = IpcChannel(std::move(launch_pair_.parent));
    proc->channel.set_auto_flush(false);  // flushed once per batch: flush_channels()
    proc->channel.set_max_message(config_.max_message);
    Proc* p = proc.get();
    g.proc = p;
    procs_.push_back(std::move(proc));
    loop_.watch_fd(p->channel.fd(), EPOLLIN, [this, p](uint32_t ev) { router_.on_channel(p, ev); });
    emit(Json{{"event", "fork"}, {"worker_id", g.id}, {"pid", p->child.pid()}}, p, "started");
    if (logs_) attach_logs(p);
    if (config_.ready == ClusterConfig::Ready::exec) g.sup->mark_ready();
    if (config_.ready == ClusterConfig::Ready::probe) start_probe(p);
}

void Master::start_slot(int id) {
    if (shutting_down_ || !slots_.count(id)) return;
    Generation& g = new_generation(id, false);
    if (starting_up_)
        g.sup->start();
    else
        g.sup->start_or_retry();
}

// The Supervisor's question after a run (or a launch) ended: restart? The cluster's
// answer depends on the other processes of the slot, the reload and the shutdown.
bool Master::on_exit(Generation& g, const SupervisedExit& exit) {
    if (!exit.status) {  // a launch failed: always tried again (the budget decides)
        report(exit.error);
        if (g.agent)
            slot(0).backoff = agent_backoff_;
        else
            last_failed_ = true;
        return true;
    }
    const ExitStatus& st = *exit.status;
    Proc* p = g.proc;
    g.proc = nullptr;
    note_worker_exit(*p, st);
    Json ev{{"event", "exit"}, {"worker_id", p->id}, {"pid", p->child.pid()}};
    ev["code"] = st.exited() ? Json(st.code()) : Json(nullptr);
    ev["signal"] = st.exited() ? Json(nullptr) : Json(signal_name(st.signal()));
    emit(ev, p,
         st.exited() ? "exited with code " + std::to_string(st.code())
                     : "killed by " + signal_name(st.signal()));
    if (p->channel.is_open()) loop_.unwatch_fd(p->channel.fd());
    note_exit(p->agent ? 0 : p->id, st);
    bool expected =
        (p->state == Proc::State::stopping && !p->hung) || p->retiring || shutting_down_;
    bool was_starting = p->state == Proc::State::starting;
    int id = p->id;
    pid_t p_pid = p->child.pid();
    bool agent = p->agent;
    bool failed = p->hung || !(st.exited() && st.code() == 0);
    bool hung = p->hung;
    bool replacement = !agent && reload_replacing(id) && !p->replace_me && (was_starting || hung);
    if (logs_) logs_->detach(p);
    procs_.remove_if([p](const auto& q) { return q.get() == p; });

    if (reaps_orphans()) reap_orphans();  // they may have waited behind it
    if (shutting_down_) {
        if (procs_.empty()) stop_orphans();
        return false;
    }
    if (replacement && reload_failed(id, p_pid, st, hung)) return false;
    if (!expected) last_failed_ = failed;
    bool slot_active = agent || slots_.count(id);
    bool others = std::any_of(procs_.begin(), procs_.end(), [&](const auto& q) {
        return q->id == id && q->agent == agent && q->serving();
    });
    bool restart = slot_active && !expected && !others && policy_.restarts_after(failed);
    if (restart) {
        if (agent) slot(0).backoff = agent_backoff_;
        return true;
    }
    if (!agent && reload_replacing(id) && was_starting && !others)
        reload_slot_done(id);  // the replacement will not come
    if (procs_.empty() && !restart_pending(std::nullopt) && target_workers_ > 0) {
        exit_code_ = last_failed_ ? exit_code::failure : exit_code::ok;
        finish();
    }
    return false;
}

// The Supervisor's verdict: a restart after its delay, or the budget is spent.
void Master::on_exited(const Generation& g, const SupervisedExit& exit) {
    if (exit.next == SupervisedExit::Next::give_up) {
        emit(Json{{"event", "give_up"},
                  {"restarts", config_.max_restarts},
                  {"window_ms", to_ms(config_.restart_window)},
                  {"window", format_duration(config_.restart_window)}},
             nullptr,
             "more than " + std::to_string(config_.max_restarts) + " restarts within " +
                 format_duration(config_.restart_window) + "; stopping");
        begin_shutdown(exit_code::failure);
    } else if (exit.next == SupervisedExit::Next::restart) {
        int id = g.agent ? 0 : g.id;
        ++counters_.restarts;
        // The first delay is --restart-delay itself, as typed; the doubled ones are computed.
        std::string delay = exit.delay == config_.restart_delay
                                ? format_duration(config_.restart_delay)
                                : format_duration(exit.delay);
        emit(Json{{"event", "restart"},
                  {"worker_id", id},
                  {"delay_ms", to_ms(exit.delay)},
                  {"delay", delay}},
             nullptr,
             (id == 0 ? std::string("agent") : "worker " + std::to_string(id)) + " restarts in " +
                 delay);
    }
}

// A worker's slot, or (id 0) the agent's, made when first needed.
Slot& Master::slot(int id) {
    return slots_.try_emplace(id, policy_).first->second;
}

// Is a restart waiting, in the worker slot `worker_id` (nullopt: in any slot)?
bool Master::restart_pending(std::optional<int> worker_id) const {
    return std::any_of(generations_.begin(), generations_.end(), [&](const auto& g) {
        return g->sup->restart_pending() && (!worker_id || (!g->agent && g->id == *worker_id));
    });
}

void Master::on_ready(Proc* p) {
    if (p->state == Proc::State::starting) p->sup.mark_ready();
}

void Master::on_proc_ready(Generation& g) {
    Proc* p = g.proc;
    if (p->state != Proc::State::starting) return;
    p->state = Proc::State::online;
    p->last_beat = Clock::now();
    emit(Json{{"event", "online"}, {"worker_id", p->id}, {"pid", p->child.pid()}}, p, "online");
    for (auto& q : procs_)
        if (q.get() != p && q->id == p->id && q->agent == p->agent && q->replace_me)
            stop_proc(q.get());
    if (!p->agent && reload_replacing(p->id)) reload_slot_done(p->id);
    if (p->agent) on_agent_online(*p);
}

// The stop signal to the process's tree, SIGKILL once the grace is over (the
// Supervisor's; a retiring worker's grace starts anew).
void Master::stop_proc(Proc* p) {
    if (p->state == Proc::State::stopping) return;
    p->state = Proc::State::stopping;
    p->sup.stop(stop_signal(), kill_grace());
}

void Master::retire(Proc* p) {
    if (p->retiring || p->state == Proc::State::stopping) return;
    p->retiring = true;
    emit(Json{{"event", "retire"}, {"worker_id", p->id}, {"pid", p->child.pid()}}, p, "retiring");
    p->sup.stop(0, kill_grace());  // it goes by itself, or is killed after the grace
    if (p->agent) {
        if (!shutting_down_) new_generation(0, true).sup->start();
    } else {
        start_slot(p->id);
    }
}

int Master::scale(int workers) {
    if (shutting_down_ || workers < 0) return target_workers_;
    int before = target_workers_;
    target_workers_ = workers;
    if (before != workers && !starting_up_)
        emit(Json{{"event", "scale"}, {"workers", workers}}, nullptr,
             "scaling to " + std::to_string(workers) + " workers");
    for (int id = 1; id <= workers; ++id) {
        if (slots_.count(id)) continue;
        slots_.emplace(id, Slot(policy_));
        start_slot(id);
    }
    for (auto it = slots_.begin(); it != slots_.end();) {
        int id = it->first;
        if (id <= workers || id == 0) {
            ++it;
            continue;
        }
        it = slots_.erase(it);
        for (auto& g : generations_) {
            if (g->agent || g->id != id) continue;
            if (g->proc)
                stop_proc(g->proc);
            else
                g->sup->stop(0);  // a restart that was pending
        }
        if (reload_replacing(id)) reload_slot_done(id);
    }
    return target_workers_;
}

void Master::on_notify() {
    while (auto msg = notify_->receive()) {
        bool beat = msg->get("WATCHDOG") == "1";
        if (!msg->ready() && !beat) continue;
        pid_t pid = msg->main_pid().value_or(msg->sender_pid);
        Proc* p = find_by_pid(pid, true);
        if (p && beat) on_heartbeat(p);
        if (p && msg->ready()) on_ready(p);
    }
}

// The process itself, or (for a helper such as systemd-notify) its nearest ancestor
// that is one of ours.
Proc* Master::find_by_pid(pid_t pid, bool walk_parents) {
    for (int depth = 0; pid > 1 && depth < 16; ++depth) {
        for (auto& p : procs_)
            if (p->child.pid() == pid) return p.get();
        if (!walk_parents) break;
        try {
            auto stat = parse_stat_line(read_file("/proc/" + std::to_string(pid) + "/stat"));
            if (!stat) break;
            pid = stat->ppid;
        } catch (const Error&) {
            break;
        }
    }
    return nullptr;
}

}  // namespace ptool::cluster
