// hashfile --update SUMS: brings a checksum file up to date without re-reading what has
// not changed (rhash -u, hashdeep audits). Beside SUMS a sidecar SUMS.state records each
// listed file's size and mtime when it was hashed; a file whose size or mtime differs
// (or whose mtime is not older than the sidecar: changed within the same tick) is hashed
// again, files named on the command line (walked with -r) that SUMS lacks are added, and
// listed files that no longer exist are dropped. Unchanged lines are kept byte for byte.
#pragma once

#include <string>
#include <vector>

#include "tools/hashfile/hasher.hpp"

namespace ptool {

struct UpdateSettings {
    std::string sums;
    bool forced = false;  // -a given: new files get setup.algos; else SUMS's algorithms
    bool tag = false;
    bool recursive = false;
    std::vector<std::string> excludes;
    unsigned jobs = 1;
};

// Rewrites settings.sums (atomically, by rename) and its sidecar; `files` are the names
// to add (none: only SUMS's own). Returns the exit status.
int update_sums(const UpdateSettings& settings, const Setup& setup,
                const std::vector<std::string>& files);

}  // namespace ptool
