// Node.js-compatible IPC channel (child_process.fork, cluster, `spawn --ipc`,
// fork-cluster, ipc-send): a Unix SOCK_STREAM socketpair whose child end is
// named by NODE_CHANNEL_FD, carrying JSON texts each ended by "\n" (Node's
// "json" serialization). File descriptors travel as SCM_RIGHTS on the first
// byte of a message; Node wraps such a message as
// {"cmd":"NODE_HANDLE","type":T,"msg":M} and its sender waits for a
// {"cmd":"NODE_HANDLE_ACK"} before sending anything else.
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
    // to write it now (unless auto-flush is off). `pass_fd` >= 0 is dup()ed and sent with the message.
    void send(const IpcJson& message, int pass_fd = -1);
    void send(const nlohmann::json& message, int pass_fd = -1);
    // Queue an already-serialized JSON text; it must not contain "\n".
    void send_text(std::string_view text, int pass_fd = -1);
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
    // NACK, when no fd came) that Node's sender waits for.
    IpcDecoded decode(IpcMessage message);

    // shutdown(SHUT_WR): the peer sees EOF while we keep reading (flush first).
    void shutdown_write();

private:
    struct Pending {
        std::string bytes;
        UniqueFd fd;  // sent with the first byte, then closed
    };
    UniqueFd fd_;
    std::deque<Pending> out_;
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
