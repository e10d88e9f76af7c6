// Opening a file whose directory others may write to (/tmp, a 1777 spool, a
// directory of another user): the one place pidfiles and daemon logs are opened,
// so that a symlink or hard link planted there cannot turn a root ops script
// against a file it never meant to touch.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <string>

#include "libcommon/core/fd.hpp"

namespace ptool {

struct SafeOpenOptions {
    bool never_follow = false;  // O_NOFOLLOW even in a directory nobody else can write
    int exit_status = 1;        // of the errors thrown
};

struct SafeFile {
    UniqueFd fd;
    struct stat st {};
    bool shared_dir = false;  // its directory is writable by others
};

// True when someone other than the caller and root can create or rename entries in
// the directory `dir_st` describes: world-writable, or owned by another user.
bool directory_is_shared(const struct stat& dir_st);

// open(2) of `path` (O_CLOEXEC added). In a shared directory it never follows a
// symlink (O_NOFOLLOW) and accepts only a regular file the caller owns with one
// link; anything else is refused with Error("PATH: why", exit_status) naming why.
// Other failures: SysError("PATH: why", exit_status).
SafeFile safe_open(const std::string& path, int flags, mode_t mode = 0666,
                   const SafeOpenOptions& options = {});

}  // namespace ptool
