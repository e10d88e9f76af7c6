// Buffered output for hot loops (bufdump, hashfile, pstree): one large buffer,
// table-driven formatters write into it, write(2) only when it fills.
// A closed pipe ends ptool quietly as `yes | head` does (SIGPIPE); any other
// write error is thrown, so partial output is never passed off as success.
#pragma once

#include <sys/types.h>
#include <cstddef>

#include <memory>
#include <string>
#include <string_view>

namespace ptool {

class OutputBuffer {
public:
    explicit OutputBuffer(int fd, size_t capacity = 256 * 1024);
    OutputBuffer(const OutputBuffer&) = delete;
    OutputBuffer& operator=(const OutputBuffer&) = delete;
    // Does not flush: call flush() so that errors are reported, not swallowed.
    ~OutputBuffer() = default;

    void write(std::string_view s);
    void put(char c) {
        if (len_ == capacity_) drain();
        data_[len_++] = c;
    }
    // Space for at least `n` bytes (n <= capacity); call commit() with what was used.
    char* reserve(size_t n) {
        if (capacity_ - len_ < n) drain();
        return data_.get() + len_;
    }
    void commit(size_t n) { len_ += n; }
    size_t capacity() const { return capacity_; }

    // Writes out everything buffered; throws SysError("write error: why") on failure.
    void flush();
    int fd() const { return fd_; }

private:
    void drain();

    int fd_;
    size_t capacity_;
    size_t len_ = 0;
    std::unique_ptr<char[]> data_;
};

// Called on a write to a stdout whose reader went away: restores SIGPIPE's default
// action and raises it, so the exit status is what shells expect (128+13), silently.
[[noreturn]] void die_of_broken_pipe();

// Writes to an fd reporting errors as OutputBuffer does (EPIPE -> quiet SIGPIPE death).
void write_or_die(int fd, std::string_view s);

enum class ColorMode { automatic, always, never };
// Parses "auto|always|never" (throws UsageError otherwise).
ColorMode parse_color_mode(std::string_view text);
// Color on `fd`: always/never as asked; auto = a terminal, NO_COLOR unset or empty
// and TERM not "dumb".
bool use_color(ColorMode mode, int fd);

}  // namespace ptool

namespace ptool {

// Event and log lines for a program that runs an event loop (fork-cluster's master):
// writing them never blocks the loop, whoever holds the other end of the fd. Lines
// that do not fit wait in a bounded buffer (flush() when the fd is writable); past
// `capacity` whole lines are dropped and counted, never cut, and once the buffer
// drains `notice(count)` is written first, so a reader learns what it missed.
// A pipe or terminal is written through an O_NONBLOCK open of its own (the fd's file
// description, shared with others, keeps its flags); a socket with MSG_DONTWAIT; a
// regular file with plain writes (they do not wait for a reader).
class EventWriter {
public:
    using Notice = std::string (*)(size_t dropped);
    explicit EventWriter(int fd, size_t capacity = 1024 * 1024, Notice notice = nullptr);
    EventWriter(const EventWriter&) = delete;
    EventWriter& operator=(const EventWriter&) = delete;
    ~EventWriter();

    // Queues `line` (it should end with "\n") and writes what it can now.
    void write_line(std::string_view line);
    // Writes what it can without blocking; true when nothing is left.
    bool flush();
    // Waits up to `timeout_ms` for the rest to go (at exit).
    void flush_blocking(int timeout_ms);
    bool wants_write() const { return !buffer_.empty() || dropped_ != 0; }
    // The fd to watch for EPOLLOUT while wants_write(); -1 when it cannot be polled.
    int poll_fd() const { return pollable_ ? out_fd_ : -1; }
    size_t dropped_total() const { return dropped_total_; }
    size_t buffered() const { return buffer_.size(); }
    // The errno of the write that failed (not EAGAIN), after which every line is
    // dropped; 0 while none has. EventStream::finish reports it.
    int write_error() const { return write_error_; }

private:
    ssize_t write_some(const char* data, size_t size);

    int fd_;
    int out_fd_;
    bool own_fd_ = false;
    bool socket_ = false;
    bool pollable_ = false;
    int write_error_ = 0;  // a write error other than EAGAIN: drop everything from then on
    size_t capacity_;
    Notice notice_;
    std::string buffer_;
    size_t offset_ = 0;  // bytes of buffer_ already written
    size_t dropped_ = 0;
    size_t dropped_total_ = 0;
};

}  // namespace ptool
