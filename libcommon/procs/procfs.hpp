// The process table from /proc, or from another procfs root (a container's, a
// test snapshot). Read with as few system calls as possible: per process one
// openat+read+fstat+close of PID/stat relative to the root's fd; cmdline and
// task/ only when asked for (and task/ only for multi-threaded processes).
// A process that vanishes mid-scan, or whose stat does not parse, is skipped.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ptool {

struct ThreadInfo {
    pid_t tid = 0;
    std::string name;  // the thread's own comm (the process's when not read)
};

struct ProcessInfo {
    pid_t pid = 0;
    pid_t ppid = 0;
    pid_t pgid = 0;
    uid_t uid = 0;  // owner of /proc/PID (the effective uid, root if not dumpable)
    char state = '?';
    int num_threads = 1;
    uint64_t start_time = 0;  // clock ticks after boot
    std::string comm;
    // Raw NUL-separated argv bytes (empty for kernel threads); read only on request.
    std::optional<std::string> cmdline;
    // Every thread but the main one, by tid; read only on request.
    std::vector<ThreadInfo> threads;
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
    int num_threads = 0;  // 0 when the field is not a number
    uint64_t start_time = 0;
};

// nullopt for a malformed line (no "(comm)", or fewer fields than starttime).
std::optional<StatLine> parse_stat_line(std::string_view line);

struct ProcReadOptions {
    std::string root = "/proc";
    bool cmdline = false;
    size_t cmdline_limit = 0;  // read at most this many bytes of cmdline; 0: all of it
    bool threads = false;
    bool thread_names = false;  // each thread's own name from task/TID/stat
};

// All processes under `root`, sorted by pid. Throws SysError when the root
// cannot be opened and Error when it holds no process at all.
std::vector<ProcessInfo> read_process_table(const ProcReadOptions& options);

}  // namespace ptool
