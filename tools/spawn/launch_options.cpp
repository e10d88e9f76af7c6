// The options spawn and exec share (launch_options.hpp).
#include "tools/spawn/launch_options.hpp"

#include "libcommon/core/error.hpp"
#include "libcommon/core/parse.hpp"

namespace ptool {

void declare_launch_options(cli::OptionTable& t, LaunchOptions& o, std::string shell_help) {
    t.list("--unset", "NAME", "remove NAME from the environment (repeatable)", o.unset);
    t.string("--argv0", "NAME", "the name the program sees as argv[0]", o.argv0);
    t.optional_value("--shell", "PATH", std::move(shell_help), o.shell);
    t.user("--uid", "USER", "run as USER (name or number)", o.uid);
    t.group("--gid", "GROUP", "run with GROUP (name or number)", o.gid);
}

void declare_kill_signal(cli::OptionTable& t, std::string help, int& out) {
    t.custom("--kill-signal", "SIG", std::move(help), cli::Kind::signal,
             [&out](std::string_view text) { out = text == "0" ? 0 : parse_signal(text); });
}

void declare_timeout_parity(cli::OptionTable& t, TimeoutParity& o) {
    t.flag("--kill-tree", "on timeout and at the end, kill every descendant, even setsid ones",
           o.kill_tree);
    t.flag("--preserve-status", "after a timeout, exit with the command's status, not 124",
           o.preserve_status);
    t.flag("--foreground", "stay in ptool's process group; the timeout signals the command alone",
           o.foreground);
    t.flag("-v,--verbose", "report each signal the timeout sends, on stderr", o.verbose);
}

std::vector<std::string> shell_argv(const LaunchOptions& o, std::string line) {
    std::string shell = o.shell && !o.shell->empty() ? *o.shell : "/bin/sh";
    return {shell, "-c", std::move(line)};
}

void apply_launch_options(const LaunchOptions& o, ChildSpec& spec) {
    if (!o.argv0.empty()) spec.argv0 = o.argv0;
    spec.env_unset = o.unset;
    if (o.uid) {
        const UserInfo& user = *o.uid;
        spec.uid = user.uid;
        if (!user.name.empty()) {
            spec.gid = user.gid;
            spec.groups = user_groups(user.name, user.gid);
        }
    }
    if (o.gid) {
        spec.gid = *o.gid;
        if (!o.uid) spec.groups = std::vector<gid_t>{*spec.gid};
    }
}

std::function<void(int)> signal_reporter(bool verbose, const std::string& command) {
    if (!verbose) return {};
    return [command](int signal) {
        std::string name = signal == 0 ? "EXIT" : signal_short_name(signal);
        report_error("sending signal " + name + " to command '" + command + "'");
    };
}

int timeout_status(const TimeoutParity& o, bool timed_out, const ExitStatus& st) {
    if (!timed_out) return st.shell_status();
    if (o.preserve_status || (!st.exited() && st.signal() == SIGKILL && o.foreground))
        return st.shell_status();
    return exit_code::timed_out;
}

}  // namespace ptool
