// `ptool completions bash|zsh|fish`: a completion script made from the subcommands'
// option tables (subcommands, options, and each value: the choice words, files,
// directories, users, groups, pids, signal names, commands), so that a new option
// is completed without a line written by hand.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cli/options.hpp"

namespace ptool::cli {

struct CompletionTool {
    std::string_view name;
    std::string_view summary;
    const OptionTable* table;
};

// The script for `shell`; throws UsageError for a shell it does not know.
std::string completion_script(std::string_view shell, const std::vector<CompletionTool>& tools);

// The shells completion_script knows, for messages and `ptool completions` itself.
inline constexpr std::string_view kCompletionShells[] = {"bash", "zsh", "fish"};

// Signal names without SIG (HUP INT ...), as completions offer them.
std::vector<std::string> signal_names();

}  // namespace ptool::cli
