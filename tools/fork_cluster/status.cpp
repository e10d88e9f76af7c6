// fork-cluster's "status" reply (pm2 jlist): per process its state, pid, uptime,
// started_at (RFC 3339, ms), restarts, last_exit, rss_kb and cpu_ms from
// /proc/PID/stat, and the master's own figures and counters (the /metrics source too).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "libcommon/core/error.hpp"
#include "libcommon/procs/procfs.hpp"
#include "tools/fork_cluster/master.hpp"

namespace ptool::cluster {

ProcUsage read_proc_usage(pid_t pid) {
    ProcUsage u;
    // One read into a stack buffer (a stat line is a few hundred bytes): a status request
    // reads this for every worker, and a client may send thousands of them.
    char path[40];
    std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
    char line[2048];  // parsed by libcommon/procs, pstree's parser
    ssize_t len = -1;
    if (int fd = ::open(path, O_RDONLY | O_CLOEXEC); fd >= 0) {
        do len = ::read(fd, line, sizeof line - 1);
        while (len < 0 && errno == EINTR);
        ::close(fd);
    }
    if (len <= 0) return u;
    auto stat = parse_stat_line(std::string_view(line, static_cast<size_t>(len)));
    if (!stat) return u;
    static const long ticks = ::sysconf(_SC_CLK_TCK);
    static const long page_kb = ::sysconf(_SC_PAGESIZE) / 1024;
    u.valid = true;
    u.cpu_ms = static_cast<long long>((stat->utime + stat->stime) * 1000 /
                                      static_cast<unsigned long long>(ticks));
    u.rss_kb = static_cast<long long>(stat->rss) * page_kb;
    return u;
}

// A steady-clock instant as wall-clock time (the Procs keep steady time).
std::chrono::system_clock::time_point wall_time(Clock::time_point t) {
    auto ago = Clock::now() - t;
    return std::chrono::system_clock::now() -
           std::chrono::duration_cast<std::chrono::system_clock::duration>(ago);
}

Json Master::status() {
    auto now = Clock::now();
    auto describe = [&](const Proc& p) {
        auto slot = slots_.find(p.agent ? 0 : p.id);
        ProcUsage u = read_proc_usage(p.child.pid());
        auto last = last_exit_.find(p.agent ? 0 : p.id);
        return Json{{"id", p.id},
                    {"pid", p.child.pid()},
                    {"state", p.state_name()},
                    {"uptime_ms", to_ms(now - p.started)},
                    {"started_at", utc_time_ms(wall_time(p.started))},
                    {"restarts", slot == slots_.end() ? 0 : slot->second.backoff->restarts()},
                    {"last_exit", last == last_exit_.end() ? Json(nullptr) : last->second},
                    {"rss_kb", u.valid ? Json(u.rss_kb) : Json(nullptr)},
                    {"cpu_ms", u.valid ? Json(u.cpu_ms) : Json(nullptr)}};
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
    ProcUsage self = read_proc_usage(::getpid());
    Json master{{"pid", ::getpid()},
                {"rss_kb", self.rss_kb},
                {"cpu_ms", self.cpu_ms},
                {"started_at", utc_time_ms(wall_time(started_))},
                {"uptime_ms", to_ms(now - started_)},
                {"reloads", counters_.reloads},
                {"upgrades", counters_.upgrades},
                {"restarts", counters_.restarts},
                {"messages_routed", counters_.messages_routed},
                {"ipc_bytes_in", counters_.ipc_bytes_in},
                {"ipc_bytes_out", counters_.ipc_bytes_out},
                {"log_lines_dropped", counters_.log_dropped}};
    Json out{{"ok", true},         {"pid", ::getpid()}, {"target_workers", target_workers_},
             {"workers", workers}, {"agent", agent},    {"listen", listen},
             {"master", master}};
    if (!reload_failure_.empty()) out["reload_failed"] = reload_failure_;
    if (auto progress = reload_progress())
        out["reloading"] = Json{{"replaced", progress->replaced},
                                {"workers", progress->workers},
                                {"batch", config_.reload_batch},
                                {"text", reload_status_text()}};
    return out;
}

void Master::note_exit(int id, const ExitStatus& st) {
    last_exit_[id] = Json{{"code", st.exited() ? Json(st.code()) : Json(nullptr)},
                          {"signal", st.exited() ? Json(nullptr) : Json(signal_name(st.signal()))},
                          {"at", utc_time_ms(std::chrono::system_clock::now())}};
}

}  // namespace ptool::cluster
