// fork-cluster's workers and the agent: launching each process with its sockets,
// channel and NOTIFY_SOCKET, readiness, exits and restarts by the shared restart
// policy (libcommon/supervise/restart_policy.hpp), retiring, rolling reload, scaling.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>

#include "libcommon/core/error.hpp"
#include "libcommon/core/parse.hpp"
#include "libcommon/procs/procfs.hpp"
#include "tools/fork_cluster/master.hpp"

namespace ptool {

std::optional<std::vector<std::string>> split_simple_command(std::string_view command) {
    std::vector<std::string> words;
    std::string word;
    bool in_word = false;
    for (size_t i = 0; i < command.size(); ++i) {
        char c = command[i];
        if (c == ' ' || c == '\t') {
            if (in_word) words.push_back(std::move(word)), word.clear(), in_word = false;
            continue;
        }
        in_word = true;
        if (c == '\'') {
            size_t end = command.find('\'', i + 1);
            if (end == std::string_view::npos) return std::nullopt;
            word.append(command.substr(i + 1, end - i - 1));
            i = end;
        } else if (c == '"') {
            for (++i; i < command.size() && command[i] != '"'; ++i) {
                if (command[i] == '$' || command[i] == '`') return std::nullopt;
                if (command[i] == '\\' && i + 1 < command.size() &&
                    std::string_view("$`\"\\").find(command[i + 1]) != std::string_view::npos)
                    ++i;
                word += command[i];
            }
            if (i >= command.size()) return std::nullopt;
        } else if (c == '\\') {
            if (i + 1 >= command.size() || command[i + 1] == '\n') return std::nullopt;
            word += command[++i];
        } else if (std::string_view("|&;<>()$`*?[]{}~#!\n\r").find(c) != std::string_view::npos) {
            return std::nullopt;  // shell syntax
        } else {
            word += c;
        }
    }
    if (in_word) words.push_back(std::move(word));
    if (!words.empty() && words[0] == "exec") words.erase(words.begin());
    // An assignment "A=b cmd" is shell syntax too.
    if (words.empty() || words[0].empty() || words[0].starts_with("-") ||
        words[0].find('=') != std::string::npos)
        return std::nullopt;
    return words;
}

}  // namespace ptool

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
                      "PTOOL_AGENT"};
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
    return spec;
}

Proc* Master::launch_proc(int id, bool agent) {
    std::vector<UniqueFd> own_sockets;  // --reuseport: this worker's, closed here after launch
    int next_fd = 0;
    ChildSpec spec = proc_spec(id, agent, own_sockets, next_fd);
    IpcPair pair = make_ipc_pair();
    int channel_fd = std::max(next_fd, kClusterChannelFd);
    rlimit nofile{};
    if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY &&
        static_cast<rlim_t>(channel_fd) >= nofile.rlim_cur)
        channel_fd = std::max(next_fd, static_cast<int>(nofile.rlim_cur) - 1);
    spec.extra_fds.push_back({pair.child.get(), channel_fd});
    for (const auto& kv : ipc_child_env(channel_fd))
        spec.env_set.push_back(parse_env_assignment(kv));
    spec.env_set.push_back(parse_env_assignment(notify_->env_entry()));

    auto proc = std::make_unique<Proc>();
    proc->id = id;
    proc->agent = agent;
    proc->child = launch(spec);
    proc->started = Clock::now();
    pair.child.reset();
    proc->channel = IpcChannel(std::move(pair.parent));
    proc->channel.set_auto_flush(false);  // flushed once per batch: flush_channels()
    proc->channel.set_max_message(config_.max_message);
    Proc* p = proc.get();
    procs_.push_back(std::move(proc));
    loop_.watch_child(p->child, [this, p](const ExitStatus& st) { on_exit(p, st); });
    loop_.watch_fd(p->channel.fd(), EPOLLIN, [this, p](uint32_t ev) { router_.on_channel(p, ev); });
    emit(Json{{"event", "fork"}, {"worker_id", id}, {"pid", p->child.pid()}}, p, "started");
    if (config_.ready == ClusterConfig::Ready::exec) {
        on_ready(p);
    } else {
        p->ready_timer = loop_.add_timer(config_.ready_timeout, [this, p] {
            p->ready_timer = 0;
            emit(Json{{"event", "ready_timeout"}, {"worker_id", p->id}, {"pid", p->child.pid()}}, p,
                 "sent no readiness within " + std::to_string(to_ms(config_.ready_timeout)) +
                     "ms; taken as ready");
            on_ready(p);
        });
    }
    return p;
}

