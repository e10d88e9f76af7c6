// Node.js-compatible IPC channel (child_process.fork, cluster, `spawn --ipc`,
// fork-cluster, ipc-send): a Unix SOCK_STREAM socketpair whose child end is
// named by NODE_CHANNEL_FD, carrying JSON texts each ended by "\n" (Node's
// "json" serialization). File descriptors travel as SCM_RIGHTS on the first
// byte of a message; Node wraps such a message as
// {"cmd":"NODE_HANDLE","type":T,"msg":M} and its sender holds every later
// message until a {"cmd":"NODE_HANDLE_ACK"} comes back (as send_handle does).
//
// Every send/recv uses MSG_DONTWAIT, so the channel never blocks an event loop
// and never changes the O_NONBLOCK flag of a descriptor shared with others
// (a shell worker's inherited channel fd).
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "libcommon/core/json.hpp"

#include "libcommon/core/fd.hpp"
#include "libcommon/core/json_text.hpp"

namespace ptool {

inline constexpr const char* kNodeChannelFdEnv = "NODE_CHANNEL_FD";
inline constexpr const char* kNodeChannelModeEnv = "NODE_CHANNEL_SERIALIZATION_MODE";

// A connected socketpair, both ends close-on-exec: `parent` stays, `child` is
// passed to the child (the launcher dup2()s it to the fd NODE_CHANNEL_FD names).
struct IpcPair {
    UniqueFd parent;
    UniqueFd child;
};
IpcPair make_ipc_pair();

// The environment entries a child needs for a channel on fd `child_fd`:
// {"NODE_CHANNEL_FD=N", "NODE_CHANNEL_SERIALIZATION_MODE=json"}.
std::vector<std::string> ipc_child_env(int child_fd);

// NODE_CHANNEL_FD of this process, or nullopt when unset; throws Error when it
// is set but not a number or not an open socket.
std::optional<int> inherited_channel_fd();

// The default --max-message: a message (one line) larger than this is dropped in
// bounded memory (Node's own channel also refuses huge messages).
inline constexpr size_t kDefaultMaxMessage = 4 << 20;

// Splits a byte stream into "\n"-ended lines in linear time and bounded memory:
// at most `max_line` bytes of a line are ever held. A longer line is dropped as
// it arrives, and reported (with its length) once its "\n" comes.
class LineBuffer {
public:
    explicit LineBuffer(size_t max_line = kDefaultMaxMessage) : max_(max_line) {}
    void set_max(size_t max_line) { max_ = max_line; }
    size_t max() const { return max_; }

    // Called once per complete line: its text (without "\n"), the stream offset of
    // its "\n", and 0 -- or, for a line that was too long, an empty text and its length.
    template <class OnLine>
    void feed(std::string_view data, OnLine&& on_line);
    // At EOF: the unended rest, as for feed() (nothing when there is none).
    template <class OnLine>
    void finish(OnLine&& on_line);
    bool has_partial() const { return dropping_ || !partial_.empty(); }
    size_t buffered() const { return partial_.size(); }
    // The unended rest (or the length of a too-long line being dropped), carried over a
    // re-exec of the reader: restore() starts a stream whose first bytes were these.
    struct Saved {
        std::string partial;
        bool dropping = false;
        size_t dropped = 0;
    };
    Saved save() const { return Saved{partial_, dropping_, dropped_}; }
    void restore(Saved saved) {
        partial_ = std::move(saved.partial);
        dropping_ = saved.dropping;
        dropped_ = saved.dropped;
        offset_ = dropping_ ? dropped_ : partial_.size();
    }

private:
    void drop_partial(size_t extra) {
        dropped_ = partial_.size() + extra;
        dropping_ = true;
        std::string().swap(partial_);  // give the memory back
    }

