// An owning file descriptor and the read/write helpers every tool uses
// (busybox's safe_read/full_write): EINTR retried, short writes completed.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ptool {

// Move-only owner of one fd; closes it on destruction.
class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept {
        if (this != &other) reset(other.release());
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }

    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    int release() { return std::exchange(fd_, -1); }
    void reset(int fd = -1) noexcept;

private:
    int fd_ = -1;
};

// open(2) with O_CLOEXEC; throws SysError("PATH: why") on failure.
UniqueFd open_file(const std::string& path, int flags, mode_t mode = 0666);

// Reads up to `len` bytes, retrying EINTR and short reads until len or EOF.
// Returns bytes read (< len only at EOF), or -1 with errno set.
ssize_t read_full(int fd, void* buf, size_t len);
// Writes all of `len` bytes, retrying EINTR and short writes. Returns 0 or -1 with errno.
int write_full(int fd, const void* buf, size_t len);
inline int write_full(int fd, std::string_view s) {
    return write_full(fd, s.data(), s.size());
}

// Reads everything until EOF; throws SysError(what, errno) on a read error.
std::string read_all(int fd, std::string_view what);
// Reads a whole file (small files such as /proc entries); throws SysError("PATH: why").
std::string read_file(const std::string& path);

// pipe2(O_CLOEXEC): [0] read end, [1] write end.
struct Pipe {
    UniqueFd read;
    UniqueFd write;
};
Pipe make_pipe(int extra_flags = 0);

// Control-message space for passing one fd with sendmsg (SCM_RIGHTS).
struct FdPassingControl {
    alignas(cmsghdr) char data[CMSG_SPACE(sizeof(int))];
};
// Attaches `fd` to `msg` as SCM_RIGHTS, with `control` as the buffer (it must outlive
// the sendmsg call). Used by the IPC channel and the sd_notify sender alike.
void attach_fd(msghdr& msg, FdPassingControl& control, int fd);

// Sets or clears O_NONBLOCK / FD_CLOEXEC.
void set_nonblocking(int fd, bool on = true);
void set_cloexec(int fd, bool on = true);

// Waits until `fd` is readable (a pidfd: its process has exited), at most `limit`.
bool wait_readable(int fd, std::chrono::nanoseconds limit);

// Closes every fd but 0-2 and `keep`: for a process that is never exec'd (where
// close-on-exec cleans nothing up), e.g. daemonize's --respawn supervisor.
void close_fds_except(std::vector<int> keep);

}  // namespace ptool
