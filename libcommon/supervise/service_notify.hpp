// sd_notify upwards: a supervisor telling the service manager that started it
// (systemd, with NOTIFY_SOCKET) how it is doing -- READY=1, STATUS=, RELOADING=1,
// STOPPING=1, WATCHDOG=1. Apart from NotifyReceiver, the socket a supervisor's own
// children notify: taken once from the environment and removed from it, so that no
// child ever talks to the service manager in the supervisor's name.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libcommon/core/parse.hpp"

namespace ptool {

class ServiceNotifier {
public:
    // Takes NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID and unsets them. The
    // watchdog is ours when WATCHDOG_PID is unset or names this process.
    static ServiceNotifier from_environment();

    bool enabled() const { return !address_.empty(); }
    // Sends `state` ("READY=1\nSTATUS=..."); a manager that went away is not an error
    // for the supervisor: false then, and nothing thrown.
    bool send(std::string_view state) const;
    // How often to send WATCHDOG=1: half of WATCHDOG_USEC; nullopt when there is none.
    std::optional<Duration> watchdog_interval() const { return watchdog_; }

    // "RELOADING=1\nMONOTONIC_USEC=N" as systemd 253+ wants it for Type=notify-reload.
    static std::string reloading_message();
    // What from_environment() took, as "NAME=VALUE" entries for a re-exec of this
    // process (fork-cluster's upgrade): the same pid, so the same manager and watchdog.
    std::vector<std::string> environment() const;

private:
    std::string address_;
    std::optional<Duration> watchdog_;
};

}  // namespace ptool
