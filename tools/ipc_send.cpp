// ptool ipc-send [OPTIONS] [JSON]: send a message to a process over its IPC channel
// (process.send() for shell scripts).
//   (no --socket)   to the parent, over the channel NODE_CHANNEL_FD names
//   --socket PATH   to a Unix socket speaking JSON lines (fork-cluster --control);
//                   one reply per message is read and printed
//   --to TARGET     wrap each message as {"cmd":"send","to":TARGET,"data":MSG}
//   --string TEXT   send TEXT as a JSON string
//   --fd N          pass fd N along (SCM_RIGHTS; Node's NODE_HANDLE on a channel)
//   --wait [DUR]    wait for one reply (channel) or at most DUR for each reply (socket)
//   --max-message SIZE  the largest message (a stdin line, a reply) taken (4MiB)
// With no JSON and no --string, each non-empty line of stdin is one message.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>

#include "libcommon/core/error.hpp"
#include "libcommon/core/fd.hpp"
#include "libcommon/core/json.hpp"
#include "libcommon/core/json_text.hpp"
#include "libcommon/core/output.hpp"
#include "libcommon/core/parse.hpp"
#include "libcommon/core/report.hpp"
#include "libcommon/launch/ipc.hpp"
#include "tools/ptool/ptool.hpp"

namespace ptool {

namespace {

struct Options {
    std::optional<std::string> json;
    std::string socket_path;
    std::string to;
    std::optional<std::string> string_text;
    int pass_fd = -1;
    bool wait = false;                 // given, with or without a value
    std::optional<Duration> wait_for;  // its value
    std::string wait_text;             // as given, for messages
    std::optional<size_t> max_message;
};

constexpr int kDefaultSocketReplyMs = 10000;  // a control socket answers at once
constexpr int kHandleAckMs = 5000;            // Node acknowledges a handle at once

int run_ipc_send(const Options& opts);

}  // namespace

namespace {

// Parses one message; bad JSON is a usage error naming the position.
Json parse_message(std::string_view text, const std::string& where) {
    JsonParse parsed = parse_json_text(text);
    if (!parsed) throw UsageError(where + "invalid JSON " + parsed.error);
    return std::move(*parsed.value);
}

UniqueFd connect_unix(const std::string& path) {
    sockaddr_un sun{};
    if (path.size() >= sizeof sun.sun_path) throw Error(path + ": path too long");
    sun.sun_family = AF_UNIX;
    std::memcpy(sun.sun_path, path.data(), path.size());
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) throw SysError("socket", errno);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun) != 0)
        throw SysError(path, errno);
    return fd;
}

void declare_ipc_send(cli::OptionTable& t, Options& o) {
    t.string("json", "", "the message (JSON); default: one per line of stdin", o.json);
    t.path("--socket", "PATH", "send to the Unix socket PATH (JSON lines)", o.socket_path);
    t.string("--to", "TARGET", "wrap in a send request to TARGET (with --socket)", o.to);
    t.string("--string", "STRING", "send STRING as a JSON string", o.string_text);
    t.integer("--fd", "N", "pass file descriptor N with the message", o.pass_fd, 0, INT_MAX);
    t.duration("--wait", "DUR", "wait for a reply (at most DUR) and print it", o.wait_for)
        .optional()
        .mark_given(o.wait)
        .keep_text(o.wait_text);
    t.custom("--max-message", "SIZE",
             "the largest message taken, a stdin line or a reply (default 4MiB)", cli::Kind::size,
             [&o](std::string_view text) { o.max_message = parse_message_limit(text); });
}

int wait_ms(const std::optional<Duration>& wait, int fallback) {
    if (!wait) return fallback;
    auto d = std::chrono::duration_cast<std::chrono::milliseconds>(*wait);
    return static_cast<int>(std::min<long long>(d.count(), 1 << 30));
}

// The incoming side of the channel: Node's internal messages (a handle's ACK or
// NACK) take effect as they come; the others wait, in order, until asked for.
class ReplyReader {
public:
    explicit ReplyReader(IpcChannel& ch) : ch_(ch) {}
    // The next message that is not internal, within `timeout_ms` (-1: forever).
    std::optional<std::string> next(int timeout_ms) {
        if (!read_until(timeout_ms, [&] { return !replies_.empty(); })) return std::nullopt;
        std::string text = std::move(replies_.front());
        replies_.pop_front();
        return text;
    }
    // Until our handle is acknowledged or given up (NACKed past the resends); false
    // when the peer did not answer in time.
    bool handle_settled(int timeout_ms) {
        return read_until(timeout_ms, [&] { return !ch_.awaiting_handle_ack(); });
    }

private:
    template <class Done>
    bool read_until(int timeout_ms, Done done) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        auto left = [&] {
            if (timeout_ms < 0) return -1;
            auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            return static_cast<int>(std::max<long long>(0, ms.count()));
        };
        for (;;) {
            if (done()) return true;
            if (!ch_.flush_blocking(left())) return false;  // a resend after a NACK
            std::vector<IpcMessage> got;
            if (!ch_.read_blocking(got, left())) return done();
            for (auto& m : got) {
                std::string text = m.text;
                IpcDecoded d = ch_.decode(std::move(m));
                if (d.kind == IpcDecoded::Kind::invalid && text.empty())
                    throw Error("reply: " + d.error);  // too large, or cut off
                if (d.kind != IpcDecoded::Kind::internal) replies_.push_back(std::move(text));
            }
        }
    }

    IpcChannel& ch_;
    std::deque<std::string> replies_;
};