void Master::start_slot(int id) {
    if (shutting_down_ || !slots_.count(id)) return;
    try {
        launch_proc(id, false);
    } catch (const LaunchError& e) {
        if (starting_up_) throw;
        report(e.what());
        last_failed_ = true;
        schedule_restart(id, Duration::zero());
    }
}

void Master::on_exit(Proc* p, const ExitStatus& st) {
    Json ev{{"event", "exit"}, {"worker_id", p->id}, {"pid", p->child.pid()}};
    ev["code"] = st.exited() ? Json(st.code()) : Json(nullptr);
    ev["signal"] = st.exited() ? Json(nullptr) : Json(signal_name(st.signal()));
    emit(ev, p,
         st.exited() ? "exited with code " + std::to_string(st.code())
                     : "killed by " + signal_name(st.signal()));
    loop_.cancel_timer(p->ready_timer);
    loop_.cancel_timer(p->kill_timer);
    if (p->channel.is_open()) loop_.unwatch_fd(p->channel.fd());
    bool expected = p->state == Proc::State::stopping || p->retiring || shutting_down_;
    bool was_starting = p->state == Proc::State::starting;
    int id = p->id;
    bool agent = p->agent;
    Duration uptime = Clock::now() - p->started;
    procs_.remove_if([p](const auto& q) { return q.get() == p; });

    bool failed = !(st.exited() && st.code() == 0);
    if (reaps_orphans()) reap_orphans();  // they may have waited behind it
    if (shutting_down_) {
        if (procs_.empty()) stop_orphans();
        return;
    }
    if (!expected) last_failed_ = failed;
    bool slot_active = agent || slots_.count(id);
    bool others = std::any_of(procs_.begin(), procs_.end(), [&](const auto& q) {
        return q->id == id && q->agent == agent && q->serving();
    });
    bool restart = slot_active && !expected && !others && policy_.restarts_after(failed);
    if (restart) {
        schedule_restart(agent ? 0 : id, uptime);
    } else if (!agent && id == reload_slot_ && was_starting && !others) {
        advance_reload();  // the replacement will not come
    }
    bool pending = std::any_of(slots_.begin(), slots_.end(),
                               [](const auto& s) { return s.second.restart_timer != 0; });
    if (procs_.empty() && !pending && !restart && target_workers_ > 0) {
        exit_code_ = last_failed_ ? exit_code::failure : exit_code::ok;
        finish();
    }
}

void Master::schedule_restart(int id, Duration uptime) {
    Slot& restarting = slot(id);  // id 0: the agent's
    if (!budget_.spend(Clock::now())) {
        emit(Json{{"event", "give_up"},
                  {"restarts", config_.max_restarts},
                  {"window_ms", to_ms(config_.restart_window)}},
             nullptr,
             "more than " + std::to_string(config_.max_restarts) + " restarts within " +
                 std::to_string(to_ms(config_.restart_window)) + "ms; stopping");
        begin_shutdown(exit_code::failure);
        return;
    }
    Duration delay = restarting.backoff.next(uptime);
    emit(Json{{"event", "restart"}, {"worker_id", id}, {"delay_ms", to_ms(delay)}}, nullptr,
         (id == 0 ? std::string("agent") : "worker " + std::to_string(id)) + " restarts in " +
             std::to_string(to_ms(delay)) + "ms");
    restarting.restart_timer = loop_.add_timer(delay, [this, id] {
        slot(id).restart_timer = 0;
        if (id == 0) {
            if (shutting_down_) return;
            try {
                launch_proc(0, true);
            } catch (const LaunchError& e) {
                report(e.what());
                schedule_restart(0, Duration::zero());
            }
        } else {
            start_slot(id);
        }
    });
}

