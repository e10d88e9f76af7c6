// daemonize's starter-to-caller report, and --respawn: the process that runs in the
// daemon's place and restarts the program on the shared Supervisor
// (libcommon/supervise/supervisor.hpp) with daemonize's own numbers.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "libcommon/core/error.hpp"
#include "libcommon/launch/launcher.hpp"
#include "libcommon/supervise/restart_policy.hpp"

namespace ptool {

// The one message the starter (or the supervisor) sends the caller.
struct StartReport {
    int32_t status = 0;  // 0: the program was exec'd; else the exit status to fail with
    int32_t pid = 0;     // the daemon (or supervisor) pid
    char message[1016] = {};
};

void send_report(int fd, int status, pid_t pid, std::string_view message) noexcept;

// A failed privilege change names the operation and the --user it was for
// (`user`: its USER[:GROUP], empty: none given).
std::string launch_failure_message(const std::string& user, const Error& e);

// --respawn's policy: restart on failure, 100 ms doubling to 30 s, reset by a run of 1 s.
inline constexpr RestartPolicy kRespawnPolicy{};

struct RespawnOptions {
    int max_restarts = 0;  // 0: no limit
    std::string pidfile;   // removed at the end when `lock_fd` holds it
    std::string user;      // for launch_failure_message
};

// --respawn: runs in the daemon's place, restarting the program when it dies.
// Holds the pidfile lock; TERM/INT/QUIT stop it (forwarded first), the other
// forwarded signals are passed on. Its stderr is the daemon's, so its log lines
// land in --log. Returns its exit status.
int run_respawn(const RespawnOptions& opts, ChildSpec spec, int report_fd, int lock_fd);

}  // namespace ptool
