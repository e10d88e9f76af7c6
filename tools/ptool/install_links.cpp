// `ptool --install DIR` (see install_links.hpp): the links from the one table of
// subcommands, each relative to DIR, made atomically with --force.
#include "tools/ptool/install_links.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <system_error>

#include "libcommon/core/error.hpp"
#include "libcommon/core/report.hpp"
#include "tools/ptool/ptool.hpp"

namespace ptool {

std::filesystem::path link_target_from(const std::filesystem::path& dir,
                                       const std::filesystem::path& binary) {
    std::error_code ec;
    std::filesystem::path real_dir = std::filesystem::weakly_canonical(dir, ec);
    if (ec) return binary;
    std::filesystem::path relative = binary.lexically_relative(real_dir);
    return relative.empty() ? binary : relative;
}

int install_links(const std::string& dir, bool force) {
    char self[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0) throw SysError("/proc/self/exe", errno);
    self[n] = '\0';
    // A directory that is missing or not writable is one error, not one per link.
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) throw SysError(dir, errno);
    if (!S_ISDIR(st.st_mode)) throw SysError(dir, ENOTDIR);
    if (::access(dir.c_str(), W_OK | X_OK) != 0) throw SysError(dir, errno);
    std::string target = link_target_from(dir, self).string();
    Report report;
    for (const ToolEntry* tool : tool_table()) {
        std::string link = dir + "/" + std::string(tool->name);
        if (force) {
            // Made beside the target, then renamed over it: never a moment with no link.
            std::string tmp = link + ".ptool-tmp";
            ::unlink(tmp.c_str());
            if (::symlink(target.c_str(), tmp.c_str()) < 0 ||
                ::rename(tmp.c_str(), link.c_str()) < 0) {
                int err = errno;
                ::unlink(tmp.c_str());
                report.warn_errno(link, err);
            }
        } else if (::symlink(target.c_str(), link.c_str()) < 0) {
            int err = errno;
            report.warn(errno_message(link, err) +
                        (err == EEXIST ? " (use --force to replace it)" : ""));
        }
    }
    return report.exit_status();
}

}  // namespace ptool
