// The one writer of event streams: what a tool reports as it runs (spawn's spawn/exit
// events, fork-cluster's worker lifecycle) as one JSON line per event under --json,
// else as a human line "ptool CMD: TEXT". Every JSON event gets the envelope of
// man ptool(1), JSON OUTPUT, here and nowhere else: "ts" right after "event", and an
// "error" given as text becomes {"message": TEXT}. Lines are written either at once (a write
// error throws, as any output does) or, for a program that runs an event loop,
// queued through an EventWriter that never blocks; there a write error is kept and
// said once by finish(), never swallowed.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "libcommon/core/json.hpp"
#include "libcommon/core/output.hpp"

namespace ptool {

enum class EventForm {
    off,    // nothing is written
    json,   // json_line(event)
    human,  // "PROGRAM: TEXT\n"; an event without text is not written
};

class EventStream {
public:
    // Lines written at once with write_or_die: a write error throws SysError
    // ("write error: why"; EPIPE: the quiet SIGPIPE death of OutputBuffer).
    EventStream(int fd, EventForm form);
    // Lines queued without blocking (see EventWriter: bounded, whole lines dropped and
    // counted past `capacity`, `notice` says how many). The caller's loop calls
    // flush() when poll_fd() is writable.
    static EventStream queued(int fd, EventForm form, size_t capacity,
                              EventWriter::Notice notice = nullptr);
    EventStream(EventStream&&) noexcept;
    EventStream& operator=(EventStream&&) noexcept;
    ~EventStream();

    // Writes the event in this stream's form; `human` is the text after "PROGRAM: ".
    void emit(const Json& event, std::string_view human = {});
    bool enabled() const { return form_ != EventForm::off; }
    EventForm form() const { return form_; }

    // Queued streams only (no-ops otherwise): what the loop needs to drain the queue.
    bool wants_write() const { return queue_ && queue_->wants_write(); }
    int poll_fd() const { return queue_ ? queue_->poll_fd() : -1; }
    bool flush() { return queue_ ? queue_->flush() : true; }
    EventWriter* queue() { return queue_.get(); }

    // At exit: waits up to `timeout_ms` for queued lines, then, if a write failed,
    // says so once on stderr ("PROGRAM: events: write error: why"). True when no
    // write failed.
    bool finish(int timeout_ms);

private:
    int fd_;
    EventForm form_;
    std::unique_ptr<EventWriter> queue_;
};

// The line emit() writes for `event` in `form` ("" for off, or human without text);
// `when` is the JSON form's "ts".
std::string event_line(
    EventForm form, const Json& event, std::string_view human,
    std::chrono::system_clock::time_point when = std::chrono::system_clock::now());

// RFC 3339 in UTC with milliseconds: "2026-12-01T19:30:00.123Z".
std::string rfc3339_ms(std::chrono::system_clock::time_point when);

}  // namespace ptool
