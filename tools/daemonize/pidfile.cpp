// Locked pidfiles: create, write atomically, probe and remove (pidfile.hpp).
#include "tools/daemonize/pidfile.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <string_view>
#include <thread>

#include "libcommon/core/error.hpp"
#include "libcommon/core/parse.hpp"
#include "libcommon/core/safe_open.hpp"

namespace ptool {

namespace {

bool same_file(int fd, const std::string& path) {
    struct stat a, b;
    return ::fstat(fd, &a) == 0 && ::lstat(path.c_str(), &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

// An existing pidfile, opened without following a symlink and checked for trust;
// an empty fd when there is none.
UniqueFd open_existing(const std::string& path, int flags, int exit_status) {
    SafeFile file;
    try {
        file = safe_open(path, flags, 0,
                         SafeOpenOptions{.never_follow = true, .exit_status = exit_status});
    } catch (const SysError& e) {
        if (e.err() == ENOENT) return UniqueFd();
        throw;
    }
    check_pidfile_trust(path, file.st, exit_status);
    return std::move(file.fd);
}

// flock(LOCK_NB): true when taken, false when another open file holds it.
bool try_lock(int fd, int how, const std::string& path) {
    while (::flock(fd, how | LOCK_NB) < 0) {
        if (errno == EWOULDBLOCK) return false;
        if (errno != EINTR) throw SysError(path, errno, exit_code::launch_failed);
    }
    return true;
}

std::string read_fd_text(int fd) {
    char buf[64];
    ssize_t n = ::pread(fd, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

[[noreturn]] void throw_running(pid_t pid) {
    throw Error(pid > 0 ? "already running (pid " + std::to_string(pid) + ")"
                        : std::string("already running"));
}

// A locked pidfile may be a placeholder of a start in progress: give it a
// moment to publish its pid so the error can name it.
pid_t pid_of_locked(const std::string& path) {
    for (int i = 0; i < 50; ++i) {
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd >= 0) {
            pid_t pid = parse_pid(read_fd_text(fd));
            ::close(fd);
            if (pid > 0) return pid;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return 0;
}

// Temp files of starts whose caller was SIGKILLed before publishing: ours, and
// locked by nobody (a daemon still running unpublished keeps its own locked).
void remove_orphaned_temps(const std::string& dir, const std::string& base) {
    std::string prefix = "." + base + ".";
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        std::string name = entry.path().filename().string();
        if (name.size() != prefix.size() + 6 || name.compare(0, prefix.size(), prefix) != 0)
            continue;
        std::string path = entry.path().string();
        try {
            UniqueFd fd = open_existing(path, O_RDONLY, exit_code::launch_failed);
            if (fd && try_lock(fd.get(), LOCK_EX, path) && same_file(fd.get(), path))
                ::unlink(path.c_str());
        } catch (const Error&) {
            // not ours to remove
        }
    }
}

}  // namespace

pid_t parse_pid(std::string_view text) {
    if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    auto n = parse_int(text);
    return n && *n > 0 && *n <= INT32_MAX ? static_cast<pid_t>(*n) : 0;
}

PidfileLock PidfileLock::acquire(const std::string& path) {
    PidfileLock lock;
    lock.path_ = path;
    // Take hold of whatever is at `path` (or a placeholder we create there), so
    // that no other start can slip in before our rename.
    for (int attempt = 0;; ++attempt) {
        if (attempt == 100) throw SysError(path, EBUSY, exit_code::launch_failed);
        // Read-only is enough to lock, and never lets us truncate what is not ours.
        UniqueFd held = open_existing(path, O_RDONLY, exit_code::launch_failed);
        bool created = false;
        if (!held) {
            int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
            if (fd < 0 && errno == EEXIST) continue;  // lost a race: look again
            if (fd < 0) throw SysError(path, errno, exit_code::launch_failed);
            held.reset(fd);
            created = true;
        }
        int fd = held.get();
        if (!try_lock(fd, LOCK_EX, path)) {
            if (!same_file(fd, path)) continue;  // replaced meanwhile
            throw_running(pid_of_locked(path));
        }
        if (!same_file(fd, path)) continue;  // locked a file already renamed away
        lock.held_fd_ = std::move(held);
        lock.created_placeholder_ = created;
        break;
    }

    size_t slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
    std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    remove_orphaned_temps(dir, base);  // we hold the name: no start of ours is racing
    std::string temp = dir + "/." + base + ".XXXXXX";
    int fd = ::mkostemp(temp.data(), O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        lock.discard();
        throw SysError(path, err, exit_code::launch_failed);
    }
    lock.temp_fd_.reset(fd);
    lock.temp_path_ = temp;
    ::fchmod(fd, 0644);
    try_lock(fd, LOCK_EX, temp);  // nobody else knows this file: always succeeds
    return lock;
}

PidfileLock::~PidfileLock() {
    if (!published_) discard();
}

void PidfileLock::discard() noexcept {
    if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
    temp_path_.clear();
    // The file at path_ is a placeholder or a stale pidfile that we hold locked:
    // remove it, so a failed start leaves no pidfile behind.
    if (held_fd_ && same_file(held_fd_.get(), path_)) ::unlink(path_.c_str());
    held_fd_.reset();
    temp_fd_.reset();
}

void PidfileLock::write_pid(pid_t pid) {
    std::string text = std::to_string(pid) + "\n";
    if (::ftruncate(temp_fd_.get(), 0) < 0 ||
        ::pwrite(temp_fd_.get(), text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()))
        throw SysError(path_, errno, exit_code::launch_failed);
}

void PidfileLock::publish() {
    if (::rename(temp_path_.c_str(), path_.c_str()) < 0)
        throw SysError(path_, errno, exit_code::launch_failed);
    temp_path_.clear();
    published_ = true;
    held_fd_.reset();  // the old file is gone from the directory: let it go
}

void check_pidfile_trust(const std::string& path, const struct stat& st, int exit_status) {
    auto refuse = [&](const std::string& why) {
        throw Error(path + ": " + why + " (refused: not a pidfile of yours or root's)",
                    exit_status);
    };
    if (!S_ISREG(st.st_mode)) refuse("not a regular file");
    if (st.st_uid != 0 && st.st_uid != ::geteuid())
        refuse("owned by uid " + std::to_string(st.st_uid));
    if (st.st_mode & (S_IWGRP | S_IWOTH)) refuse("writable by group or others");
}

PidfileStatus probe_pidfile(const std::string& path) {
    PidfileStatus status;
    UniqueFd file = open_existing(path, O_RDONLY, exit_code::failure);
    if (!file) return status;
    int fd = file.get();
    struct stat st;
    if (::fstat(fd, &st) < 0) throw SysError(path, errno);
    status.dev = st.st_dev;
    status.ino = st.st_ino;
    status.pid = parse_pid(read_fd_text(fd));
    status.state = try_lock(fd, LOCK_SH, path) ? PidfileState::stale : PidfileState::running;
    return status;
}

void remove_own_pidfile(const std::string& path, int lock_fd) noexcept {
    if (same_file(lock_fd, path)) ::unlink(path.c_str());
}

bool process_holds_pidfile(pid_t pid, const PidfileStatus& status) {
    if (pid <= 0 || status.state == PidfileState::missing) return false;
    std::error_code ec;
    std::filesystem::directory_iterator fds("/proc/" + std::to_string(pid) + "/fd", ec);
    if (ec) return false;
    for (const auto& entry : fds) {
        struct stat st;  // stat through the magic link: the open file itself
        if (::stat(entry.path().c_str(), &st) == 0 && st.st_dev == status.dev &&
            st.st_ino == status.ino)
            return true;
    }
    return false;
}

bool remove_stale_pidfile(const std::string& path) {
    UniqueFd file = open_existing(path, O_RDONLY, exit_code::failure);
    if (!file) return false;
    int fd = file.get();
    if (!try_lock(fd, LOCK_EX, path) || !same_file(fd, path)) return false;
    return ::unlink(path.c_str()) == 0;
}

}  // namespace ptool
