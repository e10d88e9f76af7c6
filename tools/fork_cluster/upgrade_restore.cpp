// fork-cluster upgrading itself in place, the new image's side (upgrade.cpp is the
// old one's): the state is read from the sealed memfd PTOOL_UPGRADE_STATE names and
// checked before anything is taken over; then the sockets, the control and --http
// listeners, the log files, every worker and the agent (each proven our child, each
// channel with the bytes of a half-read message) are adopted, zombies of children that
// died around the exec included (their pidfds are readable at once: reaped, accounted
// and restarted by the policy on the first turn of the loop).
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <set>
#include <thread>

#include "libcommon/bytes/base64.hpp"
#include "libcommon/core/error.hpp"
#include "libcommon/procs/procfs.hpp"
#include "ptool_version.h"
#include "tools/fork_cluster/master.hpp"

namespace ptool::cluster {

namespace {

constexpr off_t kMaxStateBytes = 64 << 20;

std::string decode_base64(const std::string& text) {
    std::string out;
    Base64Decoder d;
    d.feed(text, out);
    d.finish(out);
    return out;
}

LineBuffer::Saved restored_input(const Json& in) {
    return LineBuffer::Saved{decode_base64(in.at("partial").get<std::string>()),
                             in.at("dropping").get<bool>(), in.at("dropped").get<size_t>()};
}

// An fd the state names: open, and close-on-exec again (it lost the flag for the exec).
UniqueFd take_fd(const Json& v) {
    int fd = v.get<int>();
    set_cloexec(fd);
    return UniqueFd(fd);
}

bool is_socket(int fd, int type) {
    int got = 0;
    socklen_t len = sizeof got;
    return ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &got, &len) == 0 && (type == 0 || got == type);
}

}  // namespace

Json read_upgrade_state(int fd) {
    int seals = ::fcntl(fd, F_GET_SEALS);
    constexpr int need = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL;
    if (seals < 0 || (seals & need) != need)
        throw Error("fd " + std::to_string(fd) + " is not a sealed memfd");
    struct stat st {};
    if (::fstat(fd, &st) != 0 || st.st_size <= 0 || st.st_size > kMaxStateBytes)
        throw Error("the state is empty or too large");
    std::string text(static_cast<size_t>(st.st_size), '\0');
    if (::pread(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()))
        throw SysError("reading the state", errno);
    ::close(fd);
    JsonParse parsed = parse_json_text(text);
    if (!parsed) throw Error("the state is not JSON: " + parsed.error);
    if (!parsed.value->is_object()) throw Error("the state is not a JSON object");
    return std::move(*parsed.value);
}

void check_upgrade_state(const Json& state) {
    try {
        if (state.at("format").get<int>() != kUpgradeStateFormat)
            throw Error("state format " + state.at("format").dump() + " is not " +
                        std::to_string(kUpgradeStateFormat));
        if (state.at("pid").get<pid_t>() != ::getpid()) throw Error("the state is another pid's");
        for (const auto& fd : state.at("fds"))
            if (::fcntl(fd.get<int>(), F_GETFD) < 0)
                throw Error("fd " + fd.dump() + " named in the state is not open");
        for (const auto& l : state.at("listen"))
            if (!is_socket(l.at("fd").get<int>(), 0))
                throw Error("listener fd " + l.at("fd").dump() + " is not a socket");
        if (!is_socket(state.at("notify").at("fd").get<int>(), SOCK_DGRAM))
            throw Error("the notify fd is not a datagram socket");
        for (const auto& p : state.at("procs")) {
            siginfo_t info{};
            pid_t pid = p.at("pid").get<pid_t>();
            if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0)
                throw Error("pid " + std::to_string(pid) + " is not a child of this process");
            for (const char* key : {"id", "generation", "uptime_ms"})
                (void)p.at(key).get<long long>();
            for (const char* key :
                 {"agent", "stopping", "online", "retiring", "replace_me", "hung", "ready"})
                (void)p.at(key).get<bool>();
            if (!p.at("channel").is_null()) (void)restored_input(p.at("channel").at("input"));
        }
        for (const auto& c : state.at("clients")) (void)restored_input(c.at("input"));
        for (const char* key : {"pending_restarts", "slots", "budget_ages_ms", "log_sinks"})
            if (!state.at(key).is_array()) throw Error(std::string(key) + " is not a list");
        (void)state.at("counters").at("upgrades").get<long long>();
        (void)state.at("target_workers").get<int>();
    } catch (const Json::exception& e) {
        throw Error(std::string("malformed state: ") + e.what());
    }
}

