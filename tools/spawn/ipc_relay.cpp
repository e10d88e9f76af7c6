// spawn --ipc: the relay between the child's channel and ptool's stdio (ipc_relay.hpp).
#include "tools/spawn/ipc_relay.hpp"

#include <cerrno>
#include <vector>

#include "libcommon/core/error.hpp"
#include "libcommon/core/json_text.hpp"
#include "libcommon/core/output.hpp"
#include "libcommon/launch/error_json.hpp"
#include "libcommon/launch/relay.hpp"

namespace ptool {

void IpcRelay::drain() {
    while (channel_.is_open() && read_messages()) {
    }
}

void IpcRelay::bad_message(Json event, const std::string& text) {
    events_.emit(event);
    if (!json_) report_error(text);
}

void IpcRelay::on_channel(uint32_t events) {
    if (events & EPOLLOUT) flush();
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) read_messages();
}

bool IpcRelay::read_messages() {
    std::vector<IpcMessage> messages;
    bool open;
    try {
        open = channel_.read(messages);
    } catch (const SysError&) {
        open = false;
    }
    for (auto& m : messages) {
        std::string text = m.text;  // printed as sent: keys keep their order
        IpcDecoded d = channel_.decode(std::move(m));
        // Valid JSON holds no raw NUL or control byte: the text is safe to relay as is.
        if (d.kind == IpcDecoded::Kind::user)
            write_or_die(STDOUT_FILENO, text + "\n");
        else if (d.kind == IpcDecoded::Kind::handle)  // the fd itself cannot be printed
            write_or_die(STDOUT_FILENO, json_line(d.data));
        else if (d.kind == IpcDecoded::Kind::invalid)
            bad_message({{"event", "bad_message"},
                         {"from", "child"},
                         {"pid", pid_},
                         {"error", error_object(d.error)}},
                        "ipc: message from the child dropped: " + d.error);
    }
    if (!open) {
        loop_.unwatch_fd(channel_.fd());
        channel_.close();
        if (!stdin_done_) pause_stdin();  // nobody to send to: stdin is left unread
        return false;
    }
    flush();  // ACKs decode() queued
    return channel_.more_to_read();
}

void IpcRelay::watch_stdin() {
    try {
        loop_.watch_fd(STDIN_FILENO, EPOLLIN, [this](uint32_t) { read_stdin(); });
        stdin_watched_ = true;
    } catch (const SysError& e) {
        if (e.err() == EBADF) {  // no stdin at all: no messages
            on_stdin_eof();
            return;
        }
        if (e.err() != EPERM) throw;
        // A regular file: always readable, so read it a turn at a time from timers.
        stdin_timer_ = loop_.add_timer(std::chrono::nanoseconds(0), [this] {
            stdin_timer_ = 0;
            read_stdin();
        });
    }
}

void IpcRelay::pause_stdin() {
    if (stdin_watched_) loop_.unwatch_fd(STDIN_FILENO);
    if (stdin_timer_) loop_.cancel_timer(stdin_timer_);
    stdin_watched_ = false;
    stdin_timer_ = 0;
    stdin_paused_ = true;
}

void IpcRelay::resume_stdin() {
    if (!stdin_paused_ || stdin_done_ || !channel_.is_open()) return;
    stdin_paused_ = false;
    watch_stdin();
}

void IpcRelay::read_stdin() {
    char buf[kStdinChunk];
    // A watched stdin may be a blocking pipe: one read per readiness. A regular
    // file never blocks: a few reads per turn.
    size_t turn = stdin_watched_ ? sizeof buf : kStdinTurn;
    for (size_t taken = 0; taken < turn;) {
        ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        if (n <= 0) {  // EOF (or a read error, taken as the end of the messages)
            if (stdin_watched_) loop_.unwatch_fd(STDIN_FILENO);
            stdin_watched_ = false;
            lines_.finish([this](std::string_view l, uint64_t, size_t d) { on_line(l, d); });
            on_stdin_eof();
            return;
        }
        lines_.feed(std::string_view(buf, static_cast<size_t>(n)),
                    [this](std::string_view l, uint64_t, size_t d) { on_line(l, d); });
        taken += static_cast<size_t>(n);
        if (channel_.is_open() && channel_.queued_bytes() > backlog_limit()) {
            pause_stdin();
            return;
        }
        if (stdin_paused_) return;
    }
    if (!stdin_watched_ && !stdin_paused_)  // a regular file: the next turn
        stdin_timer_ = loop_.add_timer(std::chrono::nanoseconds(0), [this] {
            stdin_timer_ = 0;
            read_stdin();
        });
}

void IpcRelay::on_line(std::string_view line, size_t dropped) {
    ++line_number_;
    std::string where = "stdin line " + std::to_string(line_number_) + ": ";
    auto drop = [&](const std::string& why) {
        bad_message({{"event", "bad_message"},
                     {"from", "stdin"},
                     {"line", line_number_},
                     {"error", error_object(why)}},
                    where + why);
    };
    if (dropped > 0) {
        drop(too_large_message(dropped, lines_.max()));
        return;
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) return;  // not a message
    JsonParse parsed = parse_json_text(line);
    if (!parsed) {
        drop("invalid JSON " + parsed.error);
        return;
    }
    if (channel_.is_open()) channel_.send_text(json_text(*parsed.value));
    flush();
}

void IpcRelay::on_stdin_eof() {
    stdin_done_ = true;
    flush();
}

void IpcRelay::flush() {
    if (!channel_.is_open()) return;
    bool done;
    try {
        done = channel_.flush();
    } catch (const SysError&) {  // the child closed its end: nothing more to send
        done = true;
        if (!stdin_done_) pause_stdin();
        stdin_done_ = true;
    }
    if (done && stdin_done_ && !shut_) {
        channel_.shutdown_write();
        shut_ = true;
    }
    if (stdin_paused_ && channel_.queued_bytes() <= backlog_limit() / 2) resume_stdin();
    loop_.modify_fd(channel_.fd(), done ? EPOLLIN : EPOLLIN | EPOLLOUT);
}

}  // namespace ptool
