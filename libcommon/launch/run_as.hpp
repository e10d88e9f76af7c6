// Who and where a supervised program runs: USER[:GROUP], working directory and
// environment changes, applied to a ChildSpec. fork-cluster's and daemonize's
// --user, --cwd, --env and --unset share it (spawn has its own --uid/--gid).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "libcommon/launch/launcher.hpp"

namespace ptool {

// A resolved USER[:GROUP]: names or numbers; a user without GROUP runs with its
// primary group (a bare number with no passwd entry needs :GROUP).
struct UserGroup {
    uid_t uid = 0;
    gid_t gid = 0;
    std::string name;  // empty for a number with no passwd entry
    std::string home;
    std::string text;  // as given, for messages
};
// Throws UsageError "OPTION USER[:GROUP]: why" (unknown user or group, no group);
// `option` empty: "USER[:GROUP]: why" (the option layer names the option itself).
UserGroup parse_user_group(std::string_view text, std::string_view option);

struct RunAs {
    std::string cwd;  // empty: the supervisor's
    std::vector<std::pair<std::string, std::string>> env;
    std::vector<std::string> unset;
    std::optional<UserGroup> user;
};

enum class Supplementary { none, of_user };
// Adds `run_as` to `spec`: its cwd (failures named after "--cwd"), the unset
// variables, then the set ones; with a user, its uid and gid, and as supplementary
// groups either none but the gid or the user's initgroups(3) list; HOME, USER and
// LOGNAME of a named user unless --env sets or --unset removes them.
void apply_run_as(const RunAs& run_as, ChildSpec& spec, Supplementary groups);

}  // namespace ptool
