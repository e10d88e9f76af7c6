// spawn's event log (--json, --events) and its IPC relay (--ipc): the parts of spawn
// that are machinery rather than options, apart from main.cpp so each stays small.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <string_view>

#include "libcommon/core/events.hpp"
#include "libcommon/core/fd.hpp"
#include "libcommon/core/json.hpp"
#include "libcommon/launch/event_loop.hpp"
#include "libcommon/launch/ipc.hpp"

namespace ptool {

// The --json event stream: stderr or --events FILE, one JSON line per event.
class EventLog {
public:
    EventLog(const std::string& events_file, bool json)
        : file_(events_file.empty() ? UniqueFd()
                                    : open_file(events_file, O_WRONLY | O_CREAT | O_TRUNC)),
          stream_(file_ ? file_.get() : STDERR_FILENO,
                  json || file_ ? EventForm::json : EventForm::off) {}
    void emit(const Json& event) { stream_.emit(event); }

private:
    UniqueFd file_;
    EventStream stream_;
};

// Relays the IPC channel: child messages to stdout as JSON lines, stdin lines to the
// child; at stdin EOF only half-closes (Node drops queued sends once it sees EOF).
// Both directions go through the one parser (parse_json_text) and the one line
// splitter (LineBuffer): a bad or oversized message is dropped with a diagnostic (a
// bad_message event under --json) and the child and ptool go on. Each direction
// reads a bounded amount per loop turn, and stdin waits while the child is not
// taking its messages, so neither side can grow ptool without bound.
class IpcRelay {
public:
    IpcRelay(EventLoop& loop, UniqueFd channel, EventLog& events, bool json, pid_t pid,
             size_t max_message)
        : loop_(loop),
          channel_(std::move(channel)),
          events_(events),
          json_(json),
          pid_(pid),
          lines_(max_message) {
        channel_.set_max_message(max_message);
        loop_.watch_fd(channel_.fd(), EPOLLIN, [this](uint32_t ev) { on_channel(ev); });
        watch_stdin();
    }
    ~IpcRelay() {
        if (stdin_watched_) loop_.unwatch_fd(STDIN_FILENO);
        if (stdin_timer_) loop_.cancel_timer(stdin_timer_);
    }
    IpcRelay(const IpcRelay&) = delete;
    IpcRelay& operator=(const IpcRelay&) = delete;
    // After the child exited: take what it sent before going.
    void drain();

private:
    static constexpr size_t kStdinChunk = 64 * 1024;
    static constexpr size_t kStdinTurn = 4 * kStdinChunk;  // read per loop turn
    // Queued for the child past which stdin is not read until the child catches up.
    size_t backlog_limit() const { return lines_.max() + (1 << 20); }

    // A message dropped: one diagnostic, an event under --json (and in --events).
    void bad_message(Json event, const std::string& text);

    void on_channel(uint32_t events);
    // One budget's worth; true when more may be waiting.
    bool read_messages();

    void watch_stdin();
    void pause_stdin();
    void resume_stdin();
    void read_stdin();
    void on_line(std::string_view line, size_t dropped);
    void on_stdin_eof();
    void flush();

    EventLoop& loop_;
    IpcChannel channel_;
    EventLog& events_;
    bool json_;
    pid_t pid_;
    LineBuffer lines_;
    bool stdin_watched_ = false;
    bool stdin_paused_ = false;
    EventLoop::TimerId stdin_timer_ = 0;
    size_t line_number_ = 0;
    bool stdin_done_ = false;
    bool shut_ = false;
};

}  // namespace ptool
