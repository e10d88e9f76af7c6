// Per-item problems that do not stop the run (toybox's perror_msg): warn() prints
// "ptool CMD: WHAT: WHY" on stderr and makes the run's exit status 1, so no tool can
// report an error and still exit 0, and none sets the status by hand after each one.
// Output a tool has buffered for stdout is flushed first, so the two streams keep
// their order when they go to one place (2>&1).
#pragma once

#include <string_view>

#include "libcommon/core/error.hpp"

namespace ptool {

class OutputBuffer;

class Report {
public:
    // `out`: the stdout buffer to flush before each message (none: nothing to flush).
    explicit Report(OutputBuffer* out = nullptr) : out_(out) {}
    Report(const Report&) = delete;
    Report& operator=(const Report&) = delete;

    // "PROGRAM: MESSAGE" on stderr; the run has failed.
    void warn(std::string_view message);
    // "PROGRAM: WHAT: strerror(err)" on stderr; the run has failed.
    void warn_errno(std::string_view what, int err);
    // "PROGRAM: MESSAGE" on stderr, the status unchanged (sha256sum's WARNING lines).
    void note(std::string_view message);
    // The run has failed, with nothing to print (sha256sum --status).
    void fail() { failed_ = true; }

    bool failed() const { return failed_; }
    // exit_code::failure once anything failed, else exit_code::ok.
    int exit_status() const { return failed_ ? exit_code::failure : exit_code::ok; }

private:
    OutputBuffer* out_;
    bool failed_ = false;
};

}  // namespace ptool
