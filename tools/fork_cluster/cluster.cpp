#include "tools/fork_cluster/cluster.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <list>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "tools/fork_cluster/cluster_control.hpp"
#include "libcommon/core/error.hpp"
#include "libcommon/launch/event_loop.hpp"
#include "libcommon/launch/ipc.hpp"
#include "libcommon/launch/launcher.hpp"
#include "libcommon/supervise/notify.hpp"
#include "libcommon/core/output.hpp"
#include "libcommon/core/parse.hpp"
#include "libcommon/procs/procfs.hpp"
#include "libcommon/core/signals.hpp"

namespace ptool {

Duration restart_backoff(Duration base, Duration max, int level) {
    Duration d = base;
    for (int i = 0; i < level && d < max; ++i) d *= 2;
    return std::min(d, max);
}

bool RestartBudget::spend(std::chrono::steady_clock::time_point now) {
    times_.push_back(now);
    while (!times_.empty() && now - times_.front() > window_) times_.pop_front();
    return max_ <= 0 || static_cast<int>(times_.size()) <= max_;
}

std::optional<RouteTarget> parse_route_target(std::string_view text) {
    using K = RouteTarget::Kind;
    static const std::pair<std::string_view, K> names[] = {
        {"master", K::master}, {"all", K::all},       {"workers", K::workers},
        {"agent", K::agent},   {"random", K::random},
    };
    for (const auto& [name, kind] : names)
        if (text == name) return RouteTarget{kind, 0};
    for (auto [prefix, kind] : {std::pair{std::string_view("worker:"), K::worker_id},
                                std::pair{std::string_view("pid:"), K::pid}}) {
        if (!text.starts_with(prefix)) continue;
        auto n = parse_int(text.substr(prefix.size()));
        if (!n || *n <= 0) return std::nullopt;
        return RouteTarget{kind, *n};
    }
    return std::nullopt;
}

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

namespace {

using Json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;
constexpr auto kReplace = Json::error_handler_t::replace;
constexpr size_t kMaxControlClients = 64;
// Replies a control client has not read yet; past this it is dropped (a client that
// sends requests and never reads must not grow the master).
constexpr size_t kMaxClientOutput = 1024 * 1024;
// Event lines waiting for a slow reader of stderr; past this they are dropped, counted.
constexpr size_t kMaxEventBuffer = 1024 * 1024;

long long to_ms(Duration d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

// One supervised process: a worker (slot id >= 1) or the agent (id 0).
struct Proc {
    enum class State { starting, online, stopping };
    int id = 0;
    bool agent = false;
    Child child;
    IpcChannel channel;
    State state = State::starting;
    bool retiring = false;    // asked to go by itself; its replacement runs
    bool replace_me = false;  // a rolling reload is replacing it
    Clock::time_point started;
    EventLoop::TimerId ready_timer = 0;
    EventLoop::TimerId kill_timer = 0;

    bool serving() const { return state != State::stopping && !retiring && !replace_me; }
    const char* state_name() const {
        if (state == State::stopping) return "stopping";
        if (retiring) return "retiring";
        return state == State::online ? "online" : "starting";
    }
};

struct Slot {
    int backoff_level = 0;
    int restarts = 0;
    EventLoop::TimerId restart_timer = 0;
};

struct ControlClient {
    IpcChannel channel;
    bool closing = false;
};

std::string json_drop_notice(size_t dropped) {
    return Json{{"event", "events_dropped"}, {"count", dropped}}.dump() + "\n";
}

std::string text_drop_notice(size_t dropped) {
    return program_name() + ": " + std::to_string(dropped) +
           " event lines dropped: the reader of stderr fell behind\n";
}

class Master final : public ControlActions {
public:
    explicit Master(const ClusterConfig& config)
        : config_(config),
          budget_(config.max_restarts, config.restart_window),
          events_(STDERR_FILENO, kMaxEventBuffer,
                  config.json ? json_drop_notice : text_drop_notice) {}
    ~Master() override;
    int run();

    // ControlActions: what a control request can do.
    IpcJson status() override;
    bool shutting_down() const override { return shutting_down_; }
    void reload() override;
    int scale(int workers) override;
    int send(const RouteTarget& target, const IpcJson& data, int fd) override {
        return route(data, fd, target, nullptr);
    }
    void stop() override { begin_shutdown(0); }

private:
    // setup
    bool per_worker_socket(const ListenAddress& a) const {
        return config_.reuse_port && a.kind != ListenAddress::Kind::unix_path;
    }
    void bind_sockets();
    void setup_control();
    void watch_signals();
    // process lifecycle
    Proc* launch_proc(int id, bool agent);
    void start_slot(int id);
    void on_exit(Proc* p, const ExitStatus& status);
    void on_ready(Proc* p);
    void stop_proc(Proc* p);
    void retire(Proc* p);
    void schedule_restart(int id, Duration uptime);
    void on_stop_signal(const signalfd_siginfo& si);
    void forward_signal(const signalfd_siginfo& si);
    void begin_shutdown(int code);
    void force_stop();
    void finish();
    void advance_reload();
    void reap_orphans();
    void stop_orphans();
    // messages
    void on_channel(Proc* p, uint32_t events);
    void on_message(Proc* p, IpcDecoded message);
    void handle_message(Proc* p, IpcDecoded message);
    int route(const Json& data, int fd, const RouteTarget& target, const Proc* from);
    void deliver(Proc* p, const Json& data, int fd);
    void send_failed(Proc* p, const Json& to, const std::string& why, const Json& data);
    void flush_channels();
    void update_channel_watch(Proc* p);
    void on_notify();
    Proc* find_by_pid(pid_t pid, bool walk_parents);
    // control socket
    void on_control_accept();
    void on_control_client(int fd, uint32_t events);
    // events
    void emit(Json event, const Proc* p, const std::string& human);
    void report(const std::string& message);  // an error line, as an "error" event
    void watch_events_fd();

    const ClusterConfig& config_;
    EventLoop loop_;
    std::vector<UniqueFd> sockets_;     // shared sockets, or port holders with --reuseport
    std::vector<ListenAddress> bound_;  // the addresses with their real ports
    std::vector<std::string> socket_names_;
    std::optional<NotifyReceiver> notify_;
    UniqueFd control_;
    std::map<int, std::unique_ptr<ControlClient>> clients_;
    std::list<std::unique_ptr<Proc>> procs_;
    std::map<int, Slot> slots_;  // active worker slots by id
    int target_workers_ = 0;
    RestartBudget budget_;
    std::deque<int> reload_queue_;
    int reload_slot_ = 0;
    bool shutting_down_ = false;
    bool starting_up_ = true;
    bool last_failed_ = false;
    int exit_code_ = 0;
    std::mt19937 rng_{std::random_device{}()};
    pid_t stop_sender_ = -1;  // the first stop signal's si_pid (-1: not stopped by a signal)
    Clock::time_point stop_at_;
    std::set<pid_t> orphans_;  // adopted descendants being stopped at shutdown
    bool orphans_killed_ = false;
    EventWriter events_;
};

Master::~Master() {
    for (auto& [fd, client] : clients_) loop_.unwatch_fd(fd);
    if (events_.poll_fd() >= 0) loop_.unwatch_fd(events_.poll_fd());
    if (control_) ::unlink(config_.control_path.c_str());
    for (const auto& a : bound_)
        if (a.kind == ListenAddress::Kind::unix_path) ::unlink(a.path.c_str());
}

int Master::run() {
    ::signal(SIGPIPE, SIG_IGN);  // children get default dispositions back from the launcher
    if (config_.subreaper || ::getpid() == 1) {
        if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
            throw SysError("prctl(PR_SET_CHILD_SUBREAPER)", errno);
        loop_.watch_signal(SIGCHLD, [this](const signalfd_siginfo&) { reap_orphans(); });
    }
    bind_sockets();
    notify_.emplace(NotifyReceiver::create());
    loop_.watch_fd(notify_->fd(), EPOLLIN, [this](uint32_t) { on_notify(); });
    if (!config_.control_path.empty()) setup_control();
    watch_signals();

    if (!config_.agent.empty()) launch_proc(0, true);
    scale(config_.workers);
    starting_up_ = false;
    loop_.run();
    return exit_code_;
}

void Master::bind_sockets() {
    for (const auto& address : config_.listen) {
        BindOptions opts;
        // With --reuseport the master only holds the port; each worker gets its own socket.
        opts.reuse_port = per_worker_socket(address);
        opts.listen = !opts.reuse_port;
        UniqueFd fd = bind_listen(address, opts);
        ListenAddress real = address;
        if (real.kind != ListenAddress::Kind::unix_path) real.port = bound_port(fd.get());
        Json ev{{"event", "listen"}, {"address", bound_address(fd.get())}, {"name", address.name}};
        emit(ev, nullptr, "listening on " + bound_address(fd.get()));
        sockets_.push_back(std::move(fd));
        socket_names_.push_back(address.name);
        bound_.push_back(real);
    }
}

void Master::setup_control() {
    ListenAddress a = parse_listen_address("unix:" + config_.control_path);
    mode_t old = ::umask(0177);  // the socket is created 0600: no window where others may connect
    try {
        control_ = bind_listen(a);
    } catch (...) {
        ::umask(old);
        throw;
    }
    ::umask(old);
    ::chmod(config_.control_path.c_str(), 0600);
    set_nonblocking(control_.get());
    loop_.watch_fd(control_.get(), EPOLLIN, [this](uint32_t) { on_control_accept(); });
}

void Master::watch_signals() {
    for (int sig : {SIGTERM, SIGINT, SIGQUIT})
        loop_.watch_signal(sig, [this](const signalfd_siginfo& si) { on_stop_signal(si); });
    loop_.watch_signals(cluster_forwarded_signals(),
                        [this](const signalfd_siginfo& si) { forward_signal(si); });
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

Proc* Master::launch_proc(int id, bool agent) {
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
    std::vector<UniqueFd> own_sockets;  // --reuseport: this worker's, closed here after launch
    int next_fd = kListenFdsStart;
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
    loop_.watch_fd(p->channel.fd(), EPOLLIN, [this, p](uint32_t ev) { on_channel(p, ev); });
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
    if (config_.subreaper || ::getpid() == 1) reap_orphans();  // they may have waited behind it
    if (shutting_down_) {
        if (procs_.empty()) stop_orphans();
        return;
    }
    if (!expected) last_failed_ = failed;
    bool slot_active = agent || slots_.count(id);
    bool others = std::any_of(procs_.begin(), procs_.end(), [&](const auto& q) {
        return q->id == id && q->agent == agent && q->serving();
    });
    bool restart = slot_active && !expected && !others &&
                   (config_.restart == ClusterConfig::Restart::always ||
                    (config_.restart == ClusterConfig::Restart::on_failure && failed));
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
    Slot& slot = slots_[id];  // id 0: the agent's
    if (uptime >= config_.min_uptime) slot.backoff_level = 0;
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
    Duration delay =
        restart_backoff(config_.restart_delay, config_.restart_delay_max, slot.backoff_level);
    ++slot.backoff_level;
    ++slot.restarts;
    emit(Json{{"event", "restart"}, {"worker_id", id}, {"delay_ms", to_ms(delay)}}, nullptr,
         (id == 0 ? std::string("agent") : "worker " + std::to_string(id)) + " restarts in " +
             std::to_string(to_ms(delay)) + "ms");
    slot.restart_timer = loop_.add_timer(delay, [this, id] {
        slots_[id].restart_timer = 0;
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
    loop_.cancel_timer(p->kill_timer);  // a retiring worker's: the timers hold p
    p->kill_timer = loop_.add_timer(config_.grace, [p] {
        p->kill_timer = 0;
        p->child.signal_tree(SIGKILL);
    });
}

void Master::retire(Proc* p) {
    if (p->retiring || p->state == Proc::State::stopping) return;
    p->retiring = true;
    emit(Json{{"event", "retire"}, {"worker_id", p->id}, {"pid", p->child.pid()}}, p, "retiring");
    p->kill_timer = loop_.add_timer(config_.grace, [p] {
        p->kill_timer = 0;
        p->child.signal_tree(SIGKILL);
    });
    if (p->agent) {
        if (!shutting_down_) launch_proc(0, true);
    } else {
        start_slot(p->id);
    }
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
    for (auto& [id, slot] : slots_) loop_.cancel_timer(slot.restart_timer), slot.restart_timer = 0;
    reload_queue_.clear();
    reload_slot_ = 0;
    for (auto& p : procs_) {
        p->retiring = false;
        stop_proc(p.get());
    }
    if (procs_.empty()) stop_orphans();
}

// At shutdown, once the workers are gone: the descendants a subreaper adopted (a
// daemon a worker started in its own session) get the stop signal, SIGKILL after the
// grace, and the master ends when they are reaped.
void Master::stop_orphans() {
    if (!(config_.subreaper || ::getpid() == 1)) return finish();
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
    events_.flush_blocking(200);
    loop_.stop();
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
        slots_[id] = Slot{};
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

void Master::on_channel(Proc* p, uint32_t events) {
    if (events & EPOLLOUT) {
        try {
            p->channel.flush();
        } catch (const SysError&) {
            loop_.unwatch_fd(p->channel.fd());
            p->channel.close();
            return;
        }
    }
    if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
        update_channel_watch(p);
        return;
    }
    std::vector<IpcMessage> messages;
    bool open;
    try {
        open = p->channel.read(messages);
    } catch (const SysError&) {
        open = false;
    }
    int lost = p->channel.lost_handles();
    for (auto& m : messages) on_message(p, p->channel.decode(std::move(m)));
    if (p->channel.lost_handles() != lost)
        emit(Json{{"event", "handle_lost"}, {"worker_id", p->id}, {"pid", p->child.pid()}}, p,
             "did not receive a passed fd after 3 retransmissions (NODE_HANDLE_NACK)");
    flush_channels();
    if (!open) {  // the worker closed its channel: its exit follows (or it lives on without one)
        loop_.unwatch_fd(p->channel.fd());
        p->channel.close();
        return;
    }
    update_channel_watch(p);
}

void Master::update_channel_watch(Proc* p) {
    if (!p->channel.is_open()) return;
    try {
        p->channel.flush();
    } catch (const SysError&) {
        loop_.unwatch_fd(p->channel.fd());
        p->channel.close();
        return;
    }
    loop_.modify_fd(p->channel.fd(),
                    EPOLLIN | (p->channel.wants_write() ? uint32_t{EPOLLOUT} : 0u));
}

void Master::on_message(Proc* p, IpcDecoded m) {
    try {
        handle_message(p, std::move(m));
    } catch (...) {  // a worker's odd message never stops the master
        const char* why = "a message the master cannot handle";
        emit(Json{{"event", "bad_message"},
                  {"worker_id", p->id},
                  {"pid", p->child.pid()},
                  {"error", why}},
             p, std::string("sent ") + why);
    }
}

void Master::handle_message(Proc* p, IpcDecoded m) {
    if (m.kind == IpcDecoded::Kind::internal) return;  // ACKs, Node's own cluster messages
    if (m.kind == IpcDecoded::Kind::invalid) {
        emit(Json{{"event", "bad_message"},
                  {"worker_id", p->id},
                  {"pid", p->child.pid()},
                  {"error", ipc_error_words(m.error)}},
             p, "sent a message that was dropped: " + ipc_error_words(m.error));
        return;
    }
    const Json data = Json(std::move(m.data));
    std::string cmd = data.is_object() && data.contains("cmd") && data["cmd"].is_string()
                          ? data["cmd"].get<std::string>()
                          : "";
    std::string act = data.is_object() && data.contains("act") && data["act"].is_string()
                          ? data["act"].get<std::string>()
                          : "";
    if (cmd == "online") {
        on_ready(p);
    } else if (cmd == "ptool:retire" || act == "suicide") {
        retire(p);
    } else if (cmd == "ptool:send") {
        auto target = data.contains("to") && data["to"].is_string()
                          ? parse_route_target(data["to"].get<std::string>())
                          : std::nullopt;
        Json payload = data.contains("data") ? data["data"] : Json(nullptr);
        std::string to = data.contains("to") && data["to"].is_string()
                             ? data["to"].get<std::string>()
                             : std::string();
        if (!target) {
            emit(Json{{"event", "bad_message"},
                      {"worker_id", p->id},
                      {"pid", p->child.pid()},
                      {"error", "unknown target"},
                      {"data", data}},
                 p, "ptool:send to an unknown target: " + data.dump(-1, ' ', false, kReplace));
            send_failed(p, data.contains("to") ? data["to"] : Json(nullptr), "unknown target",
                        payload);
            return;
        }
        if (route(payload, m.fd.get(), *target, p) == 0) {
            std::string why = "no process matches '" + printable_excerpt(to) + "'";
            emit(Json{{"event", "message"},
                      {"worker_id", p->id},
                      {"pid", p->child.pid()},
                      {"undelivered", why},
                      {"data", data}},
                 p, "ptool:send not delivered: " + why);
            send_failed(p, data["to"], why, payload);
        }
    } else {
        emit(Json{{"event", "message"},
                  {"worker_id", p->id},
                  {"pid", p->child.pid()},
                  {"data", data}},
             p, "message " + data.dump(-1, ' ', false, kReplace));
    }
}

// Tells a worker that its ptool:send reached nobody.
void Master::send_failed(Proc* p, const Json& to, const std::string& why, const Json& data) {
    if (p->channel.is_open())
        deliver(p, Json{{"cmd", "ptool:send-failed"}, {"to", to}, {"error", why}, {"data", data}},
                -1);
}

int Master::route(const Json& data, int fd, const RouteTarget& target, const Proc* from) {
    using K = RouteTarget::Kind;
    if (target.kind == K::master) {
        Json ev{{"event", "message"}};
        if (from) ev["worker_id"] = from->id, ev["pid"] = from->child.pid();
        ev["data"] = data;
        emit(ev, from, "message " + data.dump(-1, ' ', false, kReplace));
        return 1;
    }
    std::vector<Proc*> targets;
    for (auto& p : procs_) {
        if (p->state == Proc::State::stopping || !p->channel.is_open()) continue;
        bool match = false;
        switch (target.kind) {
            case K::all: match = true; break;
            case K::workers:
            case K::random: match = !p->agent && !p->retiring; break;
            case K::agent: match = p->agent; break;
            case K::worker_id: match = !p->agent && p->id == target.number && p->serving(); break;
            case K::pid: match = p->child.pid() == target.number; break;
            case K::master: break;
        }
        if (match) targets.push_back(p.get());
    }
    if (target.kind == K::random && targets.size() > 1) {
        Proc* pick = targets[std::uniform_int_distribution<size_t>(0, targets.size() - 1)(rng_)];
        targets = {pick};
    }
    for (Proc* p : targets) deliver(p, data, fd);
    return static_cast<int>(targets.size());
}

void Master::deliver(Proc* p, const Json& data, int fd) {
    try {
        if (fd >= 0)
            p->channel.send_handle(data, fd);  // later messages wait for the worker's ACK
        else
            p->channel.send(data);
    } catch (const SysError&) {
        return;  // the worker is going away; its exit is handled on its own
    }
}

void Master::flush_channels() {
    for (auto& p : procs_)
        if (p->channel.is_open() && p->channel.wants_write()) update_channel_watch(p.get());
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

void Master::on_control_accept() {
    for (;;) {
        int fd = ::accept4(control_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) return;  // EAGAIN, or a client that went away meanwhile
        auto client = std::make_unique<ControlClient>();
        client->channel = IpcChannel(UniqueFd(fd));
        client->channel.set_max_message(config_.max_message);
        ucred cred{};
        socklen_t len = sizeof cred;
        bool allowed = ::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
                       (cred.uid == ::geteuid() || cred.uid == 0);
        if (!allowed || clients_.size() >= kMaxControlClients) {
            try {
                client->channel.send(Json{
                    {"ok", false}, {"error", allowed ? "too many clients" : "permission denied"}});
            } catch (const SysError&) {
            }
            continue;  // closed by the destructor
        }
        loop_.watch_fd(fd, EPOLLIN, [this, fd](uint32_t ev) { on_control_client(fd, ev); });
        clients_[fd] = std::move(client);
    }
}

void Master::on_control_client(int fd, uint32_t events) {
    auto it = clients_.find(fd);
    if (it == clients_.end()) return;
    ControlClient& c = *it->second;
    bool open = true;
    try {
        if (events & EPOLLOUT) c.channel.flush();
        if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
            std::vector<IpcMessage> requests;
            open = c.channel.read(requests);
            for (auto& r : requests) {
                c.channel.send(answer_control_message(c.channel, std::move(r), *this));
                if (c.channel.queued_bytes() > kMaxClientOutput) {
                    emit(Json{{"event", "control_client_dropped"},
                              {"queued_bytes", c.channel.queued_bytes()}},
                         nullptr,
                         "control client dropped: it does not read its replies (" +
                             std::to_string(c.channel.queued_bytes()) + " bytes unread)");
                    loop_.unwatch_fd(fd);
                    clients_.erase(it);
                    flush_channels();
                    return;
                }
            }
            flush_channels();
        }
        c.channel.flush();
    } catch (const SysError&) {
        open = false;
        c.channel = IpcChannel();
    }
    if (!open) c.closing = true;
    if (c.closing && (!c.channel.is_open() || !c.channel.wants_write())) {
        loop_.unwatch_fd(fd);
        clients_.erase(it);
        return;
    }
    loop_.modify_fd(fd, (c.closing ? 0u : uint32_t{EPOLLIN}) |
                            (c.channel.wants_write() ? uint32_t{EPOLLOUT} : 0u));
}

IpcJson Master::status() {
    auto now = Clock::now();
    auto describe = [&](const Proc& p) {
        auto slot = slots_.find(p.agent ? 0 : p.id);
        return Json{{"id", p.id},
                    {"pid", p.child.pid()},
                    {"state", p.state_name()},
                    {"uptime_ms", to_ms(now - p.started)},
                    {"restarts", slot == slots_.end() ? 0 : slot->second.restarts}};
    };
    Json workers = Json::array();
    Json agent = nullptr;
    std::vector<const Proc*> sorted;
    for (const auto& p : procs_) sorted.push_back(p.get());
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const Proc* a, const Proc* b) { return a->id < b->id; });
    for (const Proc* p : sorted) {
        if (p->agent)
            agent = describe(*p);
        else
            workers.push_back(describe(*p));
    }
    Json listen = Json::array();
    for (const auto& s : sockets_) listen.push_back(bound_address(s.get()));
    return Json{{"ok", true},         {"pid", ::getpid()}, {"target_workers", target_workers_},
                {"workers", workers}, {"agent", agent},    {"listen", listen}};
}

void Master::emit(Json event, const Proc* p, const std::string& human) {
    std::string line;
    if (config_.json) {
        line = event.dump(-1, ' ', false, kReplace);
    } else {
        line = program_name() + ": ";
        if (p)
            line += (p->agent ? "agent" : "worker " + std::to_string(p->id)) + " (pid " +
                    std::to_string(p->child.pid()) + ") ";
        line += human;
    }
    line += '\n';
    events_.write_line(line);
    watch_events_fd();
}

// While lines wait for the reader of stderr, the loop writes them when it can.
void Master::watch_events_fd() {
    int fd = events_.poll_fd();
    if (fd < 0 || !events_.wants_write() || loop_.watching_fd(fd)) return;
    loop_.watch_fd(fd, EPOLLOUT, [this, fd](uint32_t) {
        if (events_.flush() && !events_.wants_write()) loop_.unwatch_fd(fd);
    });
}

void Master::report(const std::string& message) {
    emit(Json{{"event", "error"}, {"error", message}}, nullptr, message);
}

}  // namespace

int run_cluster(const ClusterConfig& config) {
    Master master(config);
    return master.run();
}

}  // namespace ptool
