// hashfile's tests against the peers (tests/integration/hashfile*.cpp): a temp dir of
// pseudo-random files with the names under test, run options that work in it, and
// a command's argv followed by those names.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace ptool::test {

// File i of `names` holds `step * i + extra` pseudo-random bytes (seed `seed + i`).
struct NamedFiles {
    TempDir dir;
    NamedFiles(const std::vector<std::string>& names, size_t step, size_t extra, uint64_t seed);
    // Options that run a command in the directory with `input` as its stdin.
    RunOptions in_dir(std::string input = "") const;
};

// `head` followed by `tail`.
std::vector<std::string> with(std::vector<std::string> head, const std::vector<std::string>& tail);

}  // namespace ptool::test
