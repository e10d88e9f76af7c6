// --help in ptool's own words, made from a subcommand's OptionTable: a usage line,
// the options grouped under headings with consistent metavars, wrapped to the
// terminal, then a few examples. The headings and examples live in one table in
// cli/examples.cpp, keyed by the tool's name (no edit to the tools' files).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/options.hpp"

namespace ptool::cli {

struct ToolHelp {
    // {the long name of the first option under the heading, the heading}, in order.
    std::vector<std::pair<std::string_view, std::string_view>> sections;
    // "COMMAND LINE  what it does" pairs, two or three.
    std::vector<std::pair<std::string_view, std::string_view>> examples;
};

// The headings and examples of the subcommand `name` (empty for an unknown one).
const ToolHelp& tool_help(std::string_view name);

// $COLUMNS when set to a number, else the terminal's width on stdout, else 80.
size_t help_width();

// The whole --help text of subcommand `name`.
std::string format_help(std::string_view name, std::string_view summary, const OptionTable& table,
                        size_t width);

// "  -a, --algo ALGO", "  --tag[=PREFIX]": an option's names as the help shows them.
std::string option_synopsis(const Option& o);

}  // namespace ptool::cli
