// OutputBuffer, the non-blocking EventWriter, and colour decisions (output.hpp).
#include "libcommon/core/output.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "libcommon/core/error.hpp"
#include "libcommon/core/fd.hpp"

namespace ptool {

OutputBuffer::OutputBuffer(int fd, size_t capacity)
    : fd_(fd), capacity_(capacity), data_(new char[capacity]) {}

void OutputBuffer::write(std::string_view s) {
    if (s.size() > capacity_ - len_) {
        drain();
        if (s.size() >= capacity_) {
            write_or_die(fd_, s);
            return;
        }
    }
    std::memcpy(data_.get() + len_, s.data(), s.size());
    len_ += s.size();
}

void OutputBuffer::drain() {
    if (len_ == 0) return;
    size_t n = len_;
    len_ = 0;
    write_or_die(fd_, std::string_view(data_.get(), n));
}

void OutputBuffer::flush() {
    drain();
}

void die_of_broken_pipe() {
    struct sigaction sa {};
    sa.sa_handler = SIG_DFL;
    sigaction(SIGPIPE, &sa, nullptr);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    sigprocmask(SIG_UNBLOCK, &set, nullptr);
    raise(SIGPIPE);
    _exit(exit_code::signal_base + SIGPIPE);
}

void write_or_die(int fd, std::string_view s) {
    if (write_full(fd, s) == 0) return;
    if (errno == EPIPE) die_of_broken_pipe();
    throw SysError("write error", errno);
}

ColorMode parse_color_mode(std::string_view text) {
    if (text == "auto") return ColorMode::automatic;
    if (text == "always") return ColorMode::always;
    if (text == "never") return ColorMode::never;
    throw UsageError("expected auto, always or never, got '" + std::string(text) + "'");
}

bool use_color(ColorMode mode, int fd) {
    switch (mode) {
        case ColorMode::always: return true;
        case ColorMode::never: return false;
        case ColorMode::automatic: break;
    }
    const char* no_color = std::getenv("NO_COLOR");
    if (no_color && *no_color) return false;
    // A terminal that says it has no capabilities gets no escapes (as xxd and ls).
    const char* term = std::getenv("TERM");
    if (term && std::string_view(term) == "dumb") return false;
    return ::isatty(fd) == 1;
}

EventWriter::EventWriter(int fd, size_t capacity, Notice notice)
    : fd_(fd), out_fd_(fd), capacity_(capacity), notice_(notice) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return;
    if (S_ISSOCK(st.st_mode)) {
        socket_ = pollable_ = true;
    } else if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
        // A new open file description of the same pipe or tty, ours alone to make O_NONBLOCK.
        std::string path = "/proc/self/fd/" + std::to_string(fd);
        int own = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (own >= 0) {
            out_fd_ = own;
            own_fd_ = pollable_ = true;
        }
    }
}

EventWriter::~EventWriter() {
    if (own_fd_) ::close(out_fd_);
}

ssize_t EventWriter::write_some(const char* data, size_t size) {
    for (;;) {
        ssize_t n = socket_ ? ::send(out_fd_, data, size, MSG_DONTWAIT | MSG_NOSIGNAL)
                            : ::write(out_fd_, data, size);
        if (n < 0 && errno == EINTR) continue;
        return n;
    }
}

void EventWriter::write_line(std::string_view line) {
    if (write_error_) return;
    if (dropped_ == 0 && buffer_.size() == offset_) {  // the common case: straight out
        buffer_.clear();
        offset_ = 0;
        size_t done = 0;
        int err = 0;
        while (done < line.size()) {
            ssize_t n = write_some(line.data() + done, line.size() - done);
            if (n <= 0) {
                err = n < 0 ? errno : EIO;
                break;
            }
            done += static_cast<size_t>(n);
        }
        if (done == line.size()) return;
        if (err != EAGAIN && err != EWOULDBLOCK) {
            write_error_ = err;  // kept for EventStream::finish to report
            return;
        }
        buffer_.assign(line.substr(done));  // the rest of one line may exceed the capacity
        return;
    }
    if (buffer_.size() - offset_ + line.size() > capacity_) {
        ++dropped_;
        ++dropped_total_;
        flush();
        return;
    }
    if (offset_ > capacity_ / 2) {  // keeps the buffer within 1.5 x capacity
        buffer_.erase(0, offset_);
        offset_ = 0;
    }
    buffer_.append(line);
    flush();
}

bool EventWriter::flush() {
    if (write_error_) return true;
    for (;;) {
        while (offset_ < buffer_.size()) {
            ssize_t n = write_some(buffer_.data() + offset_, buffer_.size() - offset_);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
                write_error_ = errno;
                buffer_.clear();
                offset_ = 0;
                return true;
            }
            offset_ += static_cast<size_t>(n);
        }
        buffer_.clear();
        offset_ = 0;
        if (dropped_ == 0) return true;
        // Drained after drops: say how many lines were lost, then carry on.
        size_t count = dropped_;
        dropped_ = 0;
        buffer_ = notice_ ? notice_(count)
                          : program_name() + ": " + std::to_string(count) +
                                " event lines dropped: the reader of stderr fell behind\n";
    }
}

void EventWriter::flush_blocking(int timeout_ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!flush()) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now())
                        .count();
        if (left <= 0 || !pollable_) return;
        pollfd p{out_fd_, POLLOUT, 0};
        if (::poll(&p, 1, static_cast<int>(left)) == 0) return;
    }
}

}  // namespace ptool
