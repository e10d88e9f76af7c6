// The subreaper and the whole-tree kill (kill_tree.hpp): descendants found in /proc,
// each proven ours through a pidfd before it is signalled.
#include "libcommon/launch/kill_tree.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <optional>

#include "libcommon/core/error.hpp"
#include "libcommon/procs/procfs.hpp"

namespace ptool {

namespace {

using Clock = std::chrono::steady_clock;

// After the SIGKILL round, how long the sweep waits for the tree to go (a process
// in uninterruptible sleep dies only when it wakes) before giving up on it.
constexpr auto kKillWait = std::chrono::seconds(5);
// How often the sweep looks for processes forked since its last look.
constexpr auto kRescan = std::chrono::milliseconds(50);

int open_pidfd(pid_t pid) {
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

// Not yet reaped (a zombie still counts): its pid cannot have been recycled.
bool pidfd_alive(int pidfd) {
    return ::syscall(SYS_pidfd_send_signal, pidfd, 0, nullptr, 0) == 0;
}

struct StatNow {
    pid_t ppid;
    char state;
};

std::optional<StatNow> read_stat(const std::string& root, pid_t pid) {
    std::string path = root + "/" + std::to_string(pid) + "/stat";
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!fd) return std::nullopt;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd.get(), buf, sizeof buf)) < 0 && errno == EINTR) {
    }
    if (n <= 0) return std::nullopt;
    auto line = parse_stat_line(std::string_view(buf, static_cast<size_t>(n)));
    if (!line) return std::nullopt;
    return StatNow{line->ppid, line->state};
}

std::multimap<pid_t, pid_t> live_children_by_parent(const std::string& root) {
    ProcReadOptions options;
    options.root = root;
    std::multimap<pid_t, pid_t> children;
    for (const auto& p : read_process_table(options))
        if (p.state != 'Z') children.emplace(p.ppid, p.pid);
    return children;
}

}  // namespace

void become_subreaper() {
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
        throw SysError("prctl PR_SET_CHILD_SUBREAPER", errno);
}

std::vector<Descendant> find_descendants(const std::string& proc_root) {
    const pid_t self = ::getpid();
    auto children = live_children_by_parent(proc_root);
    std::vector<Descendant> tree;
    // (pid, index in `tree` of the parent it was found under; -1: this process)
    std::vector<std::pair<pid_t, int>> queue;
    auto enqueue_children = [&](pid_t parent, int index) {
        auto [from, to] = children.equal_range(parent);
        for (auto it = from; it != to; ++it) queue.emplace_back(it->second, index);
    };
    enqueue_children(self, -1);
    for (size_t i = 0; i < queue.size(); ++i) {
        auto [pid, parent] = queue[i];
        if (pid == self) continue;
        UniqueFd pidfd(open_pidfd(pid));
        if (!pidfd && errno != ENOSYS) continue;  // gone
        auto st = read_stat(proc_root, pid);
        if (!st || st->state == 'Z') continue;
        const bool reparented = st->ppid == self;  // an orphan the subreaper took in
        const pid_t expected = parent < 0 ? self : tree[static_cast<size_t>(parent)].pid;
        if (!reparented && st->ppid != expected) continue;
        if (!pidfd) {
            // No pidfds: only a child of ours is safe (its pid is held until we reap it).
            if (!reparented) continue;
        } else {
            // Alive after the read: the stat read was of the process the pidfd holds;
            // the parent alive too: the parent it named was the proven one.
            if (!pidfd_alive(pidfd.get())) continue;
            if (!reparented) {
                const UniqueFd& up = tree[static_cast<size_t>(parent)].pidfd;
                if (!up || !pidfd_alive(up.get())) continue;
            }
        }
        int index = static_cast<int>(tree.size());
        tree.push_back(Descendant{pid, std::move(pidfd)});
        enqueue_children(pid, index);
    }
    return tree;
}

size_t signal_descendants(const std::vector<Descendant>& tree, int sig) {
    size_t sent = 0;
    for (const auto& d : tree) {
        bool ok = d.pidfd ? ::syscall(SYS_pidfd_send_signal, d.pidfd.get(), sig, nullptr, 0) == 0
                          : ::kill(d.pid, sig) == 0;
        if (ok) ++sent;
    }
    return sent;
}

void reap_orphans(pid_t keep) {
    const pid_t self = ::getpid();
    ProcReadOptions options;
    for (const auto& p : read_process_table(options))
        if (p.ppid == self && p.state == 'Z' && p.pid != keep) {
            int status;
            ::waitpid(p.pid, &status, WNOHANG);
        }
}

size_t kill_descendants(int sig, std::chrono::nanoseconds grace, pid_t keep) {
    auto tree = find_descendants();
    size_t first = signal_descendants(tree, sig);
    if (sig != SIGKILL && sig != SIGCONT) signal_descendants(tree, SIGCONT);
    bool killed = sig == SIGKILL;
    auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(grace);
    for (;;) {
        reap_orphans(keep);
        tree = find_descendants();
        if (tree.empty()) break;
        auto now = Clock::now();
        if (killed && now >= deadline) break;  // what SIGKILL cannot end soon is left
        if (killed || now >= deadline) {
            // Every round after the grace: processes forked since the last look too.
            signal_descendants(tree, SIGKILL);
            if (!killed) deadline = now + kKillWait;
            killed = true;
        }
        std::vector<pollfd> fds;
        for (const auto& d : tree)
            if (d.pidfd) fds.push_back({d.pidfd.get(), POLLIN, 0});
        auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
        int ms = static_cast<int>(std::clamp<long long>(left.count(), 0, kRescan.count()));
        ::poll(fds.data(), fds.size(), ms);
    }
    reap_orphans(keep);  // what became a zombie after the last reaping
    return first;
}

}  // namespace ptool
