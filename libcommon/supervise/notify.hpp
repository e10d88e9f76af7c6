// The sd_notify protocol (systemd's NOTIFY_SOCKET): a receiver for supervisors
// (daemonize --wait-ready, fork-cluster worker readiness) and a tiny sender.
// A datagram is "KEY=VALUE" lines ("READY=1\nSTATUS=serving\n"); the kernel
// tells the receiver the sender's pid through SO_PASSCRED.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "libcommon/core/fd.hpp"
#include "libcommon/core/parse.hpp"

namespace ptool {

struct NotifyMessage {
    pid_t sender_pid = 0;  // from SCM_CREDENTIALS (in the receiver's pid namespace)
    uid_t sender_uid = static_cast<uid_t>(-1);
    std::vector<std::pair<std::string, std::string>> fields;  // in datagram order

    // The last value given for `key`, if any.
    std::optional<std::string_view> get(std::string_view key) const;
    bool ready() const { return get("READY") == "1"; }
    bool stopping() const { return get("STOPPING") == "1"; }
    bool reloading() const { return get("RELOADING") == "1"; }
    std::optional<std::string_view> status() const { return get("STATUS"); }
    // MAINPID= / ERRNO= when they hold a valid number.
    std::optional<pid_t> main_pid() const;
    std::optional<int> error_number() const;
};

// Parses "KEY=VALUE\n..." lines; empty lines and lines without '=' are skipped.
std::vector<std::pair<std::string, std::string>> parse_notify_fields(std::string_view datagram);

// A bound, non-blocking SOCK_DGRAM socket receiving sd_notify datagrams. Its fd
// plugs into an epoll loop (readable = a datagram waits). Abstract addresses have no
// file permissions (and /proc/net/unix lists them), so receive() accepts datagrams
// only from root, ptool's own uid and the uids given to allow_owner().
class NotifyReceiver {
public:
    // A socket at a fresh abstract address ("@ptool-notify/PID-N-RANDOM"): nothing on
    // disk, so no exit, not even SIGKILL, leaves a file behind.
    static NotifyReceiver create();
    // A socket at a given NOTIFY_SOCKET-style address: "/path" or "@abstract".
    static NotifyReceiver bind_to(std::string_view address);
    // A receiver this process already had at `address` before it re-executed itself
    // (fork-cluster's upgrade); `fd` must be a datagram socket.
    static NotifyReceiver adopt(UniqueFd fd, std::string address);

    NotifyReceiver(NotifyReceiver&& other) noexcept;
    NotifyReceiver& operator=(NotifyReceiver&& other) noexcept;
    NotifyReceiver(const NotifyReceiver&) = delete;
    NotifyReceiver& operator=(const NotifyReceiver&) = delete;
    ~NotifyReceiver();

    int fd() const { return fd_.get(); }
    // The value for a child's NOTIFY_SOCKET ("/tmp/.../notify" or "@name").
    const std::string& address() const { return address_; }
    // "NOTIFY_SOCKET=<address>", ready for an environment.
    std::string env_entry() const { return "NOTIFY_SOCKET=" + address_; }
    // Lets a process running as uid/gid (after a privilege drop) send: its datagrams
    // are accepted, and a filesystem socket is handed to it.
    void allow_owner(uid_t uid, gid_t gid);

    // Reads one datagram from an accepted sender; nullopt when none is waiting. File
    // descriptors sent along (FDSTORE=1) are closed: nothing leaks into the receiver.
    std::optional<NotifyMessage> receive();

private:
    NotifyReceiver() = default;
    void remove_path() noexcept;
    bool accepts(uid_t uid) const;
    std::optional<NotifyMessage> receive_any();  // from any sender

    UniqueFd fd_;
    std::string address_;
    std::vector<uid_t> allowed_uids_;  // besides root and ptool's own
};

// sd_notify(3) client: sends `state` ("READY=1") to the NOTIFY_SOCKET-style
// address, with `pass_fd` attached when >= 0 (sd_pid_notify_with_fds, FDSTORE=1).
// Throws SysError when the address is bad or the send fails.
void notify_send(std::string_view address, std::string_view state, int pass_fd = -1);
// Sends to $NOTIFY_SOCKET; returns false (and sends nothing) when it is unset.
bool notify_send_env(std::string_view state);

// Waits until process `pid` says READY=1 on `receiver`, at most `limit`; stays a
// moment after it for a BARRIER=1 (systemd-notify --ready). Returns why it did not
// (it exited first, said STOPPING=1, or the time ran out; with its ERRNO= and
// STATUS= if given), each reason starting with `program`; nullopt when ready.
// `status`, when given, gets the last STATUS= the process sent.
std::optional<std::string> wait_for_ready(NotifyReceiver& receiver, pid_t pid,
                                          const SpelledDuration& limit, const std::string& program,
                                          std::string* status = nullptr);

}  // namespace ptool
