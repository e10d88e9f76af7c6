// Relaying a child's pipes to ptool's fds on the EventLoop (relay.hpp).
#include "libcommon/launch/relay.hpp"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "libcommon/core/error.hpp"
#include "libcommon/core/output.hpp"

namespace ptool {

namespace {

constexpr size_t kChunk = 64 * 1024;

// epoll refuses regular files and some devices (EPERM): those are always readable.
bool try_watch(EventLoop& loop, int fd, uint32_t events, EventLoop::FdCallback callback) {
    try {
        loop.watch_fd(fd, events, std::move(callback));
        return true;
    } catch (const SysError& e) {
        if (e.err() == EPERM) return false;
        throw;
    }
}

ssize_t read_retrying(int fd, char* buf, size_t len) {
    ssize_t n;
    do {
        n = ::read(fd, buf, len);
    } while (n < 0 && errno == EINTR);
    return n;
}

}  // namespace

std::string iso8601_now() {
    timespec ts;
    ::clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    ::gmtime_r(&ts.tv_sec, &tm);
    char buf[96];  // room for any int the compiler imagines
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ts.tv_nsec / 1000000));
    return buf;
}

void LineFormatter::emit(std::string_view line, std::string& out) {
    if (prefix_.timestamps) out += iso8601_now() + " ";
    if (!prefix_.tag.empty()) out += prefix_.tag + " ";
    out += line;
    out += '\n';
}

void LineFormatter::feed(std::string_view data, std::string& out) {
    partial_.append(data);
    size_t start = 0;
    for (;;) {
        size_t nl = partial_.find('\n', start);
        size_t end = nl == std::string::npos ? partial_.size() : nl;
        if (end - start > max_line_) {
            // Too long: cut before a UTF-8 continuation byte (at most 3 back).
            size_t cut = start + max_line_;
            for (int back = 0; back < 3 && (partial_[cut] & 0xC0) == 0x80; ++back) --cut;
            if ((partial_[cut] & 0xC0) == 0x80) cut = start + max_line_;
            emit(std::string_view(partial_).substr(start, cut - start), out);
            start = cut;
            continue;
        }
        if (nl == std::string::npos) break;
        emit(std::string_view(partial_).substr(start, nl - start), out);
        start = nl + 1;
    }
    partial_.erase(0, start);
}

void LineFormatter::finish(std::string& out) {
    if (partial_.empty()) return;
    emit(partial_, out);
    partial_.clear();
}

OutputRelay::OutputRelay(EventLoop& loop, UniqueFd from, int to_fd, LinePrefix prefix)
    : loop_(loop),
      from_(std::move(from)),
      to_fd_(to_fd),
      lines_(prefix.active()),
      formatter_(std::move(prefix)) {
    set_nonblocking(from_.get());
    loop_.watch_fd(from_.get(), EPOLLIN, [this](uint32_t) { read_some(); });
}

OutputRelay::~OutputRelay() {
    if (from_) loop_.unwatch_fd(from_.get());
}

bool OutputRelay::read_some() {
    if (!from_) return false;
    char buf[kChunk];
    ssize_t n = read_retrying(from_.get(), buf, sizeof buf);
    if (n < 0 && errno == EAGAIN) return false;
    if (n <= 0) {  // EOF (or a read error, which ends the stream all the same)
        loop_.unwatch_fd(from_.get());
        from_.reset();
        return false;
    }
    std::string_view data(buf, static_cast<size_t>(n));
    if (!lines_) {
        write_or_die(to_fd_, data);
        return true;
    }
    out_.clear();
    formatter_.feed(data, out_);
    write_or_die(to_fd_, out_);
    return true;
}

void OutputRelay::drain() {
    while (read_some()) {
    }
}

void OutputRelay::finish() {
    if (!lines_) return;
    out_.clear();
    formatter_.finish(out_);
    write_or_die(to_fd_, out_);
}

InputRelay::InputRelay(EventLoop& loop, int from_fd, UniqueFd to)
    : loop_(loop), from_(from_fd), to_(std::move(to)) {
    set_nonblocking(to_.get());
    try {
        pollable_ = try_watch(loop_, from_, EPOLLIN, [this](uint32_t) { on_source(); });
    } catch (const SysError&) {  // no stdin at all (EBADF): the child gets EOF
        close_sink();
        return;
    }
    // A file is always readable: let the pipe's room pace the copy instead.
    if (!pollable_) loop_.watch_fd(to_.get(), EPOLLOUT, [this](uint32_t) { on_sink(); });
}

InputRelay::~InputRelay() {
    if (pollable_) loop_.unwatch_fd(from_);
    if (to_) loop_.unwatch_fd(to_.get());
}

