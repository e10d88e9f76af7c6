// Errors as values thrown once and caught in exactly one place (main):
// every message has the form `ptool CMD: WHAT: WHY`.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace ptool {

// Exit codes shared by every subcommand (man ptool(1), EXIT STATUS).
namespace exit_code {
inline constexpr int ok = 0;
inline constexpr int failure = 1;          // the job's own failure
inline constexpr int usage = 2;            // bad options or arguments
inline constexpr int timed_out = 124;      // as timeout(1)
inline constexpr int launch_failed = 125;  // ptool failed before the child ran
inline constexpr int not_executable = 126;
inline constexpr int not_found = 127;
inline constexpr int signal_base = 128;  // 128+N: child killed by signal N
// LSB init-script status codes (daemonize --status, as start-stop-daemon --status).
inline constexpr int lsb_running = 0;
inline constexpr int lsb_dead_pidfile = 1;  // not running, but the pidfile remains
inline constexpr int lsb_not_running = 3;
inline constexpr int lsb_unknown = 4;  // the pidfile cannot be read
}  // namespace exit_code

// An error that ends the subcommand: `message` is "WHAT: WHY" (or just "WHY").
class Error : public std::runtime_error {
public:
    Error(std::string message, int exit_status = exit_code::failure)
        : std::runtime_error(std::move(message)), exit_status_(exit_status) {}
    int exit_status() const { return exit_status_; }

private:
    int exit_status_;
};

// A failed system call: "WHAT: strerror(errno)", then `note` if any (" (why)").
class SysError : public Error {
public:
    SysError(std::string_view what, int err, int exit_status = exit_code::failure,
             std::string_view note = {});
    int err() const { return err_; }

private:
    int err_;
};

// Bad command-line input: exit 2.
class UsageError : public Error {
public:
    explicit UsageError(std::string message) : Error(std::move(message), exit_code::usage) {}
};

// The name errors are reported under: "ptool" or "ptool CMD".
void set_program_name(std::string name);
const std::string& program_name();

// Prints "PROGRAM: MESSAGE\n" to stderr with one write(2); never throws. Used by main
// for the fatal error; a per-item error that does not stop the run goes through
// Report::warn (libcommon/core/report.hpp), which also marks the run failed.
void report_error(std::string_view message) noexcept;

// "WHAT: strerror(err)".
std::string errno_message(std::string_view what, int err);

}  // namespace ptool
