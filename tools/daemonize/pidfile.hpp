// Pidfiles that cannot lie: the file is flock()ed by the daemon for its whole
// life (the lock is the truth, the number is for humans), written atomically
// (a locked temp file renamed into place), and a stale one is replaced.
// Pidfiles that cannot be planted: never opened through a symlink, and one is used
// only when owned by the caller or root and writable by nobody else; a file that is
// not ours is never truncated, replaced or removed.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <string>

#include "libcommon/core/fd.hpp"

namespace ptool {

// A pidfile being set up for a daemon that is about to start. Flow:
// acquire() -> fork/exec, handing lock_fd() to the daemon -> write_pid() -> publish().
// Dropped without publish(), it removes what it created (exec failed: no pidfile left).
class PidfileLock {
public:
    // Fails with Error("already running (pid N)") (exit 1) when a live process holds
    // `path` locked, and with Error("PATH: why", exit 125) when `path` is not a
    // trusted pidfile (check_pidfile_trust). Otherwise holds `path` locked (creating an empty
    // placeholder when it is missing, so that a racing start sees it taken) and prepares a locked
    // temp file beside it. Other errors: SysError("PATH: why", exit 125).
    static PidfileLock acquire(const std::string& path);

    PidfileLock(PidfileLock&&) noexcept = default;
    PidfileLock& operator=(PidfileLock&&) noexcept = default;
    ~PidfileLock();

    // The fd whose open file description carries the lock: the daemon inherits it.
    int lock_fd() const { return temp_fd_.get(); }
    const std::string& path() const { return path_; }
    // Writes "PID\n" into the (not yet visible) file.
    void write_pid(pid_t pid);
    // Renames the file into place: readers see the whole pid or the old file.
    void publish();

private:
    PidfileLock() = default;
    void discard() noexcept;

    std::string path_;
    std::string temp_path_;
    UniqueFd temp_fd_;  // the new pidfile, locked
    UniqueFd held_fd_;  // what is at path_ now (stale or placeholder), locked
    bool created_placeholder_ = false;
    bool published_ = false;
};

enum class PidfileState {
    missing,  // no file
    stale,    // a file nobody holds locked (its pid may be reused: never signal it)
    running,  // locked by a live process
};

struct PidfileStatus {
    PidfileState state = PidfileState::missing;
    pid_t pid = 0;  // from the file; 0 when it holds no valid number
    dev_t dev = 0;  // the file looked at
    ino_t ino = 0;
};

// Throws Error("PATH: why", exit_status) unless `st` is a regular file owned by the
// caller or root that neither group nor others may write.
void check_pidfile_trust(const std::string& path, const struct stat& st, int exit_status);

// Looks at a pidfile without changing it. Throws SysError on errors other than ENOENT,
// and Error for a symlink or an untrusted file (check_pidfile_trust).
PidfileStatus probe_pidfile(const std::string& path);

// Whether process `pid` has the file `status` describes open: the lock lives on an
// open file, so this is what "pid holds the pidfile's lock" means. A pid written into
// a file it does not hold is not the daemon, whatever the file says.
bool process_holds_pidfile(pid_t pid, const PidfileStatus& status);

// Removes `path` if it is still the file whose lock `lock_fd` holds (same inode):
// the daemon (or supervisor) cleaning up after itself never removes a successor's file.
void remove_own_pidfile(const std::string& path, int lock_fd) noexcept;

// Removes `path` when nobody holds it locked and it is a trusted pidfile; returns
// whether it was removed.
bool remove_stale_pidfile(const std::string& path);

// "1234" or "1234\n" -> 1234; 0 for anything else.
pid_t parse_pid(std::string_view text);

}  // namespace ptool
