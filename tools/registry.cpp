#include "tools/registry.hpp"

#include <algorithm>
#include <array>

namespace ptool {

namespace {

// Keep sorted by name; a subcommand not built yet is simply absent.
constexpr std::array<ToolEntry, 8> kTools = {
    ToolEntry{"bufdump", "hex dumps and encodings (xxd, hexdump -C, base64, Node Buffer)",
              setup_bufdump},
    ToolEntry{"daemonize", "run a program as a daemon (daemonize, start-stop-daemon)",
              setup_daemonize},
    ToolEntry{"exec", "run a command, capture its output (Node exec)", setup_exec},
    ToolEntry{"fork-cluster", "supervise N workers sharing listening sockets (Node cluster)",
              setup_fork_cluster},
    ToolEntry{"hashfile", "file digests (sha256sum, b3sum, xxhsum, openssl dgst)", setup_hashfile},
    ToolEntry{"ipc-send", "send a message to a process over its IPC channel", setup_ipc_send},
    ToolEntry{"pstree", "show the process tree (psmisc pstree)", setup_pstree},
    ToolEntry{"spawn", "run a program, stream its output (Node spawn)", setup_spawn},
};

}  // namespace

std::span<const ToolEntry> tool_table() {
    return kTools;
}

const ToolEntry* find_tool(std::string_view name) {
    auto it = std::find_if(kTools.begin(), kTools.end(),
                           [&](const ToolEntry& t) { return t.name == name; });
    return it == kTools.end() ? nullptr : &*it;
}

}  // namespace ptool
