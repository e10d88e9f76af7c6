#include "libcommon/pidfile.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string_view>
#include <thread>

#include "libcommon/error.hpp"
#include "libcommon/parse.hpp"

namespace ptool {

namespace {

bool same_file(int fd, const std::string& path) {
    struct stat a, b;
    return ::fstat(fd, &a) == 0 && ::stat(path.c_str(), &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
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
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            pid_t pid = parse_pid(read_fd_text(fd));
            ::close(fd);
            if (pid > 0) return pid;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return 0;
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
        int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
        bool created = false;
        if (fd < 0 && errno == ENOENT) {
            fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
            if (fd < 0 && errno == EEXIST) continue;  // lost a race: look again
            created = true;
        }
        if (fd < 0) throw SysError(path, errno, exit_code::launch_failed);
        UniqueFd held(fd);
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

PidfileStatus probe_pidfile(const std::string& path) {
    PidfileStatus status;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return status;
        throw SysError(path, errno);
    }
    UniqueFd file(fd);
    status.pid = parse_pid(read_fd_text(fd));
    status.state = try_lock(fd, LOCK_SH, path) ? PidfileState::stale : PidfileState::running;
    return status;
}

void remove_own_pidfile(const std::string& path, int lock_fd) noexcept {
    if (same_file(lock_fd, path)) ::unlink(path.c_str());
}

bool remove_stale_pidfile(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return false;
        throw SysError(path, errno);
    }
    UniqueFd file(fd);
    if (!try_lock(fd, LOCK_EX, path) || !same_file(fd, path)) return false;
    return ::unlink(path.c_str()) == 0;
}

}  // namespace ptool
