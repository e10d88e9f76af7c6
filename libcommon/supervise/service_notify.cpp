// sd_notify to the service manager above us (service_notify.hpp).
#include "libcommon/supervise/service_notify.hpp"

#include <time.h>
#include <unistd.h>

#include <cstdlib>

#include "libcommon/core/error.hpp"
#include "libcommon/supervise/notify.hpp"

namespace ptool {

ServiceNotifier ServiceNotifier::from_environment() {
    ServiceNotifier out;
    const char* address = std::getenv("NOTIFY_SOCKET");
    const char* usec_text = std::getenv("WATCHDOG_USEC");
    const char* pid_text = std::getenv("WATCHDOG_PID");
    if (address && (address[0] == '/' || address[0] == '@')) out.address_ = address;
    // Plain numbers, not optionals: g++ 12 -O3 takes an optional from a ?: for uninitialized.
    long long usec = 0;
    if (usec_text)
        if (auto v = parse_int(usec_text)) usec = *v;
    bool ours = true;
    if (pid_text) {
        auto pid = parse_int(pid_text);
        ours = pid && *pid == ::getpid();
    }
    if (out.enabled() && usec > 0 && ours) out.watchdog_ = std::chrono::microseconds(usec / 2);
    for (const char* name : {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"}) ::unsetenv(name);
    return out;
}

bool ServiceNotifier::send(std::string_view state) const {
    if (!enabled()) return false;
    try {
        notify_send(address_, state);
        return true;
    } catch (const SysError&) {
        return false;
    }
}

std::vector<std::string> ServiceNotifier::environment() const {
    std::vector<std::string> out;
    if (!enabled()) return out;
    out.push_back("NOTIFY_SOCKET=" + address_);
    if (watchdog_) {
        auto usec = std::chrono::duration_cast<std::chrono::microseconds>(*watchdog_).count() * 2;
        out.push_back("WATCHDOG_USEC=" + std::to_string(usec));
        out.push_back("WATCHDOG_PID=" + std::to_string(::getpid()));
    }
    return out;
}

std::string ServiceNotifier::reloading_message() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    long long usec = static_cast<long long>(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
    return "RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec);
}

}  // namespace ptool
