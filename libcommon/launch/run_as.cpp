// USER[:GROUP] look-up and a RunAs applied to a ChildSpec (run_as.hpp).
#include "libcommon/launch/run_as.hpp"

#include <algorithm>

#include "libcommon/core/error.hpp"
#include "libcommon/core/parse.hpp"

namespace ptool {

UserGroup parse_user_group(std::string_view text, std::string_view option) {
    auto bad = [&](const std::string& why) {
        std::string what =
            option.empty() ? std::string(text) : std::string(option) + " " + std::string(text);
        return UsageError(what + ": " + why);
    };
    size_t colon = text.find(':');
    std::string_view user_text = text.substr(0, colon);
    if (user_text.empty()) throw bad("no user before ':'");
    if (colon != std::string_view::npos && colon + 1 == text.size())
        throw bad("no group after ':'");
    UserInfo user = lookup_user(user_text);
    gid_t gid = colon == std::string_view::npos ? user.gid : lookup_group(text.substr(colon + 1));
    if (gid == static_cast<gid_t>(-1)) throw bad("no group (use USER:GROUP)");
    return UserGroup{user.uid, gid, user.name, user.home, std::string(text)};
}

void apply_run_as(const RunAs& run_as, ChildSpec& spec, Supplementary groups) {
    if (!run_as.cwd.empty()) {
        spec.cwd = run_as.cwd;
        spec.cwd_option = "--cwd";
    }
    for (const auto& name : run_as.unset) spec.env_unset.push_back(name);
    if (const auto& u = run_as.user) {
        spec.uid = u->uid;
        spec.gid = u->gid;
        spec.groups = groups == Supplementary::of_user && !u->name.empty()
                          ? user_groups(u->name, u->gid)
                          : std::vector<gid_t>{u->gid};
        if (!u->name.empty())
            for (auto [key, value] : {std::pair<const char*, std::string>{"HOME", u->home},
                                      {"USER", u->name},
                                      {"LOGNAME", u->name}}) {
                bool given =
                    std::any_of(run_as.env.begin(), run_as.env.end(),
                                [&](const auto& kv) { return kv.first == key; }) ||
                    std::find(run_as.unset.begin(), run_as.unset.end(), key) != run_as.unset.end();
                if (!given) spec.env_set.emplace_back(key, value);
            }
    }
    for (const auto& kv : run_as.env) spec.env_set.push_back(kv);
}

}  // namespace ptool
