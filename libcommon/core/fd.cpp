// UniqueFd and the EINTR-safe, short-write-completing read/write helpers (fd.hpp).
#include "libcommon/core/fd.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "libcommon/core/error.hpp"

namespace ptool {

void UniqueFd::reset(int fd) noexcept {
    if (fd_ >= 0) ::close(fd_);  // close(2) must not be retried on EINTR on Linux
    fd_ = fd;
}

UniqueFd open_file(const std::string& path, int flags, mode_t mode) {
    int fd;
    do {
        fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) throw SysError(path, errno);
    return UniqueFd(fd);
}

ssize_t read_full(int fd, void* buf, size_t len) {
    auto* p = static_cast<char*>(buf);
    size_t got = 0;
    while (got < len) {
        ssize_t n = ::read(fd, p + got, len - got);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (n == 0) break;
        got += static_cast<size_t>(n);
    }
    return static_cast<ssize_t>(got);
}

int write_full(int fd, const void* buf, size_t len) {
    const auto* p = static_cast<const char*>(buf);
    while (len > 0) {
        ssize_t n = ::write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += n;
        len -= static_cast<size_t>(n);
    }
    return 0;
}

std::string read_all(int fd, std::string_view what) {
    std::string out;
    size_t cap = 4096;
    for (;;) {
        size_t old = out.size();
        out.resize(old + cap);
        ssize_t n = ::read(fd, out.data() + old, cap);
        if (n < 0) {
            if (errno == EINTR) {
                out.resize(old);
                continue;
            }
            throw SysError(what, errno);
        }
        out.resize(old + static_cast<size_t>(n));
        if (n == 0) return out;
        if (cap < (1u << 20)) cap *= 2;
    }
}

std::string read_file(const std::string& path) {
    UniqueFd fd = open_file(path, O_RDONLY);
    return read_all(fd.get(), path);
}

Pipe make_pipe(int extra_flags) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | extra_flags) < 0) throw SysError("pipe", errno);
    return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void attach_fd(msghdr& msg, FdPassingControl& control, int fd) {
    std::memset(control.data, 0, sizeof control.data);
    msg.msg_control = control.data;
    msg.msg_controllen = sizeof control.data;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
}

void set_nonblocking(int fd, bool on) {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0) throw SysError("fcntl", errno);
    flags = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
    if (::fcntl(fd, F_SETFL, flags) < 0) throw SysError("fcntl", errno);
}

void set_cloexec(int fd, bool on) {
    int flags = ::fcntl(fd, F_GETFD);
    if (flags < 0) throw SysError("fcntl", errno);
    flags = on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
    if (::fcntl(fd, F_SETFD, flags) < 0) throw SysError("fcntl", errno);
}

bool wait_readable(int fd, std::chrono::nanoseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd p{fd, POLLIN, 0};
        int r = ::poll(&p, 1, static_cast<int>(std::max<long long>(left.count(), 0)));
        if (r > 0) return true;
        if (r == 0) return false;
        if (errno != EINTR) throw SysError("poll", errno);
    }
}

void close_fds_except(std::vector<int> keep) {
    std::sort(keep.begin(), keep.end());
    unsigned next = 3;
    for (int fd : keep) {
        if (fd < static_cast<int>(next)) continue;
        if (static_cast<unsigned>(fd) > next) ::syscall(SYS_close_range, next, fd - 1, 0);
        next = static_cast<unsigned>(fd) + 1;
    }
    ::syscall(SYS_close_range, next, ~0U, 0);
}

}  // namespace ptool
