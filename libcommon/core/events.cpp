// EventStream: event lines in JSON or human form, written at once or queued (see
// events.hpp).
#include "libcommon/core/events.hpp"

#include <time.h>

#include <cstdio>

#include "libcommon/core/error.hpp"

namespace ptool {

std::string rfc3339_ms(std::chrono::system_clock::time_point when) {
    using namespace std::chrono;
    auto ms = duration_cast<milliseconds>(when.time_since_epoch()).count();
    time_t seconds = static_cast<time_t>(ms / 1000);
    long millis = static_cast<long>(ms % 1000);
    if (millis < 0) {  // before 1970: the second below, plus a positive fraction
        millis += 1000;
        --seconds;
    }
    struct tm tm {};
    ::gmtime_r(&seconds, &tm);
    char text[64];
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
    return text;
}

namespace {

// `event` in the envelope: "ts" after a leading "event" (else last), a text "error" as
// {"message": TEXT}. Spliced into the serialised text, so the event is never copied
// (fork-cluster's message events carry whole worker messages).
std::string json_event_line(const Json& event, std::chrono::system_clock::time_point when) {
    if (!event.is_object() || event.contains("ts")) return json_line(event);
    std::string text;
    if (auto error = event.find("error"); error != event.end() && error->is_string()) {
        Json fixed = event;
        fixed["error"] = error_json(error->get_ref<const std::string&>());
        text = json_text(fixed);
    } else {
        text = json_text(event);
    }
    std::string ts = "\"ts\":\"" + rfc3339_ms(when) + "\"";
    if (event.empty()) {
        text.insert(1, ts);
    } else if (event.begin().key() == "event") {
        size_t after =
            std::string_view("{\"event\":").size() + json_text(event.begin().value()).size();
        text.insert(after, "," + ts);
    } else {
        text.insert(text.size() - 1, "," + ts);
    }
    text += '\n';
    return text;
}

}  // namespace

std::string event_line(EventForm form, const Json& event, std::string_view human,
                       std::chrono::system_clock::time_point when) {
    switch (form) {
        case EventForm::off: return {};
        case EventForm::json: return json_event_line(event, when);
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
