// fork-cluster upgrading itself in place, the old image's side ({"cmd":"upgrade"},
// SIGUSR2, as einhorn and nginx do): the loop's state goes into a sealed memfd, the fds
// it names lose FD_CLOEXEC, and the master's own binary (as resolved at start, so a
// replaced file runs the new one) is executed with the argv it was started with. Same
// pid: the workers, their channels and every socket stay. upgrade_restore.cpp is the
// new image's side; when execve fails this image carries on as if nothing happened.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "libcommon/bytes/base64.hpp"
#include "libcommon/core/error.hpp"
#include "libcommon/core/signals.hpp"
#include "ptool_version.h"
#include "tools/fork_cluster/master.hpp"

extern char** environ;

namespace ptool::cluster {

namespace {

// How long the old image waits for its queued writes (channels, control replies,
// events, logs) before it gives up the upgrade rather than lose them.
constexpr int kDrainTimeoutMs = 1000;

long long epoch_ms(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

Json saved_input(const LineBuffer::Saved& in) {
    return Json{
        {"partial", base64_encode(in.partial)}, {"dropping", in.dropping}, {"dropped", in.dropped}};
}

}  // namespace

// At start: what an upgrade executes -- /proc/self/exe without " (deleted)" (a package
// upgrade that replaced the file runs the new file) -- and with which argv.
void Master::resolve_own_binary() {
    char buf[4096];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n > 0) {
        exe_path_.assign(buf, static_cast<size_t>(n));
        constexpr std::string_view deleted = " (deleted)";
        if (exe_path_.ends_with(deleted)) exe_path_.resize(exe_path_.size() - deleted.size());
    }
    try {
        argv_ = own_argv();
    } catch (const Error&) {
    }
}

// Why an upgrade cannot begin now; empty when it can.
std::string Master::upgrade_refusal() const {
    if (shutting_down_) return "shutting down";
    if (upgrading_) return "an upgrade is already in progress";
    if (!reload_slots_.empty() || !reload_queue_.empty())
        return "a reload is in progress: upgrade once it is done";
    if (waiting_for_agent_ || starting_up_) return "the cluster is starting: upgrade once it is up";
    if (exe_path_.empty() || argv_.empty())
        return "the master's own binary could not be resolved at start";
    return {};
}

Json Master::upgrade() {
    std::string why = upgrade_refusal();
    if (!why.empty()) {
        emit(Json{{"event", "upgrade_failed"}, {"error", why}}, nullptr, "upgrade refused: " + why);
        return Json{{"ok", false}, {"error", "upgrade: " + why}};
    }
    upgrade_client_ = serving_client_;
    request_upgrade();
    return Json(nullptr);  // the reply says how it went (this image, or the next)
}

// SIGUSR2, or a control request: the exec waits for a fresh turn of the loop, so that
// what this turn was doing (a batch of requests, of messages) is done first.
void Master::request_upgrade() {
    if (upgrading_) return;
    if (std::string why = upgrade_refusal(); !why.empty()) {
        emit(Json{{"event", "upgrade_failed"}, {"error", why}}, nullptr, "upgrade refused: " + why);
        return;
    }
    upgrading_ = true;
    loop_.add_timer(Duration::zero(), [this] { exec_upgrade(); });
}

// Writes what is queued for the workers, the control clients, stderr and the logs, at
// most kDrainTimeoutMs in all; says what could not be drained.
std::string Master::drain_for_upgrade() {
    auto deadline = Clock::now() + std::chrono::milliseconds(kDrainTimeoutMs);
    auto left = [&] {
        return std::max<int>(
            0, static_cast<int>(
                   std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now())
                       .count()));
    };
    for (auto& p : procs_) {
        if (!p->channel.is_open()) continue;
        std::string who = p->agent ? "the agent" : "worker " + std::to_string(p->id);
        if (p->channel.awaiting_handle_ack())
            return who + " has not acknowledged a passed handle yet";
        if (!p->channel.save_input()) return who + " is in the middle of sending a handle";
        try {
            if (!p->channel.flush_blocking(left()))
                return "the channel of " + who + " is not drained (it does not read)";
        } catch (const SysError&) {  // it is going away: its exit is the new image's to see
        }
    }
    for (auto& [fd, c] : clients_) {
        try {
            if (c->channel.is_open()) c->channel.flush_blocking(left());
        } catch (const SysError&) {
        }
        if (c->channel.is_open() && !c->channel.save_input())
            return "a control client is in the middle of passing an fd";
    }
    if (logs_) logs_->flush(left());
    if (auto* q = events_.queue()) q->flush_blocking(left());
    return {};
}