void InputRelay::on_source() {
    if (offset_ < pending_.size() || !to_) return;  // paused (a hang-up still reports)
    pending_.resize(kChunk);
    ssize_t n = read_retrying(from_, pending_.data(), pending_.size());
    if (n < 0 && errno == EAGAIN) {
        pending_.clear();
        return;
    }
    pending_.resize(n > 0 ? static_cast<size_t>(n) : 0);
    offset_ = 0;
    if (n <= 0) eof_ = true;
    if (pollable_) loop_.modify_fd(from_, 0);  // paused until the pipe took it all
    write_pending();
}

void InputRelay::on_sink() {
    if (offset_ == pending_.size() && !eof_) {
        on_source();
        return;
    }
    write_pending();
}

void InputRelay::write_pending() {
    if (!to_) return;
    while (offset_ < pending_.size()) {
        ssize_t n = ::write(to_.get(), pending_.data() + offset_, pending_.size() - offset_);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) {
            if (!loop_.watching_fd(to_.get()))
                loop_.watch_fd(to_.get(), EPOLLOUT, [this](uint32_t) { on_sink(); });
            return;
        }
        if (n < 0) {  // EPIPE: the child does not want more input
            eof_ = true;
            break;
        }
        offset_ += static_cast<size_t>(n);
    }
    if (eof_) {
        close_sink();
        if (pollable_) loop_.unwatch_fd(from_);
        pollable_ = false;
        return;
    }
    if (pollable_) {
        if (loop_.watching_fd(to_.get())) loop_.unwatch_fd(to_.get());
        loop_.modify_fd(from_, EPOLLIN);
    }
}

void InputRelay::close_sink() {
    if (!to_) return;
    if (loop_.watching_fd(to_.get())) loop_.unwatch_fd(to_.get());
    to_.reset();
}

LineSource::LineSource(EventLoop& loop, int fd, LineCallback on_line, std::function<void()> on_eof)
    : loop_(loop), fd_(fd), on_line_(std::move(on_line)), on_eof_(std::move(on_eof)) {
    try {
        watching_ = try_watch(loop_, fd_, EPOLLIN, [this](uint32_t) { on_readable(); });
    } catch (const SysError&) {  // no such fd: an empty input
        fd_ = -1;
    }
    // Not pollable: read it all from the loop (not from inside this constructor).
    if (!watching_)
        timer_ = loop_.add_timer(std::chrono::nanoseconds(0), [this] {
            timer_ = 0;
            while (fd_ >= 0) {
                char buf[kChunk];
                ssize_t n = read_retrying(fd_, buf, sizeof buf);
                if (n <= 0) break;
                deliver(std::string_view(buf, static_cast<size_t>(n)), false);
            }
            deliver({}, true);
        });
}

LineSource::~LineSource() {
    if (watching_) loop_.unwatch_fd(fd_);
    if (timer_) loop_.cancel_timer(timer_);
}

void LineSource::on_readable() {
    char buf[kChunk];
    ssize_t n = read_retrying(fd_, buf, sizeof buf);
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
        loop_.unwatch_fd(fd_);
        watching_ = false;
        deliver({}, true);
        return;
    }
    deliver(std::string_view(buf, static_cast<size_t>(n)), false);
}

void LineSource::deliver(std::string_view data, bool final) {
    partial_.append(data);
    size_t start = 0;
    for (size_t nl; (nl = partial_.find('\n', start)) != std::string::npos; start = nl + 1)
        on_line_(std::string_view(partial_).substr(start, nl - start));
    partial_.erase(0, start);
    if (!final) return;
    if (!partial_.empty()) on_line_(partial_);
    partial_.clear();
    on_eof_();
}

PipeCapture::PipeCapture(EventLoop& loop, UniqueFd from, size_t limit,
                         std::function<void()> on_overflow, std::function<void()> on_done)
    : loop_(loop),
      from_(std::move(from)),
      limit_(limit),
      on_overflow_(std::move(on_overflow)),
      on_done_(std::move(on_done)) {
    set_nonblocking(from_.get());
    loop_.watch_fd(from_.get(), EPOLLIN, [this](uint32_t) { on_readable(); });
}

PipeCapture::~PipeCapture() {
    if (from_) loop_.unwatch_fd(from_.get());
}

void PipeCapture::on_readable() {
    // A few reads per wakeup (fewer epoll_waits), bounded so the other pipe gets its turn.
    for (int round = 0; round < 8; ++round) {
        char* tail = buf_.reserve_tail(kChunk);
        ssize_t n = read_retrying(from_.get(), tail, buf_.capacity() - buf_.size());
        if (n < 0 && errno == EAGAIN) return;
        if (n <= 0) {
            close();
            return;
        }
        size_t before = buf_.size();
        buf_.commit(static_cast<size_t>(n));
        bool over = buf_.size() > limit_;
        if (over) buf_.truncate(limit_);
        if (tee_ && buf_.size() > before) tee_(buf_.view().substr(before));
        if (over) {
            overflowed_ = true;
            close();
            if (on_overflow_) on_overflow_();
            return;
        }
    }
}

void PipeCapture::close() {
    loop_.unwatch_fd(from_.get());
    from_.reset();
    if (on_done_) on_done_();
}

}  // namespace ptool
