// What ptool and its subcommands share: the one table of subcommands (busybox's
// applets.src.h, kept in tools/ptool.cpp), which drives dispatch, `--list`,
// `--install` and the did-you-mean suggestion.
#pragma once

#include <functional>
#include <span>
#include <string_view>

namespace CLI {
class App;
}

namespace ptool {

// Returned by a tool's setup: runs the tool with the options CLI11 parsed into it.
using ToolRunner = std::function<int()>;

struct ToolEntry {
    std::string_view name;
    std::string_view summary;
    // Declares the tool's options on `app`, binding them into the tool's Options.
    ToolRunner (*setup)(CLI::App& app);
};

// Sorted by name.
std::span<const ToolEntry> tool_table();
const ToolEntry* find_tool(std::string_view name);

// One declaration per subcommand, defined in tools/NAME.cpp.
ToolRunner setup_bufdump(CLI::App& app);
ToolRunner setup_daemonize(CLI::App& app);
ToolRunner setup_exec(CLI::App& app);
ToolRunner setup_fork_cluster(CLI::App& app);
ToolRunner setup_hashfile(CLI::App& app);
ToolRunner setup_ipc_send(CLI::App& app);
ToolRunner setup_pstree(CLI::App& app);
ToolRunner setup_spawn(CLI::App& app);

}  // namespace ptool
