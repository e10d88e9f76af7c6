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
#include <vector>

#include <nlohmann/json.hpp>

#include "libcommon/fd.hpp"

namespace ptool {

// Messages keep their keys in the order they were written.
using IpcJson = nlohmann::ordered_json;

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

// One message as received: its text without the "\n", and the fd that came
// with it (empty when none).
struct IpcMessage {
    std::string text;
    UniqueFd fd;
};

// A received message, parsed and with Node's internal envelope taken off.
struct IpcDecoded {
    enum class Kind {
        user,      // an ordinary message: `data`
        handle,    // NODE_HANDLE: `data` is the inner "msg", `fd` the handle
        internal,  // another NODE_* message (NODE_HANDLE_ACK, NODE_CLUSTER, ...)
        invalid,   // not JSON: `error` says why
    };
    Kind kind = Kind::user;
    IpcJson data;
    UniqueFd fd;
    std::string error;
};

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
    void send(const IpcJson& message, int pass_fd = -1);
    void send(const nlohmann::json& message, int pass_fd = -1);
    // Queue an already-serialized JSON text; it must not contain "\n".
    void send_text(std::string_view text, int pass_fd = -1);
    // Node's handle passing (lib/internal/child_process.js): `message` goes in a
    // NODE_HANDLE envelope with `fd` (dup()ed), and every message sent after it
    // is held until the peer's NODE_HANDLE_ACK arrives through decode(). A
    // NODE_HANDLE_NACK (the fd did not arrive) sends the handle again, at most
    // 3 times; then the handle is dropped (counted by lost_handles()) and the
    // held messages go out, as Node does.
    void send_handle(const IpcJson& message, int fd);
    bool awaiting_handle_ack() const { return unacked_.has_value(); }
    int lost_handles() const { return lost_handles_; }
    size_t held_messages() const { return held_.size(); }
    // Writes what it can without blocking. Returns true when nothing is left.
    // Throws SysError on a write error (EPIPE: the peer is gone).
    bool flush();
    // Writes everything, waiting with poll() for at most `timeout_ms` (-1: forever).
    // Returns false on timeout; throws SysError on a write error.
    bool flush_blocking(int timeout_ms = -1);
    bool wants_write() const { return !out_.empty(); }
    // false: send() only queues, and the owner flushes a batch at once (fewer syscalls).
    void set_auto_flush(bool on) { auto_flush_ = on; }
    size_t queued_bytes() const;

    // Reads what is available without blocking and appends complete messages.
    // Returns false at EOF (the peer closed or shut down its end); throws SysError
    // on a read error. A partial line stays buffered until its "\n" arrives.
    bool read(std::vector<IpcMessage>& out);
    // Waits up to `timeout_ms` (-1 forever) for at least one complete message.
    // Returns false on timeout or EOF (see eof()).
    bool read_blocking(std::vector<IpcMessage>& out, int timeout_ms = -1);
    bool eof() const { return eof_; }

    // Parses one message; for a NODE_HANDLE it queues the NODE_HANDLE_ACK (or
    // NACK, when no fd came) that Node's sender waits for; a NODE_HANDLE_ACK or
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
    std::string in_;
    std::vector<std::pair<size_t, UniqueFd>> in_fds_;  // (offset of its message in in_, fd)
    bool eof_ = false;
    bool auto_flush_ = true;
};

// Node's envelope for sending `message` with a handle: the type is chosen from
// the fd ("net.Server" for a listening stream socket, "net.Socket" for another
// stream socket, "dgram.Native" for a datagram socket, "net.Native" otherwise).
IpcJson node_handle_envelope(const IpcJson& message, int fd);

// True for Node's internal messages: an object whose "cmd" starts with "NODE_".
bool is_node_internal(const IpcJson& message);

}  // namespace ptool
