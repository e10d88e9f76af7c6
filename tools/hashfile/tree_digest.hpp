// hashfile --tree: one digest for a whole directory, stable across machines and
// computed as a Merkle tree so that -j hashes its files in parallel. The encoding (also
// in ptool-hashfile(1), DESCRIPTION "Tree digests"):
//   file     node = H(contents)                        (the file's ordinary digest)
//   symlink  node = H(target)                          (never followed)
//   other    node = H("")                              (FIFO, socket, device)
//   dir      node = H(record of each entry, entries in byte order of their names)
//   record   = type ('f' 'd' 'l' 'o') || u64be(name length) || name
//              || u64be(size: file bytes, target bytes, entries in a dir, 0) || node
// Permissions, owners and times are left out (a clone or an unpacked archive differs
// in them); the root's own name is not in its digest.
#pragma once

#include <string>
#include <vector>

#include "tools/hashfile/hasher.hpp"

namespace ptool {

struct TreeDigest {
    int err = 0;                   // errno of the first failure (then `what` names it)
    std::string what;              // the path that failed
    uint64_t bytes = 0;            // file contents hashed
    std::vector<std::string> hex;  // one per algorithm of the setup
};

// The tree digest of directory `root` with every algorithm of `setup`, its files hashed
// on `jobs` threads; entries matching `excludes` (as -r's --exclude) are left out.
TreeDigest digest_tree(const std::string& root, const Setup& setup, unsigned jobs,
                       const std::vector<std::string>& excludes, bool progress);

}  // namespace ptool