void Master::exec_upgrade() {
    upgrading_ = false;
    if (std::string why = upgrade_refusal(); !why.empty()) return upgrade_failed(why);
    emit(Json{{"event", "upgrade"}, {"binary", exe_path_}, {"version", PTOOL_BUILD_VERSION}},
         nullptr, "upgrading: executing " + exe_path_);
    // RELOADING=1 ... READY=1 as around a reload: only once systemd was told READY=1 (a
    // cluster still starting says READY=1 when its workers are online, in either image).
    service_.send((service_ready_ ? ServiceNotifier::reloading_message() + "\n" : "") +
                  "STATUS=upgrading");
    if (std::string why = drain_for_upgrade(); !why.empty()) return upgrade_failed(why);

    Json state = upgrade_state();
    std::string text = state.dump();
    UniqueFd memfd(::memfd_create("ptool-upgrade-state", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!memfd) return upgrade_failed(std::string("memfd_create: ") + std::strerror(errno));
    if (write_full(memfd.get(), text) != 0 ||
        ::fcntl(memfd.get(), F_ADD_SEALS,
                F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0 ||
        ::lseek(memfd.get(), 0, SEEK_SET) != 0)
        return upgrade_failed(std::string("writing the state: ") + std::strerror(errno));

    std::vector<int> fds{memfd.get()};
    for (const auto& fd : state["fds"]) fds.push_back(fd.get<int>());
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) {
        std::string_view kv(*e);
        bool ours = false;
        for (std::string_view name :
             {"PTOOL_UPGRADE_STATE=", "NOTIFY_SOCKET=", "WATCHDOG_USEC=", "WATCHDOG_PID="})
            ours = ours || kv.starts_with(name);
        if (!ours) env.emplace_back(kv);
    }
    for (auto& kv : service_.environment()) env.push_back(kv);
    env.push_back(std::string(kUpgradeStateEnv) + "=" + std::to_string(memfd.get()));
    std::vector<char*> argv, envp;
    for (auto& a : argv_) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& kv : env) envp.push_back(kv.data());
    envp.push_back(nullptr);

    // The drain and the exec are not to count against WATCHDOG_USEC: a beat now, and
    // another as the new image starts (restore_upgrade_fds).
    if (service_.watchdog_interval()) service_.send("WATCHDOG=1");
    // Only the fds the state names cross the exec; on failure they are ours again as before.
    for (int fd : fds) ::fcntl(fd, F_SETFD, 0);
    ::execve(exe_path_.c_str(), argv.data(), envp.data());
    int err = errno;
    for (int fd : fds) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    upgrade_failed("execve " + exe_path_ + ": " + std::strerror(err));
}

// The old image carries on: it says why, to the requester too, and is ready again.
void Master::upgrade_failed(const std::string& why) {
    emit(Json{{"event", "upgrade_failed"}, {"error", why}}, nullptr, "upgrade failed: " + why);
    service_reloading_ = false;
    service_.send((service_ready_ ? "READY=1\n" : "") + ("STATUS=" + service_status_));
    int fd = std::exchange(upgrade_client_, -1);
    if (fd >= 0) release_held_client(fd, Json{{"ok", false}, {"error", "upgrade failed: " + why}});
}

