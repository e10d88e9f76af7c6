// ptool::Error and its kinds, errno messages and the one error line (error.hpp).
#include "libcommon/core/error.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ptool {

namespace {
std::string& program_name_storage() {
    static std::string name = "ptool";
    return name;
}
}  // namespace

SysError::SysError(std::string_view what, int err, int exit_status, std::string_view note)
    : Error(errno_message(what, err) + std::string(note), exit_status), err_(err) {}

void set_program_name(std::string name) {
    program_name_storage() = std::move(name);
}

const std::string& program_name() {
    return program_name_storage();
}

std::string errno_message(std::string_view what, int err) {
    std::string out(what);
    if (!out.empty()) out += ": ";
    out += std::strerror(err);
    return out;
}

void report_error(std::string_view message) noexcept {
    try {
        std::string line = program_name();
        line += ": ";
        line += message;
        line += '\n';
        const char* p = line.data();
        size_t left = line.size();
        while (left > 0) {
            ssize_t n = ::write(STDERR_FILENO, p, left);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return;
            p += n;
            left -= static_cast<size_t>(n);
        }
    } catch (...) {
        // Out of memory while reporting: nothing better to do.
    }
}

}  // namespace ptool
