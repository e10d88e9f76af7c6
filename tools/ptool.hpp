// What ptool and its subcommands share: the one list of subcommands (busybox's
// applets.src.h), which drives dispatch, `--list`, `--install` and the did-you-mean
// suggestion. Each tool defines its entry, NAME_tool, beside its option table.
#pragma once

#include <span>
#include <string_view>

#include "cli/options.hpp"

namespace ptool {

struct ToolEntry {
    std::string_view name;
    std::string_view summary;
    // Parses the command line into the tool's Options and runs the tool.
    int (*main)(const ToolEntry& self, int argc, char** argv);
};

// A tool's entry: its option table (`Declare` binds it to an Options) and its run function.
template <typename Options, void (*Declare)(cli::OptionTable&, Options&),
          int (*Run)(const Options&)>
int tool_main(const ToolEntry& self, int argc, char** argv) {
    Options opts;
    cli::OptionTable table;
    Declare(table, opts);
    if (auto answered = cli::parse_command_line(self.name, self.summary, table, argc, argv))
        return *answered;
    return Run(opts);
}

// Every subcommand, sorted by name; each defined in tools/NAME.cpp or tools/NAME/.
#define PTOOL_TOOLS(X) \
    X(bufdump)         \
    X(daemonize)       \
    X(exec)            \
    X(fork_cluster)    \
    X(hashfile)        \
    X(ipc_send)        \
    X(pstree)          \
    X(spawn)
#define PTOOL_DECLARE_TOOL(id) extern const ToolEntry id##_tool;
PTOOL_TOOLS(PTOOL_DECLARE_TOOL)
#undef PTOOL_DECLARE_TOOL

// Sorted by name.
std::span<const ToolEntry* const> tool_table();
const ToolEntry* find_tool(std::string_view name);

}  // namespace ptool
