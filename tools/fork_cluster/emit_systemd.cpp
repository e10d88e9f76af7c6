// --emit-systemd NAME: the systemd units that run this very command line, what
// `pm2 startup` does, done right: NAME.socket holds the --listen sockets (so they
// survive a restart of the master) and NAME.service runs the master as Type=notify
// with `--listen systemd:NAME`. Printed on stdout, each file after a "# --- FILE"
// line; nothing is installed.
#include <unistd.h>

#include <climits>
#include <filesystem>

#include "libcommon/core/error.hpp"
#include "libcommon/core/fd.hpp"
#include "libcommon/core/output.hpp"
#include "libcommon/core/parse.hpp"
#include "tools/fork_cluster/cluster.hpp"

namespace ptool {

std::vector<std::string> own_argv() {
    std::string text = read_file("/proc/self/cmdline");
    std::vector<std::string> out;
    for (size_t start = 0; start < text.size();) {
        size_t end = text.find('\0', start);
        if (end == std::string::npos) end = text.size();
        out.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

namespace {

// One word of ExecStart=: quoted when it needs it; $ and % are systemd's specifiers.
std::string unit_word(const std::string& word) {
    std::string escaped;
    bool quote = word.empty();
    for (char c : word) {
        if (c == '$' || c == '%') escaped += c;  // $$ and %% stand for themselves
        if (c == '"' || c == '\\') escaped += '\\';
        if (c == ' ' || c == '\t' || c == '"' || c == '\'' || c == '\\' || c == ';') quote = true;
        escaped += c;
    }
    return quote ? "\"" + escaped + "\"" : escaped;
}

// ListenStream=/ListenDatagram= for one --listen address.
std::string listen_line(const ListenAddress& a) {
    using K = ListenAddress::Kind;
    if (a.kind == K::systemd)
        throw UsageError("--emit-systemd: --listen " + a.text + " is one already");
    if (a.kind == K::unix_path) return "ListenStream=" + a.path;
    if (a.port == 0)
        throw UsageError("--emit-systemd: --listen " + a.text +
                         ": a socket unit needs a fixed port");
    std::string where = a.host.empty() ? std::to_string(a.port)
                        : a.host.find(':') != std::string::npos
                            ? "[" + a.host + "]:" + std::to_string(a.port)
                            : a.host + ":" + std::to_string(a.port);
    return (a.kind == K::udp ? "ListenDatagram=" : "ListenStream=") + where;
}

// The master's arguments for the unit: --emit-systemd dropped, every --listen replaced
// by one --listen systemd:NAME.
std::vector<std::string> unit_arguments(const std::vector<std::string>& argv,
                                        const std::string& name) {
    std::vector<std::string> out;
    bool listen_done = false;
    bool in_program = false;
    for (size_t i = 0; i < argv.size(); ++i) {
        const std::string& w = argv[i];
        if (in_program || w == "--") {
            in_program = true;
            out.push_back(w);
            continue;
        }
        bool listen = w == "--listen" || w.starts_with("--listen=");
        bool emit = w == "--emit-systemd" || w.starts_with("--emit-systemd=");
        if ((listen || emit) && w.find('=') == std::string::npos) ++i;  // its value
        if (emit) continue;
        if (listen) {
            if (!listen_done) out.insert(out.end(), {"--listen", "systemd:" + name});
            listen_done = true;
            continue;
        }
        out.push_back(w);
    }
    return out;
}

std::string watchdog_line(const std::vector<std::string>& argv) {
    for (size_t i = 0; i + 1 < argv.size() && argv[i] != "--"; ++i)
        if (argv[i] == "--watchdog") return "WatchdogSec=" + argv[i + 1] + "\n";
    return "";
}

}  // namespace

int emit_systemd_units(const ClusterConfig& config) {
    const std::string& name = config.emit_systemd;
    if (name.find_first_of("/ \t\n") != std::string::npos || name.starts_with("."))
        throw UsageError("--emit-systemd: '" + name + "' is not a unit name");
    std::vector<std::string> argv = own_argv();
    // Everything after the subcommand's name (ptool fork-cluster ..., or a fork-cluster link).
    size_t at = 0;
    while (at < argv.size() && argv[at] != "fork-cluster" && !argv[at].ends_with("/fork-cluster"))
        ++at;
    std::vector<std::string> args(argv.begin() + static_cast<long>(std::min(at + 1, argv.size())),
                                  argv.end());
    args = unit_arguments(args, name);

    std::string exe = std::filesystem::read_symlink("/proc/self/exe").string();
    std::string exec = unit_word(exe) + " fork-cluster";
    for (const auto& w : args) exec += " " + unit_word(w);
    char cwd[PATH_MAX];
    std::string dir = ::getcwd(cwd, sizeof cwd) ? cwd : "/";

    std::string socket = "# --- " + name + ".socket\n[Unit]\nDescription=Sockets of " + name +
                         ".service (ptool fork-cluster)\n\n[Socket]\n";
    for (const auto& a : config.listen) socket += listen_line(a) + "\n";
    socket += "FileDescriptorName=" + name + "\nService=" + name +
              ".service\n\n[Install]\nWantedBy=sockets.target\n";

    std::string service = "# --- " + name +
                          ".service\n[Unit]\nDescription=" + unit_word(config.command[0]) +
                          " under ptool fork-cluster\n";
    if (!config.listen.empty())
        service += "Requires=" + name + ".socket\nAfter=" + name + ".socket\n";
    service +=
        "\n[Service]\nType=notify\nNotifyAccess=main\nExecStart=" + exec +
        "\nExecReload=/bin/kill -HUP $MAINPID\nWorkingDirectory=" + dir +
        "\nKillMode=mixed\nRestart=on-failure\nTimeoutStopSec=" +
        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(config.grace).count() + 5) +
        "s\n" + watchdog_line(args) + "\n[Install]\nWantedBy=multi-user.target\n";
    write_or_die(STDOUT_FILENO, (config.listen.empty() ? "" : socket + "\n") + service);
    return exit_code::ok;
}

}  // namespace ptool
