// What ptool and its subcommands share: the one list of subcommands (busybox's
// applets.src.h), which drives dispatch, `--list`, `--install`, the did-you-mean
// suggestion, `ptool help` and `ptool completions`. Each tool defines its entry, NAME_tool, beside
// its option table.
#pragma once

#include <span>
#include <string_view>

#include "cli/options.hpp"

namespace ptool {

struct ToolEntry;

struct ToolHooks {
    // Parses the command line into the tool's Options and runs the tool.
    int (*run)(const ToolEntry& self, int argc, char** argv);
    // The option table alone, for help and completions (its values are never stored).
    const cli::OptionTable& (*options)();
};

struct ToolEntry {
    std::string_view name;
    std::string_view summary;
    ToolHooks main;
};

template <typename Options, void (*Declare)(cli::OptionTable&, Options&),
          int (*Run)(const Options&)>
int run_tool_main(const ToolEntry& self, int argc, char** argv) {
    Options opts;
    cli::OptionTable table;
    Declare(table, opts);
    if (auto answered = cli::parse_command_line(self.name, self.summary, table, argc, argv))
        return *answered;
    return Run(opts);
}

template <typename Options, void (*Declare)(cli::OptionTable&, Options&)>
const cli::OptionTable& tool_options() {
    static Options opts;
    static const cli::OptionTable table = [] {
        cli::OptionTable t;
        Declare(t, opts);
        return t;
    }();
    return table;
}

// A tool's entry: its option table (`Declare` binds it to an Options) and its run function.
template <typename Options, void (*Declare)(cli::OptionTable&, Options&),
          int (*Run)(const Options&)>
constexpr ToolHooks tool_main{run_tool_main<Options, Declare, Run>, tool_options<Options, Declare>};

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
