// fork-cluster's options for running under systemd and as init, and for what its
// workers and agent run as: --no-nodelay --init --cwd --env --unset --user
// --emit-systemd. Kept apart from fork_cluster.cpp's table of the cluster's own.
#include "cli/options.hpp"
#include "libcommon/core/error.hpp"
#include "libcommon/launch/run_as.hpp"
#include "tools/fork_cluster/cluster.hpp"

namespace ptool {

void declare_systemd_options(cli::OptionTable& t, ClusterConfig& c) {
    t.flag("--no-nodelay", "leave TCP_NODELAY off on TCP listening sockets", c.no_nodelay);
    t.flag("--init",
           "be a container's init: one worker, never restarted, every signal "
           "passed on, orphans reaped, the worker's exit status as ours",
           c.init);
    t.path("--cwd", "DIR", "run the workers and the agent in DIR", c.run_as.cwd);
    t.assignments("--env", "K=V", "set K=V for the workers and the agent (repeatable)",
                  c.run_as.env);
    t.list("--unset", "NAME", "remove NAME from their environment (repeatable)", c.run_as.unset);
    t.custom("--user", "USER[:GROUP]",
             "run the workers and the agent as USER (its group, or GROUP; no supplementary "
             "groups)",
             cli::Kind::string,
             [&c](std::string_view text) { c.run_as.user = parse_user_group(text, ""); });
    t.string("--emit-systemd", "NAME",
             "print NAME.socket and a Type=notify NAME.service for this command line, and "
             "exit",
             c.emit_systemd);
}

}  // namespace ptool