    size_t max_;
    std::string partial_;
    bool dropping_ = false;
    size_t dropped_ = 0;
    uint64_t offset_ = 0;  // stream offset of the next byte fed
};

template <class OnLine>
void LineBuffer::feed(std::string_view data, OnLine&& on_line) {
    while (!data.empty()) {
        size_t nl = data.find('\n');
        size_t take = nl == std::string_view::npos ? data.size() : nl;
        std::string_view part = data.substr(0, take);
        if (dropping_)
            dropped_ += take;
        else if (partial_.size() + take > max_)
            drop_partial(take);
        if (nl == std::string_view::npos) {
            if (!dropping_) partial_.append(part);
            offset_ += take;
            return;
        }
        uint64_t at = offset_ + take;
        if (dropping_) {
            on_line(std::string_view(), at, dropped_);
            dropping_ = false;
            dropped_ = 0;
        } else if (partial_.empty()) {
            on_line(part, at, size_t{0});  // the common case: no copy
        } else {
            partial_.append(part);
            on_line(std::string_view(partial_), at, size_t{0});
            partial_.clear();
        }
        offset_ += take + 1;
        data.remove_prefix(take + 1);
    }
}

template <class OnLine>
void LineBuffer::finish(OnLine&& on_line) {
    if (dropping_)
        on_line(std::string_view(), offset_, dropped_);
    else if (!partial_.empty())
        on_line(std::string_view(partial_), offset_, size_t{0});
    std::string().swap(partial_);
    dropping_ = false;
    dropped_ = 0;
}

// One message as received: its text without the "\n", and the fd that came
// with it (empty when none). `error` says why a message could not be taken
// whole (too large, cut off by EOF); its text is then empty.
struct IpcMessage {
    IpcMessage() = default;
    IpcMessage(std::string text_, UniqueFd fd_ = {}, std::string error_ = {})
        : text(std::move(text_)), fd(std::move(fd_)), error(std::move(error_)) {}
    std::string text;
    UniqueFd fd;
    std::string error;
};

// A received message, parsed and with Node's internal envelope taken off.
struct IpcDecoded {
    enum class Kind {
        user,      // an ordinary message: `data`
        handle,    // NODE_HANDLE: `data` is the inner "msg", `fd` the handle
        internal,  // another NODE_* message (NODE_HANDLE_ACK, NODE_CLUSTER, ...)
        invalid,   // not JSON, too large or cut off: `error` says why (never throws)
    };
    Kind kind = Kind::user;
    Json data;
    UniqueFd fd;
    std::string error;
};

// Messages IpcChannel::flush() writes per sendmsg (one syscall for a burst of small ones).
inline constexpr size_t kIpcWriteBatch = 64;

// Bytes IpcChannel::read() takes per call.
inline constexpr size_t kIpcReadBudget = 64 * 1024;

// A message size limit as a user gives it ("4M", "65536"): from 1 byte to 1 GiB;
// throws UsageError otherwise.
size_t parse_message_limit(std::string_view text);

// Words for a message of `bytes` dropped for exceeding `limit`.
std::string too_large_message(size_t bytes, size_t limit);

class IpcChannel {
public:
    IpcChannel() = default;
    explicit IpcChannel(UniqueFd fd) : fd_(std::move(fd)) {}
    IpcChannel(IpcChannel&&) = default;
    IpcChannel& operator=(IpcChannel&&) = default;

    int fd() const { return fd_.get(); }
    bool is_open() const { return static_cast<bool>(fd_); }
    void close() { fd_.reset(); }

    // Queue one message (serialized compactly, non-ASCII kept as UTF-8) and try
    // to write it now (unless auto-flush is off). `pass_fd` >= 0 is dup()ed and sent with the
    // message.
    void send(const Json& message, int pass_fd = -1);
    void send(const nlohmann::json& message, int pass_fd = -1);
    // Queue an already-serialized JSON text; it must not contain "\n".
    void send_text(std::string_view text, int pass_fd = -1);
    // Node's handle passing (lib/internal/child_process.js): `message` goes in a
    // NODE_HANDLE envelope with `fd` (dup()ed), and every message sent after it
    // is held until the peer's NODE_HANDLE_ACK arrives through decode(). A
    // NODE_HANDLE_NACK (the fd did not arrive) sends the handle again, at most
    // 3 times; then the handle is dropped (counted by lost_handles()) and the
    // held messages go out, as Node does.
    void send_handle(const Json& message, int fd);
    bool awaiting_handle_ack() const { return unacked_.has_value(); }
    int lost_handles() const { return lost_handles_; }
    size_t held_messages() const { return held_.size(); }
    // Writes what it can without blocking. Returns true when nothing is left.
    // Throws SysError on a write error (EPIPE: the peer is gone).
    // Messages without an fd go out together, up to kIpcWriteBatch per sendmsg; a message
    // with an fd always goes alone (the reader anchors an fd to the last message that
    // starts in the read that brought it).
    bool flush();
    // Writes everything, waiting with poll() for at most `timeout_ms` (-1: forever).
    // Returns false on timeout; throws SysError on a write error.
    bool flush_blocking(int timeout_ms = -1);
    bool wants_write() const { return !out_.empty(); }
    // false: send() only queues, and the owner flushes a batch at once (fewer syscalls).
    void set_auto_flush(bool on) { auto_flush_ = on; }
    size_t queued_bytes() const { return queued_; }

