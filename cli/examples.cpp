// The part of each subcommand's --help that is prose, not option data: the headings
// its options fall under and two or three examples (the man pages' EXAMPLES hold
// more). One table here rather than a call in each tool's file, so that tools can
// gain options in parallel without touching their help's layout.
#include "cli/help.hpp"

namespace ptool::cli {

const ToolHelp& tool_help(std::string_view name) {
    static const std::vector<std::pair<std::string_view, ToolHelp>> kHelp = {
        {"bufdump",
         {{{"--reverse", "Reverse and convert"}},
          {{"ptool bufdump /bin/true | head", "an xxd dump of a file"},
           {"ptool bufdump -f base64 --wrap 0 key.bin", "base64 on one line"},
           {"ptool bufdump -f xxd file | ptool bufdump -r > copy", "and back to bytes"}}}},
        {"daemonize",
         {{{"--respawn", "Supervision"}, {"--stop", "Stop and status"}},
          {{"ptool daemonize --pidfile /run/app.pid --log /var/log/app.log -- ./app",
            "start a daemon"},
           {"ptool daemonize --wait-ready 30s -- ./app", "until it says READY=1"},
           {"ptool daemonize --stop --pidfile /run/app.pid --timeout 30s", "stop it"}}}},
        {"exec",
         {{{"--json", "Output"}},
          {{"ptool exec --json 'git status --porcelain'", "the result as one JSON object"},
           {"ptool exec --timeout 5s --file -- head -c 16 /dev/urandom", "no shell, at most 5s"},
           {"ptool exec --max-buffer 64k 'make 2>&1'", "keep at most 64 KiB"}}}},
        {"fork-cluster",
         {{{"--ready", "Readiness and restarts"},
           {"--stop-signal", "Stopping"},
           {"--agent", "Agent, events and control"}},
          {{"ptool fork-cluster -w 4 --listen 127.0.0.1:8080 -- node server.js",
            "four workers on one port"},
           {"ptool fork-cluster -w auto --control /run/app.ctl -- ./worker",
            "one per CPU, with a control socket"}}}},
        {"hashfile",
         {{{"--check", "Checking (-c)"}},
          {{"ptool hashfile -a blake3 -r src > SUMS", "digests of a tree"},
           {"ptool hashfile -a blake3 -c SUMS", "verify them"},
           {"ptool hashfile -a sha256 -a xxh3 -j 4 *.iso", "two digests, four files at once"}}}},
        {"ipc-send",
         {{},
          {{"ptool ipc-send '{\"cmd\":\"online\"}'", "a worker says it is ready"},
           {"ptool ipc-send --wait 5s '{\"question\":\"config\"}'", "ask and wait for the answer"},
           {"ptool ipc-send --socket /run/app.ctl '{\"cmd\":\"status\"}'",
            "ask a fork-cluster master"}}}},
        {"pstree",
         {{},
          {{"ptool pstree -p", "the whole tree with pids"},
           {"ptool pstree -a -s $$", "the shell's ancestors and children"},
           {"ptool pstree www-data", "the trees of one user"}}}},
        {"spawn",
         {{{"--stdin", "Standard streams"},
           {"--timeout", "Time limits"},
           {"--detached", "Identity and channels"},
           {"--json", "Events"}},
          {{"ptool spawn --tag=web --timestamps -- node server.js", "tagged, timed log lines"},
           {"ptool spawn --timeout 10m --kill-after 5s -- ./build.sh", "TERM after 10m, then KILL"},
           {"ptool spawn --env PORT=8080 --cwd /srv/app -- node index.js", "environment, cwd"}}}},
    };
    static const ToolHelp kNone;
    for (const auto& [tool, help] : kHelp)
        if (tool == name) return help;
    return kNone;
}

}  // namespace ptool::cli
