// The options spawn and exec share, declared once for both: who the program runs
// as and how it is named (--uid, --gid, --unset, --argv0, --shell[=PATH]) and
// timeout(1)'s parity options (--kill-tree, --preserve-status, --foreground, -v, a
// --kill-signal that takes 0). In spawn's folder, where they began; exec links them.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cli/options.hpp"
#include "libcommon/launch/launcher.hpp"

namespace ptool {

struct LaunchOptions {
    std::vector<std::string> unset;
    std::string argv0;
    std::optional<std::string> shell;  // "" when given bare: /bin/sh
    std::optional<UserInfo> uid;
    std::optional<gid_t> gid;
};

struct TimeoutParity {
    bool kill_tree = false;
    bool preserve_status = false;
    bool foreground = false;
    bool verbose = false;
};

// --unset, --argv0, --shell[=PATH], --uid, --gid; `shell_help` says what --shell does
// for the tool.
void declare_launch_options(cli::OptionTable& t, LaunchOptions& o, std::string shell_help);
// --kill-signal SIG (0 taken, as timeout -s 0: nothing is sent but the SIGKILL after).
void declare_kill_signal(cli::OptionTable& t, std::string help, int& out);
// --kill-tree, --preserve-status, --foreground, -v/--verbose.
void declare_timeout_parity(cli::OptionTable& t, TimeoutParity& o);

// The shell and its arguments for a command line: [SHELL, "-c", LINE].
std::vector<std::string> shell_argv(const LaunchOptions& o, std::string line);
// --unset, --argv0, --uid and --gid into `spec` (a user's own groups as initgroups(3);
// --gid alone: only that group).
void apply_launch_options(const LaunchOptions& o, ChildSpec& spec);

// -v's report of each signal sent, in timeout(1)'s words: "sending signal TERM to
// command 'sleep'" (EXIT for 0); an empty function when not verbose.
std::function<void(int)> signal_reporter(bool verbose, const std::string& command);

// The status timeout(1) gives: 124 after a timeout, unless --preserve-status (or the
// command died of the SIGKILL that ended it): then the command's own.
int timeout_status(const TimeoutParity& o, bool timed_out, const ExitStatus& st);

}  // namespace ptool
