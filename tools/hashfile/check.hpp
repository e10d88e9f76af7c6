// hashfile -c: verifying the sums listed in check files, as sha256sum -c does (same
// lines, messages and summary), with what CI asks for on top: -j N in list order,
// --json records, the algorithm an untagged failing line does match, and --new.
#pragma once

#include <string>
#include <vector>

#include "tools/hashfile/hasher.hpp"

namespace ptool {

struct CheckSettings {
    bool forced = false;  // -a given: every line is that algorithm
    bool quiet = false, status = false, warn = false, strict = false, ignore_missing = false;
    bool json = false;
    bool report_new = false;  // --new
    bool progress = false;
    unsigned jobs = 1;
    std::vector<std::string> excludes;  // for --new's walk
};

// Verifies each check file in turn ("-": standard input); returns the exit status.
int check_files(const CheckSettings& settings, const Setup& setup,
                const std::vector<std::string>& files);

}  // namespace ptool
