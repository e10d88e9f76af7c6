// Opening pidfiles and logs without following a planted symlink (safe_open.hpp).
#include "libcommon/core/safe_open.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "libcommon/core/error.hpp"

namespace ptool {

bool directory_is_shared(const struct stat& dir_st) {
    return (dir_st.st_mode & S_IWOTH) != 0 || (dir_st.st_uid != 0 && dir_st.st_uid != ::geteuid());
}

SafeFile safe_open(const std::string& path, int flags, mode_t mode,
                   const SafeOpenOptions& options) {
    size_t slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    auto fail = [&](int err) { throw SysError(path, err, options.exit_status); };
    auto refuse = [&](const std::string& why) {
        throw Error(path + ": " + why, options.exit_status);
    };

    // The checks are made on the directory we then open in (openat): no swap between.
    int dfd = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) fail(errno);
    UniqueFd dir_fd(dfd);
    SafeFile out;
    struct stat dir_st;
    if (::fstat(dir_fd.get(), &dir_st) < 0) fail(errno);
    out.shared_dir = directory_is_shared(dir_st);
    flags |= O_CLOEXEC;
    if (out.shared_dir || options.never_follow) flags |= O_NOFOLLOW;
    int fd;
    do {
        fd = ::openat(dir_fd.get(), base.c_str(), flags, mode);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        if (errno == ELOOP && (flags & O_NOFOLLOW))
            refuse(out.shared_dir ? "is a symlink in a directory others can write (refused)"
                                  : "is a symlink (refused)");
        fail(errno);
    }
    out.fd.reset(fd);
    if (::fstat(fd, &out.st) < 0) fail(errno);
    if (out.shared_dir) {
        if (!S_ISREG(out.st.st_mode))
            refuse("not a regular file, in a directory others can write (refused)");
        if (out.st.st_uid != ::geteuid())
            refuse("owned by uid " + std::to_string(out.st.st_uid) +
                   ", not by you, in a directory others can write (refused)");
        if (out.st.st_nlink != 1)
            refuse("has other hard links, in a directory others can write (refused)");
    }
    return out;
}

}  // namespace ptool
