// Internal to libcommon/launch: a ChildSpec turned into everything the child needs
// (argv, envp, fd mappings, the identity to take), built before fork/posix_spawn so
// the child only reads it. launcher.cpp (the parent side) prepares it, then starts
// the child through launch_child.cpp's posix_spawn or fork path.
#pragma once

#include <string>
#include <vector>

#include "libcommon/launch/launcher.hpp"

namespace ptool::launch_detail {

// Everything the child needs, built before fork/posix_spawn so that the fork child
// only reads it: no allocation, no locks between fork and exec (fish's postfork rule).
struct PreparedChild {
    std::vector<std::string> candidates;  // program paths to try, in PATH order
    std::vector<char*> candidate_ptrs;
    std::vector<std::string> argv_strings;
    std::vector<char*> argv;
    std::vector<std::string> env_strings;
    std::vector<char*> envp;
    std::vector<size_t> own_pid_slots;  // indexes into env_strings; digits go after '='
    std::vector<FdMapping> mappings;    // parent fd (> max_target) -> child fd
    std::vector<UniqueFd> owned_fds;    // opened files, /dev/null, high copies
    int max_target = 2;
    // The identity the child takes (build_identity): when set_identity, groups, gid
    // and uid are all set, so nothing of ptool's own (root's groups) is kept.
    bool set_identity = false;
    bool privileged = false;  // ptool runs as root: a failed setgroups is fatal
    std::vector<gid_t> groups;
    gid_t gid = 0;
    std::string identity;  // "user NAME" / "uid N" / "gid N", for launch errors
    Child child;           // receives the parent ends of pipes
};

struct ChildFailure {
    int step;
    int err;
};

// Checks `spec` and builds the PreparedChild (throws LaunchError / UsageError).
PreparedChild prepare(const ChildSpec& spec);

// A reason to believe the cwd cannot be entered (0: none seen).
int cwd_problem(const std::string& cwd);
// What a chdir failure names: "--cwd DIR" (the tool's option, spec.cwd_option) or "DIR".
std::string cwd_what(const ChildSpec& spec);

// The LaunchError for an exec of `tried` that failed with `err`, in a shell's words.
LaunchError exec_failure(const ChildSpec& spec, const std::string& tried, int err);

// The two ways to start the prepared child; both return its pid or throw LaunchError.
pid_t launch_posix_spawn(const ChildSpec& spec, PreparedChild& p);
pid_t launch_fork(const ChildSpec& spec, PreparedChild& p);

}  // namespace ptool::launch_detail
