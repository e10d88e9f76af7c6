// EventStream: event lines in JSON or human form, written at once or queued (see
// events.hpp).
#include "libcommon/core/events.hpp"

#include "libcommon/core/error.hpp"

namespace ptool {

std::string event_line(EventForm form, const Json& event, std::string_view human) {
    switch (form) {
        case EventForm::off: return {};
        case EventForm::json: return json_line(event);
        case EventForm::human: break;
    }
    if (human.empty()) return {};
    std::string line = program_name();
    line += ": ";
    line += human;
    line += '\n';
    return line;
}

EventStream::EventStream(int fd, EventForm form) : fd_(fd), form_(form) {}

EventStream EventStream::queued(int fd, EventForm form, size_t capacity,
                                EventWriter::Notice notice) {
    EventStream stream(fd, form);
    stream.queue_ = std::make_unique<EventWriter>(fd, capacity, notice);
    return stream;
}

EventStream::EventStream(EventStream&&) noexcept = default;
EventStream& EventStream::operator=(EventStream&&) noexcept = default;
EventStream::~EventStream() = default;

void EventStream::emit(const Json& event, std::string_view human) {
    std::string line = event_line(form_, event, human);
    if (line.empty()) return;
    if (queue_)
        queue_->write_line(line);
    else
        write_or_die(fd_, line);
}

bool EventStream::finish(int timeout_ms) {
    if (!queue_) return true;
    queue_->flush_blocking(timeout_ms);
    if (queue_->write_error() == 0) return true;
    report_error(errno_message("events: write error", queue_->write_error()));
    return false;
}

}  // namespace ptool
