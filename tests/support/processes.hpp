// Helpers for tests of programs that outlive the command that starts them
// (daemonize, fork-cluster): reaping them pass or fail, reading the pid a command
// prints, waiting for lines in a file, a pidfile's lock, a run's peak memory, and
// /proc look-ups (a stat field, a process group's members, VmHWM).
#pragma once

#include <string>
#include <vector>

#include "test_support.hpp"

namespace ptool::test {

// Every process added is SIGKILLed and waited for on destruction, pass or fail.
class ProcessReaper {
public:
    ProcessReaper() = default;
    ~ProcessReaper();
    ProcessReaper(const ProcessReaper&) = delete;
    ProcessReaper& operator=(const ProcessReaper&) = delete;
    // Returns `pid`; a pid <= 0 (a failed start) is not kept.
    int add(int pid);
    // Adds the pid written in `pidfile` (0, not kept, when it holds none).
    int add_from_file(const std::string& pidfile);

private:
    std::vector<int> pids_;
};

// The pid in `out`, which must be exactly one decimal number and a newline.
int parse_pid_line(const std::string& out);
// Waits until `path` holds at least `lines` complete lines; returns what it holds.
std::string wait_for_lines(const std::string& path, size_t lines = 1);
// Whether some process holds an flock(2) lock on `path` (false when it does not exist:
// flock(1) would create it, and as root win the race against its real owner).
bool pidfile_locked(const std::string& path);
// Peak RSS in KiB of the built ptool run with `args` under /usr/bin/time; its result in `r`.
long peak_rss_kib(const std::vector<std::string>& args, RunResult& r);
// Field `index` (1-based, as in proc(5): 4 ppid, 5 pgrp, 6 session) of /proc/PID/stat,
// or -1 (no such process).
long stat_field(int pid, int index);
// Live (non-zombie) processes whose process group is `pgid`.
std::vector<int> group_members(int pgid);
// The high-water RSS (VmHWM) of a running process, in kB, or -1.
long vm_hwm_kb(int pid);

}  // namespace ptool::test