// Sends one message; an acknowledgement that says it failed fails the run (the
// reply on stdout says why).
void send_one(IpcChannel& ch, ReplyReader& replies, const Options& opts, bool socket_mode,
              Json message, Report& report) {
    if (socket_mode && !opts.to.empty())
        message = Json{{"cmd", "send"}, {"to", opts.to}, {"data", std::move(message)}};
    bool handle = opts.pass_fd >= 0 && !socket_mode;
    if (handle)
        ch.send_handle(message, opts.pass_fd);  // Node's NODE_HANDLE envelope
    else
        ch.send(message, opts.pass_fd);
    ch.flush_blocking();

    if (socket_mode) {
        auto reply = replies.next(wait_ms(opts.wait_for, kDefaultSocketReplyMs));
        if (!reply) throw Error(opts.socket_path + ": no reply" + (ch.eof() ? " (closed)" : ""));
        write_or_die(STDOUT_FILENO, *reply + "\n");
        // Any other JSON-lines peer: a reply at all is the acknowledgement.
        JsonParse parsed = parse_json_text(*reply);
        if (parsed && parsed.value->is_object()) {
            auto ok = parsed.value->find("ok");
            if (ok != parsed.value->end() && *ok == false) report.fail();
        }
        return;
    }
    if (handle) {
        int lost = ch.lost_handles();
        if (!replies.handle_settled(kHandleAckMs))
            throw Error("fd " + std::to_string(opts.pass_fd) +
                        ": the parent did not acknowledge it");
        if (ch.lost_handles() != lost)
            throw Error("fd " + std::to_string(opts.pass_fd) + ": the parent refused it");
    }
}

int run_ipc_send(const Options& opts) {
    if (!opts.to.empty() && opts.socket_path.empty())
        throw UsageError(
            "--to needs --socket (on a channel, send {\"cmd\":\"ptool:send\",\"to\":...})");
    if (opts.json && opts.string_text) throw UsageError("give JSON or --string, not both");
    if (opts.pass_fd >= 0 && ::fcntl(opts.pass_fd, F_GETFD) < 0)
        throw SysError("--fd " + std::to_string(opts.pass_fd), errno, exit_code::usage);
    size_t max_message = opts.max_message.value_or(kDefaultMaxMessage);

    // Validate before connecting, so bad JSON sends nothing.
    std::optional<Json> single;
    if (opts.json) single = parse_message(*opts.json, "");
    if (opts.string_text) single = Json(*opts.string_text);

    bool socket_mode = !opts.socket_path.empty();
    IpcChannel ch;
    if (socket_mode) {
        ch = IpcChannel(connect_unix(opts.socket_path));
    } else {
        auto fd = inherited_channel_fd();
        if (!fd) throw Error("no IPC channel: NODE_CHANNEL_FD is not set (use --socket PATH)");
        // The channel is shared with our parent process: use a duplicate, never close it.
        int dup = ::fcntl(*fd, F_DUPFD_CLOEXEC, 3);
        if (dup < 0) throw SysError("NODE_CHANNEL_FD", errno);
        ch = IpcChannel(UniqueFd(dup));
    }

    ch.set_max_message(max_message);
    ReplyReader replies(ch);
    Report report;
    if (single) {
        send_one(ch, replies, opts, socket_mode, std::move(*single), report);
    } else {
        // Lines are split as they come (linear, bounded by --max-message); a bad one
        // is a usage error with its line number, after the lines before it went out.
        LineBuffer lines(max_message);
        std::string chunk(64 * 1024, '\0');
        long line_no = 0;
        auto handle_line = [&](std::string_view line, uint64_t, size_t dropped) {
            ++line_no;
            std::string where = "stdin line " + std::to_string(line_no) + ": ";
            if (dropped > 0) throw UsageError(where + too_large_message(dropped, max_message));
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            if (line.find_first_not_of(" \t") == std::string_view::npos) return;
            Json msg = parse_message(line, where);
            send_one(ch, replies, opts, socket_mode, std::move(msg), report);
        };
        for (;;) {
            ssize_t n = ::read(STDIN_FILENO, chunk.data(), chunk.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw SysError("stdin", errno);
            if (n == 0) break;
            lines.feed(std::string_view(chunk.data(), static_cast<size_t>(n)), handle_line);
        }
        lines.finish(handle_line);
    }

    if (!socket_mode && opts.wait) {
        auto reply = replies.next(wait_ms(opts.wait_for, -1));
        if (!reply)
            throw Error(ch.eof() ? "the channel closed before a reply"
                                 : "no reply within " + opts.wait_text);
        write_or_die(STDOUT_FILENO, *reply + "\n");
    }
    return report.exit_status();
}

}  // namespace

const ToolEntry ipc_send_tool{"ipc-send", "send a message to a process over its IPC channel",
                              tool_main<Options, declare_ipc_send, run_ipc_send>};

}  // namespace ptool
