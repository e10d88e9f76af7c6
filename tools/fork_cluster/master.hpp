// fork-cluster's private parts: the Master (lifecycle and the loop, master.cpp),
// the processes it supervises and their slots (slots.cpp), the message Router
// (routing.cpp), the control server (control.cpp) and event lines (events.cpp).
// Only these files include it; the tool's interface is cluster.hpp.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <list>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "libcommon/core/events.hpp"
#include "libcommon/core/json.hpp"
#include "libcommon/core/output.hpp"
#include "libcommon/launch/event_loop.hpp"
#include "libcommon/launch/ipc.hpp"
#include "libcommon/supervise/notify.hpp"
#include "libcommon/supervise/restart_policy.hpp"
#include "libcommon/supervise/service_notify.hpp"
#include "libcommon/supervise/supervisor.hpp"
#include "tools/fork_cluster/cluster.hpp"
#include "tools/fork_cluster/cluster_control.hpp"
#include "tools/fork_cluster/forward.hpp"
#include "tools/fork_cluster/http.hpp"

namespace ptool::cluster {

using Clock = std::chrono::steady_clock;

inline long long to_ms(Duration d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

// One run of a supervised process: a worker (slot id >= 1) or the agent (id 0). Its
// child is its Supervisor's, which outlives it.
struct Proc {
    enum class State { starting, online, stopping };
    Proc(Supervisor& s, int slot_id, bool is_agent)
        : sup(s), id(slot_id), agent(is_agent), child(s.child()) {}
    Supervisor& sup;
    int id = 0;
    bool agent = false;
    Child& child;
    IpcChannel channel;
    State state = State::starting;
    bool retiring = false;              // asked to go by itself; its replacement runs
    bool replace_me = false;            // a rolling reload is replacing it
    bool hung = false;                  // stopped as failed: its probe or watchdog timed out
    Clock::time_point last_beat;        // --watchdog: online, or its last heartbeat
    std::unique_ptr<ReadyProbe> probe;  // --ready tcp:|http:|exec: while starting
    Clock::time_point started;
    long long generation = 0;  // the number of reloads begun before it started

    bool serving() const { return state != State::stopping && !retiring && !replace_me; }
    const char* state_name() const {
        if (state == State::stopping) return "stopping";
        if (retiring) return "retiring";
        return state == State::online ? "online" : "starting";
    }
};

// A worker id (or 0, the agent) and its place in the restart policy. Its process may
// overlap with a successor (retiring, rolling reload), so the slot, not the process,
// keeps the backoff, shared by the slot's generations.
struct Slot {
    explicit Slot(const RestartPolicy& policy) : backoff(std::make_shared<Backoff>(policy)) {}
    std::shared_ptr<Backoff> backoff;
};

// One generation of a slot: a Supervisor that starts, restarts and stops its process.
// A retire or a rolling reload starts a new generation; the old one is stopped and
// never restarts. Done, it is dropped on the next loop turn.
struct Generation {
    int id = 0;
    bool agent = false;
    std::unique_ptr<Supervisor> sup;
    Proc* proc = nullptr;  // its current run; null between runs
};

struct ControlClient {
    IpcChannel channel;
    bool closing = false;
    // It asked for an upgrade: its reply waits for the outcome, and the requests it sent
    // after that one wait with it (answered in order once the reply is out).
    bool held = false;
    std::vector<IpcMessage> pending;
};

class Master;

// What the master counts for status and /metrics.
struct ClusterCounters {
    long long reloads = 0;
    long long restarts = 0;
    long long messages_routed = 0;  // deliveries of ptool:send and control "send"
    long long ipc_bytes_in = 0;     // read from workers' and the agent's channels
    long long ipc_bytes_out = 0;    // queued to them
    long long rss_retired = 0;      // workers retired by --max-rss
    long long log_dropped = 0;      // worker log lines a slow sink made us drop
    long long upgrades = 0;         // re-executions of the master in place (upgrade.cpp)
};

// status.cpp: a process's figures from /proc/PID/stat (valid: it was readable).
struct ProcUsage {
    bool valid = false;
    long long rss_kb = 0;
    long long cpu_ms = 0;
};
ProcUsage read_proc_usage(pid_t pid);

// The notices EventWriter writes for event lines it had to drop (events.cpp).
std::string json_drop_notice(size_t dropped);
std::string text_drop_notice(size_t dropped);

// Messages from workers and the agent: one table from a message's cmd (or Node's
// act) to its handler, and the routes of ptool:send and of control "send".
class Router {
public:
    explicit Router(Master& master) : master_(master) {}
    // The channel of `p` is ready for `events`.
    void on_channel(Proc* p, uint32_t events);
    // Delivers `data` (with `fd` when >= 0) to each process `target` names; returns
    // how many got it. `from`: the sender, null for the control socket.
    int route(const Json& data, int fd, const RouteTarget& target, const Proc* from);
    // Writes what the channels queued (once per batch of messages).
    void flush_channels();
    void update_channel_watch(Proc* p);

private:
    using Handler = void (Router::*)(Proc* p, const Json& data, IpcDecoded& m);
    struct Rule {
        const char* field;  // "cmd", or "act" (Node's own worker messages)
        const char* value;
        Handler handler;
    };
    static const Rule kRules[];

    void on_message(Proc* p, IpcDecoded message);
    void handle_message(Proc* p, IpcDecoded message);
    void on_online(Proc* p, const Json& data, IpcDecoded& m);
    void on_heartbeat(Proc* p, const Json& data, IpcDecoded& m);
    void on_retire(Proc* p, const Json& data, IpcDecoded& m);
    void on_send(Proc* p, const Json& data, IpcDecoded& m);
    void on_other(Proc* p, const Json& data, IpcDecoded& m);
    void close_channel(Proc* p);
    bool flush_or_close(Proc* p);
    std::vector<Proc*>& match_targets(const RouteTarget& target);
    bool forward_raw(std::string_view line);
    void deliver_text(Proc* p, std::string_view text);
    void deliver_handle(Proc* p, const Json& data, int fd);
    void send_failed(Proc* p, const Json& to, const std::string& why, const Json& data);

    Master& master_;
    std::mt19937 rng_{std::random_device{}()};
    std::vector<Proc*> targets_;  // match_targets' answer, reused
    CanonicalJson canonical_;     // forward_raw's check, its key stack reused
};

class Master final : public ControlActions {
public:
    // `upgrade_state`: this image takes over from the one before (upgrade_restore.cpp).
    explicit Master(const ClusterConfig& config, std::optional<Json> upgrade_state = {});
    ~Master() override;
    int run();

    // ControlActions: what a control request can do (control.cpp, slots.cpp).
    Json status() override;
    bool shutting_down() const override { return shutting_down_; }
    void reload() override;
    void reload_agent() override;  // agent.cpp
    int scale(int workers) override;
    int send(const RouteTarget& target, const Json& data, int fd) override {
        return router_.route(data, fd, target, nullptr);
    }
    void stop() override { begin_shutdown(0); }
    void rotate() override;   // logs.cpp
    Json upgrade() override;  // upgrade.cpp: null, the reply follows the outcome

    // What the Router acts on.
    std::list<std::unique_ptr<Proc>>& procs() { return procs_; }
    EventLoop& loop() { return loop_; }
    ClusterCounters& counters() { return counters_; }
    void on_ready(Proc* p);
    void on_heartbeat(Proc* p) { p->last_beat = Clock::now(); }  // health.cpp checks it
    void retire(Proc* p);
    // events.cpp: one event line, JSON or human ("worker N (pid P) human").
    void emit(Json event, const Proc* p, const std::string& human);

private:
    // setup (master.cpp)
    bool per_worker_socket(const ListenAddress& a) const {
        return config_.reuse_port &&
               (a.kind == ListenAddress::Kind::tcp || a.kind == ListenAddress::Kind::udp);
    }
    bool reaps_orphans() const { return config_.subreaper || ::getpid() == 1; }
    // The Supervisor's zero grace is "never kill"; the cluster's --grace 0 kills at once.
    Duration kill_grace() const { return std::max<Duration>(config_.grace, Duration(1)); }
    void bind_sockets();  // activation.cpp: bound for --listen, or passed by systemd
    void add_socket(UniqueFd fd, const ListenAddress& address, bool activated);
    void watch_signals();
    // lifecycle (master.cpp)
    void on_stop_signal(const signalfd_siginfo& si);
    void forward_signal(const signalfd_siginfo& si);
    void begin_shutdown(int code);
    void force_stop();
    void finish();
    void reap_orphans();
    void stop_orphans();
    // processes and slots (slots.cpp)
    Generation& new_generation(int id, bool agent);
    ChildSpec launch_spec(int id, bool agent);
    ChildSpec proc_spec(int id, bool agent, std::vector<UniqueFd>& own_sockets, int& next_fd);
    void on_started(Generation& g);
    void start_slot(int id);
    bool on_exit(Generation& g, const SupervisedExit& exit);
    void on_exited(const Generation& g, const SupervisedExit& exit);
    void on_proc_ready(Generation& g);
    void stop_proc(Proc* p);
    void stop_generation(Generation& g);
    bool restart_pending(std::optional<int> worker_id) const;
    Slot& slot(int id);
    void advance_reload();          // reload.cpp: the next batch, once this one is done
    void reload_slot_done(int id);  // reload.cpp: slot `id`'s replacement is in (or not coming)
    bool reload_replacing(int id) const { return reload_slots_.count(id) > 0; }
    // reload.cpp: while a reload runs, how many workers it replaced so far, of how many
    struct ReloadProgress {
        int replaced = 0;
        int workers = 0;
    };
    std::optional<ReloadProgress> reload_progress() const;
    std::string reload_status_text() const;  // "reloading 2/4" ("... 2 at a time"); "": none
    void on_notify();
    Proc* find_by_pid(pid_t pid, bool walk_parents);
    // probes and health checks (health.cpp)
    void start_probe(Proc* p);
    void start_health_checks();
    void add_watchdog_env(ChildSpec& spec) const;
    void check_watchdog();
    void stop_hung(Proc* p);
    void emit_killed(const Proc* p);  // the "kill" event: --grace ran out
    void check_health();
    // http.cpp: --http's pages
    void setup_http();
    HttpResponse http_page(const std::string& path);
    std::string metrics_text();
    int ready_workers() const;
    // reload.cpp: a replacement of slot `id` ended before it was ready; true when the
    // reload stopped (the old process serves on) and nothing is to be restarted
    bool reload_failed(int id, pid_t pid, const ExitStatus& st, bool hung);
    // logs.cpp: --log, --log-dir
    void setup_logs();
    void attach_logs(Proc* p);
    // status.cpp: the last exit of slot `id` (0: the agent) for status
    void note_exit(int id, const ExitStatus& st);
    // control socket (control.cpp)
    void setup_control();
    void on_control_accept();
    void on_control_client(int fd, uint32_t events);
    // Answers `requests` of client `fd` in order; false when the client was dropped.
    bool answer_requests(int fd, ControlClient& c, std::vector<IpcMessage>& requests);
    void update_client_watch(int fd);
    // A held client's upgrade reply, then its pending requests (control.cpp).
    void release_held_client(int fd, const Json& reply);
    // upgrade of the master in place (upgrade.cpp: the old image; upgrade_restore.cpp: the new)
    void resolve_own_binary();
    void request_upgrade();
    std::string upgrade_refusal() const;
    void exec_upgrade();
    Json upgrade_state();
    std::string drain_for_upgrade();
    void upgrade_failed(const std::string& why);
    void restore_upgrade_fds(const Json& state);
    void restore_upgrade_procs(const Json& state);
    void adopt_proc(const Json& saved);
    void announce_upgraded(const Json& state);
    // systemd and init (systemd.cpp, init.cpp)
    void service_changed();
    void notify_service();
    void start_service_watchdog();
    bool passes_exit_status() const;
    void note_worker_exit(const Proc& p, const ExitStatus& status);
    int final_status() const;
    int stop_signal() const;
    void watch_init_signals();
    // the agent first (agent.cpp)
    void start_agent_first();
    void on_agent_online(const Proc& p);
    // events (events.cpp)
    void report(const std::string& message);  // an error line, as an "error" event
    void watch_events_fd();

    const ClusterConfig& config_;
    RestartPolicy policy_;
    EventLoop loop_;
    Router router_{*this};
    std::vector<UniqueFd> sockets_;     // shared sockets, or port holders with --reuseport
    std::vector<ListenAddress> bound_;  // the addresses with their real ports
    std::vector<std::string> socket_names_;
    std::optional<NotifyReceiver> notify_;
    UniqueFd control_;
    std::map<int, std::unique_ptr<ControlClient>> clients_;
    std::list<std::unique_ptr<Generation>> generations_;  // before procs_: they outlive them
    std::list<std::unique_ptr<Proc>> procs_;
    std::map<int, Slot> slots_;  // active worker slots by id (0: the agent's, once restarted)
    std::shared_ptr<Backoff> agent_backoff_;
    IpcPair launch_pair_;                   // the channel of the process being launched
    std::vector<UniqueFd> launch_sockets_;  // its --reuseport sockets
    int target_workers_ = 0;
    RestartBudget budget_;
    std::deque<int> reload_queue_;
    std::set<int> reload_slots_;  // the batch whose replacements are under way (reload.cpp)
    int reload_started_ = 0;      // replacements started by this reload: the first is the canary
    bool shutting_down_ = false;
    bool starting_up_ = true;
    bool last_failed_ = false;
    int exit_code_ = 0;
    pid_t stop_sender_ = -1;  // the first stop signal's si_pid (-1: not stopped by a signal)
    Clock::time_point stop_at_;
    std::set<pid_t> orphans_;  // adopted descendants being stopped at shutdown
    bool orphans_killed_ = false;
    EventStream events_;
    // systemd and init (systemd.cpp, init.cpp)
    ServiceNotifier service_ = ServiceNotifier::from_environment();
    std::string service_status_;
    bool service_ready_ = false;
    bool service_reloading_ = false;
    bool service_stopping_ = false;
    std::optional<ExitStatus> last_worker_status_;
    int init_stop_signal_ = 0;
    bool waiting_for_agent_ = false;  // the workers start once the agent is ready
    ClusterCounters counters_;
    std::map<int, Json> last_exit_;  // by slot id (0: the agent)
    Clock::time_point started_ = Clock::now();
    std::unique_ptr<HttpServer> http_;
    std::unique_ptr<ClusterLogs> logs_;  // --log / --log-dir
    std::string reload_failure_;         // why the last reload stopped (canary), for status
    // upgrade.cpp
    std::optional<Json> upgrade_state_;  // given by the image before this one
    std::string exe_path_;               // our binary, as resolved at start
    std::vector<std::string> argv_;      // as the master was started
    bool upgrading_ = false;             // an upgrade waits for its turn of the loop
    int serving_client_ = -1;            // the control client whose request is being answered
    int upgrade_client_ = -1;            // the one that asked for the upgrade (-1: SIGUSR2)
};

// The state one image hands the next (upgrade_restore.cpp): read from the sealed memfd
// PTOOL_UPGRADE_STATE names (and the variable unset); throws Error saying what is wrong.
Json read_upgrade_state(int fd);
// Checks a state before anything is adopted; throws Error naming what is wrong.
void check_upgrade_state(const Json& state);
// When the new image cannot take over: the stop signal to the process group of every
// pid `state` names that is a child of ours (else every child of ours), SIGKILL after
// `grace`, each reaped; returns how many.
int stop_upgrade_orphans(const Json* state, int stop_signal, Duration grace);
inline constexpr const char* kUpgradeStateEnv = "PTOOL_UPGRADE_STATE";
inline constexpr int kUpgradeStateFormat = 1;

}  // namespace ptool::cluster