int stop_upgrade_orphans(const Json* state, int stop_signal, Duration grace) {
    std::set<pid_t> pids;
    try {
        if (state)
            for (const auto& p : state->at("procs")) pids.insert(p.at("pid").get<pid_t>());
    } catch (const Json::exception&) {
        pids.clear();
    }
    if (pids.empty()) {  // nothing readable: our children are the workers it had
        try {
            for (const auto& proc : read_process_table(ProcReadOptions{}))
                if (proc.ppid == ::getpid()) pids.insert(proc.pid);
        } catch (const Error&) {
        }
    }
    std::vector<Child> kids;
    for (pid_t pid : pids) {
        try {
            kids.push_back(Child::adopt(pid, true));
        } catch (const Error&) {  // not proven ours: never signalled
        }
    }
    for (auto& k : kids) k.signal_tree(stop_signal), k.signal_tree(SIGCONT);
    // The new image's last act, with no loop any more: a short poll until the grace ends.
    auto deadline = std::chrono::steady_clock::now() + grace;
    for (;;) {
        bool running = false;
        for (auto& k : kids)
            if (k.running() && !k.try_wait()) running = true;
        if (!running || std::chrono::steady_clock::now() >= deadline) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return static_cast<int>(kids.size());  // the rest are SIGKILLed and reaped by ~Child
}

// Before the control, --http and log setup: the fds and numbers those use.
void Master::restore_upgrade_fds(const Json& state) {
    for (const auto& l : state.at("listen")) {
        ListenAddress a;
        a.kind = static_cast<ListenAddress::Kind>(l.at("kind").get<int>());
        a.host = l.at("host").get<std::string>();
        a.port = l.at("port").get<uint16_t>();
        a.path = l.at("path").get<std::string>();
        a.name = l.at("name").get<std::string>();
        a.text = l.at("text").get<std::string>();
        sockets_.push_back(take_fd(l.at("fd")));
        socket_names_.push_back(a.name);
        bound_.push_back(a);
    }
    const Json& n = state.at("notify");
    notify_.emplace(NotifyReceiver::adopt(take_fd(n.at("fd")), n.at("address").get<std::string>()));
    if (!state.at("control").is_null()) control_ = take_fd(state.at("control").at("fd"));
    for (const auto& c : state.at("clients")) {
        int fd = c.at("fd").get<int>();
        auto client = std::make_unique<ControlClient>();
        client->channel = IpcChannel(take_fd(c.at("fd")));
        client->channel.set_max_message(config_.max_message);
        client->channel.restore_input(restored_input(c.at("input")));
        client->closing = c.at("closing").get<bool>();
        client->held = c.at("reply").get<bool>();
        for (const auto& text : c.at("pending")) client->pending.emplace_back(decode_base64(text));
        if (client->held) upgrade_client_ = fd;
        clients_[fd] = std::move(client);
    }
    const Json& k = state.at("counters");
    counters_.reloads = k.at("reloads").get<long long>();
    counters_.restarts = k.at("restarts_total").get<long long>();
    counters_.messages_routed = k.at("messages_routed").get<long long>();
    counters_.ipc_bytes_in = k.at("ipc_bytes_in").get<long long>();
    counters_.ipc_bytes_out = k.at("ipc_bytes_out").get<long long>();
    counters_.rss_retired = k.at("rss_retired").get<long long>();
    counters_.log_dropped = k.at("log_dropped").get<long long>();
    counters_.upgrades = k.at("upgrades").get<long long>() + 1;
    target_workers_ = state.at("target_workers").get<int>();
    for (const auto& s : state.at("slots"))
        slot(s.at("id").get<int>())
            .backoff->restore(s.at("level").get<int>(), s.at("restarts").get<int>());
    const Json& ab = state.at("agent_backoff");
    agent_backoff_->restore(ab.at("level").get<int>(), ab.at("restarts").get<int>());
    std::vector<Duration> ages;
    for (const auto& ms : state.at("budget_ages_ms"))
        ages.push_back(std::chrono::milliseconds(ms.get<long long>()));
    budget_.restore(ages, Clock::now());
    for (const auto& [id, e] : state.at("last_exit").items()) last_exit_[std::stoi(id)] = e;
    last_failed_ = state.at("last_failed").get<bool>();
    reload_failure_ = state.at("reload_failure").get<std::string>();
    service_ready_ = state.at("service_ready").get<bool>();
    service_reloading_ = service_ready_;  // READY=1 again once this image runs
    if (service_.watchdog_interval()) service_.send("WATCHDOG=1");  // the exec took some
    if (!state.at("last_worker_status").is_null())
        last_worker_status_ = ExitStatus{state.at("last_worker_status").get<int>(), {}};
}

// After the logs are set up: the processes, and the restarts that were due later.
void Master::restore_upgrade_procs(const Json& state) {
    if (logs_)
        for (const auto& s : state.at("log_sinks"))
            logs_->adopt_sink(s.at("path").get<std::string>(), take_fd(s.at("fd")));
    std::set<int> slot_ids;
    for (const auto& s : state.at("slots")) slot_ids.insert(s.at("id").get<int>());
    for (const auto& w : state.at("procs")) adopt_proc(w);
    for (const auto& r : state.at("pending_restarts")) {
        Generation& g = new_generation(r.at("id").get<int>(), r.at("agent").get<bool>());
        g.sup->start_after(std::chrono::milliseconds(r.at("due_ms").get<long long>()));
    }
    // A stopping worker of a slot scaled away made its slot again (new_generation).
    for (auto it = slots_.begin(); it != slots_.end();)
        it = slot_ids.count(it->first) ? std::next(it) : slots_.erase(it);
}

void Master::adopt_proc(const Json& w) {
    int id = w.at("id").get<int>();
    bool agent = w.at("agent").get<bool>();
    auto uptime = std::chrono::milliseconds(w.at("uptime_ms").get<long long>());
    Generation& g = new_generation(id, agent);
    g.sup->adopt(Child::adopt(w.at("pid").get<pid_t>(), true), uptime, w.at("ready").get<bool>());
    auto proc = std::make_unique<Proc>(*g.sup, id, agent);
    Proc* p = proc.get();
    p->started = Clock::now() - uptime;
    p->generation = w.at("generation").get<long long>();
    p->state = w.at("stopping").get<bool>() ? Proc::State::stopping
               : w.at("online").get<bool>() ? Proc::State::online
                                            : Proc::State::starting;
    p->retiring = w.at("retiring").get<bool>();
    p->replace_me = w.at("replace_me").get<bool>();
    p->last_beat = Clock::now();
    if (const Json& ch = w.at("channel"); !ch.is_null()) {
        p->channel = IpcChannel(take_fd(ch.at("fd")));
        p->channel.set_auto_flush(false);
        p->channel.set_max_message(config_.max_message);
        p->channel.restore_input(restored_input(ch.at("input")));
    }
    g.proc = p;
    procs_.push_back(std::move(proc));
    if (p->channel.is_open())
        loop_.watch_fd(p->channel.fd(), EPOLLIN,
                       [this, p](uint32_t ev) { router_.on_channel(p, ev); });
    if (logs_ && w.contains("logs")) {
        UniqueFd fds[2];
        std::string partial[2];
        for (int i = 0; i < 2; ++i)
            if (const Json& s = w.at("logs").at(i); !s.is_null()) {
                fds[i] = take_fd(s.at("fd"));
                partial[i] = decode_base64(s.at("partial").get<std::string>());
            }
        logs_->attach(p, agent ? "agent" : "worker " + std::to_string(id),
                      agent ? "agent" : "worker-" + std::to_string(id), p->child.pid(),
                      std::move(fds[0]), std::move(fds[1]));
        for (int i = 0; i < 2; ++i) logs_->restore_partial(p, i, std::move(partial[i]));
    }
    // What was under way goes on, its grace starting anew.
    if (w.at("hung").get<bool>())
        stop_hung(p);
    else if (p->state == Proc::State::stopping || p->retiring)
        g.sup->stop(0, kill_grace());
    else if (p->state == Proc::State::starting && config_.ready == ClusterConfig::Ready::probe)
        start_probe(p);
}

// The new image runs: its event, READY=1 again, and the requester's reply.
void Master::announce_upgraded(const Json& state) {
    std::string from = state.at("version").get<std::string>();
    emit(Json{{"event", "upgraded"},
              {"version", PTOOL_BUILD_VERSION},
              {"from_version", from},
              {"binary", exe_path_},
              {"workers", procs_.size()},
              {"upgrades", counters_.upgrades}},
         nullptr,
         std::string("upgraded in place to ") + PTOOL_BUILD_VERSION + " (from " + from + ")");
    int fd = std::exchange(upgrade_client_, -1);
    if (fd >= 0)
        release_held_client(fd, Json{{"ok", true},
                                     {"upgraded", true},
                                     {"pid", ::getpid()},
                                     {"version", PTOOL_BUILD_VERSION},
                                     {"from_version", from}});
}

}  // namespace ptool::cluster
