// fork-cluster's worker logs (--log FILE|-, --log-dir DIR): each worker's and the
// agent's stdout and stderr come to the master through pipes and go out a line at a
// time, tagged "[worker N]" (and with --timestamps an ISO-8601 UTC time in ms), to
// stderr, one file, or one file per worker plus master.log for the master itself.
// Files rotate past --log-max (FILE.1 .. FILE.N, --log-keep) and are reopened on
// SIGUSR1 or {"cmd":"rotate"} (logrotate's postrotate). Writes never block the loop:
// a sink that cannot keep up drops whole lines past a bound, counted.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "libcommon/core/fd.hpp"
#include "libcommon/core/output.hpp"
#include "libcommon/launch/event_loop.hpp"

namespace ptool {

struct LogConfig {
    std::string file;  // --log: "-" is the master's stderr
    std::string dir;   // --log-dir
    bool timestamps = false;
    std::optional<uint64_t> max_size;  // --log-max
    int keep = 5;                      // --log-keep
};

// One destination: stderr, or a file that rotates and reopens.
class LogSink {
public:
    LogSink(std::string path, const LogConfig& config);                    // path "": stderr
    LogSink(std::string path, const LogConfig& config, UniqueFd open_fd);  // already open
    int fd() const { return fd_.get(); }
    void write_line(std::string_view line);
    void reopen();
    size_t dropped() const { return writer_ ? writer_->dropped_total() + dropped_before_ : 0; }
    EventWriter* writer() { return writer_.get(); }

private:
    void open();
    void rotate();

    std::string path_;
    const LogConfig& config_;
    UniqueFd fd_;
    std::unique_ptr<EventWriter> writer_;
    uint64_t size_ = 0;
    size_t dropped_before_ = 0;
};

// The pipes of every running process and the sinks they write to.
class ClusterLogs {
public:
    // `on_dropped(name, pid, count)`: lines of that process were dropped (at most once a
    // second per process).
    using DropReport = std::function<void(const std::string& name, pid_t pid, size_t count)>;
    ClusterLogs(EventLoop& loop, const LogConfig& config, DropReport on_dropped);
    ~ClusterLogs();
    // Starts reading `out` and `err` (the process's stdout and stderr pipes).
    void attach(const void* key, const std::string& name, const std::string& file_name, pid_t pid,
                UniqueFd out, UniqueFd err);
    // The process ended: what its pipes still hold is written, then they are closed.
    void detach(const void* key);
    // Reopens every file (after logrotate moved them), and the master's log.
    void reopen();

    // Carried over a re-exec of the master (upgrade.cpp, upgrade_restore.cpp): a
    // process's pipes (-1: none) with the unended line each holds, and the open files.
    struct SavedSource {
        int fds[2] = {-1, -1};
        std::string partial[2];
    };
    SavedSource save(const void* key) const;
    std::vector<std::pair<std::string, int>> sink_fds() const;  // (path, fd), files only
    // The next image: a file the one before had open, before any attach() uses it.
    void adopt_sink(const std::string& path, UniqueFd fd);
    void restore_partial(const void* key, int which, std::string partial);
    // Waits up to `timeout_ms` for what the sinks queued.
    void flush(int timeout_ms);

private:
    struct Stream {
        UniqueFd fd;
        std::string partial;
    };
    struct Source {
        std::string name;  // "worker 3", "agent"
        pid_t pid = 0;
        LogSink* sink = nullptr;
        Stream streams[2];
        size_t reported = 0;
        EventLoop::Clock::time_point last_report{};
    };
    LogSink& sink_for(const std::string& file_name);
    void on_readable(Source& s, int which, bool drain);
    void emit_line(Source& s, std::string_view line);
    void open_master_log();

    EventLoop& loop_;
    const LogConfig& config_;
    DropReport on_dropped_;
    std::map<std::string, std::unique_ptr<LogSink>> sinks_;  // by file name ("" stderr)
    std::map<const void*, std::unique_ptr<Source>> sources_;
};

// --log-dir: fd 2 becomes DIR/master.log (a no-op without --log-dir).
void redirect_master_stderr(const LogConfig& config);

// RFC 3339 / ISO-8601 in UTC with milliseconds: "2026-12-01T19:15:04.123Z".
std::string utc_time_ms(std::chrono::system_clock::time_point t);
inline std::string utc_time_ms_now() {
    return utc_time_ms(std::chrono::system_clock::now());
}

}  // namespace ptool
