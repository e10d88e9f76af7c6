// The process table from /proc, or from another procfs root (a container's, a
// test snapshot). Read with as few system calls as possible: per process one
// openat+read+fstat+close of PID/stat relative to the root's fd; statm, cmdline,
// task/, ns/ links and attr/current only when asked for (task/ only for
// multi-threaded processes).
// A process that vanishes mid-scan, or whose stat does not parse, is skipped.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ptool {

// The namespace types of /proc/PID/ns, in psmisc's order (pstree -S lists them so).
inline constexpr size_t kNamespaceTypes = 8;
inline constexpr std::array<std::string_view, kNamespaceTypes> kNamespaceNames{
    "cgroup", "ipc", "mnt", "net", "pid", "user", "uts", "time"};
// A namespace's inode per type; 0 where the link was not read or could not be.
using NamespaceInodes = std::array<uint64_t, kNamespaceTypes>;

struct ThreadInfo {
    pid_t tid = 0;
    std::string name;  // the thread's own comm (the process's when not read)
};

struct ProcessInfo {
    pid_t pid = 0;
    pid_t ppid = 0;
    pid_t pgid = 0;
    pid_t sid = 0;
    uid_t uid = 0;  // owner of /proc/PID (the effective uid, root if not dumpable)
    char state = '?';
    int num_threads = 1;
    int tty_nr = 0;           // the controlling terminal's device number; 0: none
    uint64_t start_time = 0;  // clock ticks after boot
    uint64_t cpu_ticks = 0;   // utime + stime
    uint64_t rss_pages = 0;
    uint64_t rss_kb = 0;  // statm's resident pages in KiB (status's VmRSS); only with exact_rss
    std::string comm;
    NamespaceInodes namespaces{};
    std::string security_context;  // attr/current's first line; read only on request
    // Raw NUL-separated argv bytes (empty for kernel threads); read only on request.
    std::optional<std::string> cmdline;
    // Every thread but the main one, by tid; read only on request.
    std::vector<ThreadInfo> threads;
    // Each thread's attr/current, as `threads` orders them; with security_context only.
    std::vector<std::string> thread_security_contexts;
};

// The fields of one /proc/PID/stat line that the table keeps. `comm` points
// into the line: between the first '(' and the LAST ')', since a name may hold
// both spaces and ')'.
struct StatLine {
    pid_t pid = 0;
    std::string_view comm;
    char state = '?';
    pid_t ppid = 0;
    pid_t pgid = 0;
    pid_t sid = 0;
    int tty_nr = 0;
    uint64_t utime = 0;
    uint64_t stime = 0;
    int num_threads = 0;  // 0 when the field is not a number
    uint64_t start_time = 0;
    uint64_t rss = 0;  // pages; 0 when the line stops before it
};

// nullopt for a malformed line (no "(comm)", or fewer fields than starttime).
std::optional<StatLine> parse_stat_line(std::string_view line);

struct ProcReadOptions {
    std::string root = "/proc";
    bool cmdline = false;
    size_t cmdline_limit = 0;  // read at most this many bytes of cmdline; 0: all of it
    bool threads = false;
    bool thread_names = false;      // each thread's own name from task/TID/stat
    unsigned namespaces = 0;        // bit i set: read ns/kNamespaceNames[i] of each process
    bool security_context = false;  // attr/current of each process (and thread)
    // rss_kb from statm, the exact figure ps(1) shows as status's VmRSS (stat's rss
    // is the kernel's per-CPU estimate, often 100 KiB off); one more read per process.
    bool exact_rss = false;
};

// The inode of `pid`'s namespace `type` (an index into kNamespaceNames), from the
// ns/ link's text "net:[4026531840]" under `dirfd`; 0 when it cannot be read.
uint64_t read_namespace_inode(int dirfd, pid_t pid, size_t type);

// All processes under `root`, sorted by pid. Throws SysError when the root
// cannot be opened and Error when it holds no process at all.
std::vector<ProcessInfo> read_process_table(const ProcReadOptions& options);

}  // namespace ptool
