// Killing a child's whole tree (spawn/exec --kill-tree): ptool becomes a child
// subreaper, so a descendant that setsid()s out of the process group or loses its
// parent is reparented to ptool instead of init, and stays findable in /proc as a
// descendant of ptool. Every pid is signalled through a pidfd proven to be ours.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "libcommon/core/fd.hpp"

namespace ptool {

// prctl(PR_SET_CHILD_SUBREAPER, 1) for this process; throws SysError.
void become_subreaper();

// A live descendant of this process, with a pidfd (-1 when the kernel has none)
// opened before its parent chain was re-read and found to lead here.
struct Descendant {
    pid_t pid = 0;
    UniqueFd pidfd;
};

// Every descendant of this process in `proc_root` now, parents before children;
// zombies are left out. A pid is kept only if, after its pidfd was opened, its
// /proc stat still names a proven descendant (or this process) as parent and both
// pidfds still refer to live processes: a recycled pid is never taken for ours.
// Without pidfd_open only this process's own children are kept (their pids cannot
// be recycled before ptool reaps them).
std::vector<Descendant> find_descendants(const std::string& proc_root = "/proc");

// Sends `sig` to each descendant (through its pidfd); returns how many got it.
size_t signal_descendants(const std::vector<Descendant>& tree, int sig);

// Reaps the zombies among this process's own children except `keep` (orphans
// reparented to the subreaper, which nobody else waits for).
void reap_orphans(pid_t keep);

// Until no descendant is left: `sig` to all of them (then SIGCONT, unless `sig` is
// KILL or CONT, so that a stopped one acts on it), SIGKILL to those still there
// after `grace`. Reaps the orphans as they end (never `keep`). Blocks; returns how
// many processes were signalled in the first round.
size_t kill_descendants(int sig, std::chrono::nanoseconds grace, pid_t keep = -1);

}  // namespace ptool
