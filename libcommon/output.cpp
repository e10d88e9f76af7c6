#include "libcommon/output.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "libcommon/error.hpp"
#include "libcommon/fd.hpp"

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
    throw UsageError("--color: expected auto, always or never, got '" + std::string(text) + "'");
}

bool use_color(ColorMode mode, int fd) {
    switch (mode) {
        case ColorMode::always: return true;
        case ColorMode::never: return false;
        case ColorMode::automatic: break;
    }
    const char* no_color = std::getenv("NO_COLOR");
    if (no_color && *no_color) return false;
    return ::isatty(fd) == 1;
}

}  // namespace ptool