// Everything the next image needs, and under "fds" every fd it is to keep.
Json Master::upgrade_state() {
    auto now = Clock::now();
    auto wall_now = std::chrono::system_clock::now();
    Json fds = Json::array();
    auto fd_of = [&](int fd) {
        fds.push_back(fd);
        return fd;
    };
    Json listen = Json::array();
    for (size_t i = 0; i < sockets_.size(); ++i) {
        const ListenAddress& a = bound_[i];
        listen.push_back(Json{{"fd", fd_of(sockets_[i].get())},
                              {"kind", static_cast<int>(a.kind)},
                              {"host", a.host},
                              {"port", a.port},
                              {"path", a.path},
                              {"name", socket_names_[i]},
                              {"text", a.text}});
    }
    Json clients = Json::array();
    for (auto& [fd, c] : clients_) {
        if (!c->channel.is_open()) continue;
        Json pending = Json::array();
        for (auto& m : c->pending) pending.push_back(base64_encode(m.text));
        clients.push_back(Json{{"fd", fd_of(fd)},
                               {"input", saved_input(*c->channel.save_input())},
                               {"closing", c->closing},
                               {"reply", fd == upgrade_client_},
                               {"pending", pending}});
    }
    Json procs = Json::array();
    for (auto& p : procs_) {
        Json w{{"id", p->id},
               {"agent", p->agent},
               {"pid", p->child.pid()},
               {"generation", p->generation},
               {"state", p->state_name()},
               {"stopping", p->state == Proc::State::stopping},
               {"online", p->state == Proc::State::online},
               {"retiring", p->retiring},
               {"replace_me", p->replace_me},
               {"hung", p->hung},
               {"ready", p->sup.is_ready()},
               {"restarts", p->sup.restarts()},
               {"uptime_ms", to_ms(now - p->started)},
               {"started_at", epoch_ms(wall_now) - to_ms(now - p->started)},
               {"channel", nullptr}};
        if (p->channel.is_open())
            w["channel"] = Json{{"fd", fd_of(p->channel.fd())},
                                {"input", saved_input(*p->channel.save_input())}};
        if (logs_) {
            auto saved = logs_->save(p.get());
            Json streams = Json::array();
            for (int i = 0; i < 2; ++i)
                streams.push_back(saved.fds[i] >= 0
                                      ? Json{{"fd", fd_of(saved.fds[i])},
                                             {"partial", base64_encode(saved.partial[i])}}
                                      : Json(nullptr));
            w["logs"] = streams;
        }
        procs.push_back(w);
    }
    Json pending = Json::array();  // generations whose restart is due later
    for (auto& g : generations_)
        if (!g->proc && g->sup->restart_pending())
            pending.push_back(
                Json{{"id", g->id},
                     {"agent", g->agent},
                     {"due_ms", std::max<long long>(0, to_ms(g->sup->restart_due() - now))}});
    Json slots = Json::array();
    for (auto& [id, s] : slots_)
        slots.push_back(
            Json{{"id", id}, {"level", s.backoff->level()}, {"restarts", s.backoff->restarts()}});
    Json budget = Json::array();
    for (Duration age : budget_.ages(now)) budget.push_back(to_ms(age));
    Json last_exit = Json::object();
    for (auto& [id, e] : last_exit_) last_exit[std::to_string(id)] = e;
    Json sinks = Json::array();
    if (logs_)
        for (auto& [path, fd] : logs_->sink_fds())
            sinks.push_back(Json{{"path", path}, {"fd", fd_of(fd)}});
    Json state{{"format", kUpgradeStateFormat},
               {"version", PTOOL_BUILD_VERSION},
               {"binary", exe_path_},
               {"pid", ::getpid()},
               {"listen", listen},
               {"notify", Json{{"fd", fd_of(notify_->fd())}, {"address", notify_->address()}}},
               {"control", control_ ? Json{{"fd", fd_of(control_.get())}} : Json(nullptr)},
               {"clients", clients},
               {"http", http_ ? Json{{"fd", fd_of(http_->fd())}} : Json(nullptr)},
               {"log_sinks", sinks},
               {"procs", procs},
               {"pending_restarts", pending},
               {"slots", slots},
               {"agent_backoff",
                Json{{"level", agent_backoff_->level()}, {"restarts", agent_backoff_->restarts()}}},
               {"budget_ages_ms", budget},
               {"target_workers", target_workers_},
               {"counters", Json{{"reloads", counters_.reloads},
                                 {"restarts_total", counters_.restarts},
                                 {"messages_routed", counters_.messages_routed},
                                 {"ipc_bytes_in", counters_.ipc_bytes_in},
                                 {"ipc_bytes_out", counters_.ipc_bytes_out},
                                 {"rss_retired", counters_.rss_retired},
                                 {"log_dropped", counters_.log_dropped},
                                 {"upgrades", counters_.upgrades}}},
               {"last_exit", last_exit},
               {"last_failed", last_failed_},
               {"reload_failure", reload_failure_},
               {"service_ready", service_ready_},
               {"last_worker_status",
                last_worker_status_ ? Json(last_worker_status_->wait_status) : Json(nullptr)}};
    state["fds"] = fds;
    return state;
}

}  // namespace ptool::cluster
