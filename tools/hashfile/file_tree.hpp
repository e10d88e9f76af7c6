// The files under a list of paths, as `hashfile -r` visits them: depth first, each
// directory's entries in byte order (as `find | LC_ALL=C sort` would, per directory).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ptool {

struct TreeItem {
    std::string path;
    int err = 0;  // errno when the path could not be listed; the item is then reported
};

// Each root in order: a directory is replaced by the regular files under it (symlinks to
// files are followed; symlinks to directories, FIFOs, sockets and devices found inside a
// directory are skipped, so a walk never loops or blocks). A root that is not a
// directory (or "-") is kept as given; an unreadable directory becomes an item with err.
// An entry matching one of `excludes` (--exclude) is left out, a directory with all under
// it: a glob without '/' is matched against the entry's name, one with '/' against its
// path below the root (fnmatch, '*' not crossing '/').
std::vector<TreeItem> list_file_tree(const std::vector<std::string>& roots,
                                     const std::vector<std::string>& excludes = {});
// Whether `name` (an entry's name) or `relative` (its path below the root) matches.
bool excluded(const std::vector<std::string>& excludes, std::string_view name,
              std::string_view relative);

}  // namespace ptool
