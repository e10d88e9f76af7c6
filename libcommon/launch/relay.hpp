// Moving bytes between a child's pipes and ptool's own fds on the EventLoop:
// output relayed as-is or line by line with a tag/timestamp prefix (spawn --tag,
// fork-cluster worker logs), input copied into a child's stdin, and a line reader
// that also copes with fds epoll refuses (regular files, /dev/null).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "libcommon/core/fd.hpp"
#include "libcommon/launch/event_loop.hpp"
#include "libcommon/launch/memory.hpp"

namespace ptool {

// "TAG " and/or "2026-01-02T03:04:05.678Z " before each relayed line.
struct LinePrefix {
    std::string tag;
    bool timestamps = false;
    bool active() const { return !tag.empty() || timestamps; }
};

// The current UTC time as ISO-8601 with milliseconds: "2026-01-02T03:04:05.678Z".
std::string iso8601_now();

// Splits a byte stream into lines and prefixes each. A line longer than `max_line`
// is cut into several, never inside a UTF-8 sequence.
class LineFormatter {
public:
    explicit LineFormatter(LinePrefix prefix, size_t max_line = 64 * 1024)
        : prefix_(std::move(prefix)), max_line_(max_line) {}
    // Appends every complete line of `data` (with what came before) to `out`.
    void feed(std::string_view data, std::string& out);
    // Appends a partial last line, ended with the "\n" it lacked.
    void finish(std::string& out);

private:
    void emit(std::string_view line, std::string& out);

    LinePrefix prefix_;
    size_t max_line_;
    std::string partial_;
};

// Copies a child's output pipe (`from`, owned) to ptool's `to_fd`, as-is or through a
// LineFormatter when `prefix` is active. Stops watching at EOF.
class OutputRelay {
public:
    OutputRelay(EventLoop& loop, UniqueFd from, int to_fd, LinePrefix prefix);
    ~OutputRelay();
    OutputRelay(const OutputRelay&) = delete;
    OutputRelay& operator=(const OutputRelay&) = delete;

    // Reads whatever is in the pipe now without waiting (after the child ended).
    void drain();
    // Flushes a partial last line.
    void finish();
    bool at_eof() const { return !from_; }

private:
    bool read_some();  // false at EOF or when nothing is available

    EventLoop& loop_;
    UniqueFd from_;
    int to_fd_;
    bool lines_;
    LineFormatter formatter_;
    std::string out_;
};

// Copies ptool's `from_fd` (not owned; its O_NONBLOCK flag is left alone) into a
// child's input pipe `to`, closing the pipe at EOF. A child that closes its stdin
// early ends the copy quietly.
class InputRelay {
public:
    InputRelay(EventLoop& loop, int from_fd, UniqueFd to);
    ~InputRelay();
    InputRelay(const InputRelay&) = delete;
    InputRelay& operator=(const InputRelay&) = delete;

private:
    void on_source();
    void on_sink();
    void write_pending();
    void close_sink();

    EventLoop& loop_;
    int from_;
    UniqueFd to_;
    bool pollable_ = true;
    bool eof_ = false;
    std::string pending_;
    size_t offset_ = 0;
};

// Captures a child's output pipe (`from`, owned) in memory up to `limit` bytes (exec
// --max-buffer), in a buffer grown geometrically. Past the limit exactly `limit` bytes
// are kept, the pipe is closed and `on_overflow` runs; `on_done` runs at EOF or overflow.
class PipeCapture {
public:
    PipeCapture(EventLoop& loop, UniqueFd from, size_t limit, std::function<void()> on_overflow,
                std::function<void()> on_done);
    ~PipeCapture();
    PipeCapture(const PipeCapture&) = delete;
    PipeCapture& operator=(const PipeCapture&) = delete;

    bool done() const { return !from_; }
    bool overflowed() const { return overflowed_; }
    std::string_view data() const { return buf_.view(); }
    // Also hands each piece kept to `tee` as it arrives (exec --all: both streams
    // in one, in arrival order).
    void tee_to(std::function<void(std::string_view)> tee) { tee_ = std::move(tee); }

private:
    void on_readable();
    void close();

    EventLoop& loop_;
    UniqueFd from_;
    size_t limit_;
    std::function<void()> on_overflow_;
    std::function<void()> on_done_;
    std::function<void(std::string_view)> tee_;
    GrowBuffer buf_;
    bool overflowed_ = false;
};

// Reads `fd` (not owned) line by line on the loop: `on_line` gets each line without
// its "\n" (a last line without one too), then `on_eof` once.
class LineSource {
public:
    using LineCallback = std::function<void(std::string_view)>;
    LineSource(EventLoop& loop, int fd, LineCallback on_line, std::function<void()> on_eof);
    ~LineSource();
    LineSource(const LineSource&) = delete;
    LineSource& operator=(const LineSource&) = delete;

private:
    void on_readable();
    void deliver(std::string_view data, bool final);

    EventLoop& loop_;
    int fd_;
    LineCallback on_line_;
    std::function<void()> on_eof_;
    std::string partial_;
    bool watching_ = false;
    EventLoop::TimerId timer_ = 0;
};

}  // namespace ptool
