// Listening sockets from address text, and systemd socket activation
// (sd_listen_fds(3)): `--listen` in fork-cluster, and any tool that serves.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "libcommon/core/fd.hpp"

namespace ptool {

// One `--listen` address:
//   HOST:PORT, tcp://HOST:PORT, [::1]:PORT, :PORT (every interface),
//   unix:PATH, udp://HOST:PORT; an optional "NAME=" prefix names it in LISTEN_FDNAMES;
//   systemd:NAME, the sockets socket activation passed under NAME (LISTEN_FDNAMES).
struct ListenAddress {
    enum class Kind { tcp, udp, unix_path, systemd };
    Kind kind = Kind::tcp;
    std::string host;  // empty: every interface
    uint16_t port = 0;
    std::string path;  // unix_path
    std::string name;  // for LISTEN_FDNAMES (no ':'); defaults from the address; systemd: NAME
    std::string text;  // as given, for messages
};

// Throws UsageError naming the text on anything malformed.
ListenAddress parse_listen_address(std::string_view text);

struct BindOptions {
    bool reuse_port = false;  // SO_REUSEPORT (one socket per worker)
    int backlog = 511;        // as Node's server.listen
    bool listen = true;       // false: bind only (holds a port for later SO_REUSEPORT sockets)
    bool nodelay = true;      // TCP_NODELAY, which accepted sockets inherit (Linux)
};

// socket + SO_REUSEADDR (+ SO_REUSEPORT, TCP_NODELAY) + bind + listen (not for UDP),
// close-on-exec.
// A stale Unix socket file nobody accepts on is replaced. Throws Error
// "ADDR: Address already in use" and the like.
UniqueFd bind_listen(const ListenAddress& address, const BindOptions& options = {});

// Sets TCP_NODELAY on `fd` when it is a TCP socket (accepted ones inherit it); false
// when it is another kind of socket.
bool set_tcp_nodelay(int fd);

// The port a bound inet socket got (for port 0), or 0.
uint16_t bound_port(int fd);
// "127.0.0.1:8080", "[::1]:8080" or "unix:/path" for a bound socket.
std::string bound_address(int fd);

// The environment a worker is given for `count` sockets at fds 3..: LISTEN_FDS,
// LISTEN_FDNAMES (LISTEN_PID must name the worker itself, so the launcher sets it
// after fork: see kListenPidEnv).
inline constexpr int kListenFdsStart = 3;
inline constexpr const char* kListenPidEnv = "LISTEN_PID";
std::vector<std::string> listen_env(const std::vector<std::string>& names);

// Sockets handed to this process by socket activation (sd_listen_fds): fds 3.. when
// LISTEN_PID is our pid; each made close-on-exec, and the variables unset when
// `unset_env`. Empty when none were passed.
struct ActivatedSocket {
    int fd;
    std::string name;
};
std::vector<ActivatedSocket> activated_sockets(bool unset_env = true);

}  // namespace ptool