// A worker's slot, or (id 0) the agent's, made when first needed.
Slot& Master::slot(int id) {
    return slots_.try_emplace(id, policy_).first->second;
}

void Master::on_ready(Proc* p) {
    if (p->state != Proc::State::starting) return;
    loop_.cancel_timer(p->ready_timer);
    p->ready_timer = 0;
    p->state = Proc::State::online;
    emit(Json{{"event", "online"}, {"worker_id", p->id}, {"pid", p->child.pid()}}, p, "online");
    for (auto& q : procs_)
        if (q.get() != p && q->id == p->id && q->agent == p->agent && q->replace_me)
            stop_proc(q.get());
    if (!p->agent && p->id == reload_slot_) advance_reload();
}

void Master::stop_proc(Proc* p) {
    if (p->state == Proc::State::stopping) return;
    p->state = Proc::State::stopping;
    p->child.signal_tree(config_.stop_signal);
    kill_after_grace(p);
}

// SIGKILL to the process's tree once the grace is over (a retiring worker's timer is
// replaced when it is then stopped: the timers hold p, cancelled in on_exit).
void Master::kill_after_grace(Proc* p) {
    loop_.cancel_timer(p->kill_timer);
    p->kill_timer = loop_.add_timer(config_.grace, [p] {
        p->kill_timer = 0;
        p->child.signal_tree(SIGKILL);
    });
}

void Master::retire(Proc* p) {
    if (p->retiring || p->state == Proc::State::stopping) return;
    p->retiring = true;
    emit(Json{{"event", "retire"}, {"worker_id", p->id}, {"pid", p->child.pid()}}, p, "retiring");
    kill_after_grace(p);
    if (p->agent) {
        if (!shutting_down_) launch_proc(0, true);
    } else {
        start_slot(p->id);
    }
}

void Master::reload() {
    if (shutting_down_) return;
    emit(Json{{"event", "reload"}, {"workers", slots_.size()}}, nullptr, "rolling reload");
    // Every worker older than this HUP goes, the one being replaced now included: its
    // replacement started before the HUP, so it is queued again.
    for (const auto& [id, slot] : slots_)
        if (id > 0 &&
            std::find(reload_queue_.begin(), reload_queue_.end(), id) == reload_queue_.end())
            reload_queue_.push_back(id);
    if (reload_slot_ == 0) advance_reload();
}

void Master::advance_reload() {
    reload_slot_ = 0;
    while (!reload_queue_.empty() && !shutting_down_) {
        int id = reload_queue_.front();
        reload_queue_.pop_front();
        auto slot = slots_.find(id);
        if (slot == slots_.end()) continue;
        for (auto& p : procs_)
            if (!p->agent && p->id == id && p->serving()) p->replace_me = true;
        reload_slot_ = id;
        // A slot waiting for a restart gets its replacement from that restart.
        if (slot->second.restart_timer == 0) start_slot(id);
        return;
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
        loop_.cancel_timer(it->second.restart_timer);
        it = slots_.erase(it);
        for (auto& p : procs_)
            if (!p->agent && p->id == id) stop_proc(p.get());
        if (id == reload_slot_) advance_reload();
    }
    return target_workers_;
}

void Master::on_notify() {
    while (auto msg = notify_->receive()) {
        if (!msg->ready()) continue;
        pid_t pid = msg->main_pid().value_or(msg->sender_pid);
        if (Proc* p = find_by_pid(pid, true)) on_ready(p);
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
