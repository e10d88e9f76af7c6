// Report: per-item warnings that mark the run failed (see report.hpp).
#include "libcommon/core/report.hpp"

#include "libcommon/core/output.hpp"

namespace ptool {

void Report::note(std::string_view message) {
    if (out_) out_->flush();
    report_error(message);
}

void Report::warn(std::string_view message) {
    note(message);
    failed_ = true;
}

void Report::warn_errno(std::string_view what, int err) {
    warn(errno_message(what, err));
}

}  // namespace ptool