    // Reads what is available without blocking, at most kIpcReadBudget bytes per
    // call (so one flooding peer cannot starve the others of an event loop, which
    // is level-triggered and calls again), and appends complete messages.
    // Returns false at EOF (the peer closed or shut down its end); throws SysError
    // on a read error. A partial line stays buffered until its "\n" arrives, up to
    // max_message() bytes; a longer one is dropped as it arrives and comes out as
    // a message with `error` set, as does a line cut off by EOF.
    bool read(std::vector<IpcMessage>& out);
    // True when the last read() stopped at its budget: more may be waiting.
    bool more_to_read() const { return more_; }
    void set_max_message(size_t bytes) { lines_.set_max(bytes); }
    size_t max_message() const { return lines_.max(); }
    // Waits up to `timeout_ms` (-1 forever) for at least one complete message.
    // Returns false on timeout or EOF (see eof()).
    bool read_blocking(std::vector<IpcMessage>& out, int timeout_ms = -1);
    bool eof() const { return eof_; }
    // A message read in part (save()), carried over a re-exec of this process with the
    // channel's fd; nullopt when it cannot be (an fd came with it).
    std::optional<LineBuffer::Saved> save_input() const;
    void restore_input(LineBuffer::Saved saved);

    // Parses one message (parse_json_text: never throws); for a NODE_HANDLE it queues the
    // NODE_HANDLE_ACK (or NACK, when no fd came) that Node's sender waits for; a NODE_HANDLE_ACK or
    // NACK answers our own send_handle().
    IpcDecoded decode(IpcMessage message);

    // shutdown(SHUT_WR): the peer sees EOF while we keep reading (flush first).
    void shutdown_write();

private:
    struct Pending {
        std::string bytes;
        UniqueFd fd;          // sent with the first byte, then closed
        bool handle = false;  // a send_handle() message: waits for its ACK
    };
    struct Unacked {  // the handle message last sent, kept for a resend on NACK
        std::string bytes;
        UniqueFd fd;
        int retransmissions = 0;
    };
    static Pending make_pending(std::string_view text, int pass_fd);
    void enqueue(Pending p);  // to the socket now, past any hold
    void submit(Pending p);   // held while a handle is unacknowledged
    void on_handle_reply(bool ack);

    UniqueFd fd_;
    std::deque<Pending> out_;
    std::deque<Pending> held_;
    std::optional<Unacked> unacked_;
    int lost_handles_ = 0;
    size_t out_offset_ = 0;  // bytes of out_.front() already written
    // Bytes of out_ not yet written: kept, not summed (a router asks once per message).
    size_t queued_ = 0;
    LineBuffer lines_;
    uint64_t in_offset_ = 0;                             // stream offset of the next byte read
    std::vector<std::pair<uint64_t, UniqueFd>> in_fds_;  // (stream offset in its message, fd)
    bool eof_ = false;
    bool more_ = false;
    bool auto_flush_ = true;
};

// Node's envelope for sending `message` with a handle: the type is chosen from
// the fd ("net.Server" for a listening stream socket, "net.Socket" for another
// stream socket, "dgram.Native" for a datagram socket, "net.Native" otherwise).
Json node_handle_envelope(const Json& message, int fd);

// True for Node's internal messages: an object whose "cmd" starts with "NODE_".
bool is_node_internal(const Json& message);

}  // namespace ptool
