// ptool itself (man/ptool.1): the one table of subcommands, multi-call dispatch on
// basename(argv[0]) as busybox and toybox do, the top-level options, and the one
// place errors are caught.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <new>
#include <string>
#include <vector>

#include "libcommon/core/error.hpp"
#include "libcommon/core/output.hpp"
#include "libcommon/core/report.hpp"
#include "libcommon/core/signals.hpp"
#include "tools/install_links.hpp"
#include "tools/ptool.hpp"
#include "tools/version.hpp"

namespace ptool {
namespace {

#define PTOOL_TOOL_ADDRESS(id) &id##_tool,
constexpr const ToolEntry* kTools[] = {PTOOL_TOOLS(PTOOL_TOOL_ADDRESS)};
#undef PTOOL_TOOL_ADDRESS

// Optimal string alignment distance: a transposition ("hsahfile") costs one edit.
size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
    for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (size_t i = 1; i <= a.size(); ++i)
        for (size_t j = 1; j <= b.size(); ++j) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    return d[a.size()][b.size()];
}

std::string_view closest_tool(std::string_view name) {
    std::string_view best;
    size_t best_distance = SIZE_MAX;
    for (const ToolEntry* tool : tool_table()) {
        size_t dist = edit_distance(name, tool->name);
        if (dist < best_distance) {
            best_distance = dist;
            best = tool->name;
        }
    }
    return best_distance <= std::max<size_t>(2, name.size() / 3) ? best : std::string_view();
}

std::string top_level_help() {
    std::string out =
        "Usage: ptool COMMAND [ARGS...]\n"
        "       COMMAND [ARGS...]        (through a symlink named COMMAND)\n"
        "       ptool --list | --install DIR [--force] | --help | --version\n\n"
        "Node.js's process and byte tools for shell pipelines.\n\nCommands:\n";
    for (const ToolEntry* tool : tool_table()) {
        std::string line = "  " + std::string(tool->name);
        line.resize(std::max<size_t>(line.size() + 2, 16), ' ');
        out += line + std::string(tool->summary) + "\n";
    }
    out += "\nRun 'ptool COMMAND --help' for a command's options; 'man ptool-COMMAND' for more.\n";
    return out;
}

int run_tool(const ToolEntry& tool, int argc, char** argv) {
    set_program_name("ptool " + std::string(tool.name));
    return tool.main(tool, argc, argv);
}

int run_top_level(int argc, char** argv) {
    if (argc < 2) {
        write_or_die(STDERR_FILENO, top_level_help());
        return exit_code::usage;
    }
    std::string_view first = argv[1];
    if (first == "--help" || first == "-h") {
        write_or_die(STDOUT_FILENO, top_level_help());
        return exit_code::ok;
    }
    if (first == "--version" || first == "-V") {
        write_or_die(STDOUT_FILENO, version_text());
        return exit_code::ok;
    }
    if (first == "--list") {
        std::string out;
        for (const ToolEntry* tool : tool_table()) out += std::string(tool->name) + "\n";
        write_or_die(STDOUT_FILENO, out);
        return exit_code::ok;
    }
    if (first == "--install") {
        bool force = false;
        std::string dir;
        for (int i = 2; i < argc; ++i) {
            std::string_view arg = argv[i];
            if (arg == "--force" || arg == "-f")
                force = true;
            else if (dir.empty() && !arg.starts_with("-"))
                dir = arg;
            else
                throw UsageError("--install: unexpected argument '" + std::string(arg) + "'");
        }
        if (dir.empty()) throw UsageError("--install needs a directory");
        return install_links(dir, force);
    }
    if (first.starts_with("-"))
        throw UsageError("unknown option '" + std::string(first) + "' (see --help)");
    if (const ToolEntry* tool = find_tool(first)) return run_tool(*tool, argc - 1, argv + 1);
    std::string message = "unknown command '" + std::string(first) + "'";
    if (auto guess = closest_tool(first); !guess.empty())
        message += " (did you mean '" + std::string(guess) + "'?)";
    throw UsageError(message);
}

int dispatch(int argc, char** argv) {
    std::string_view self = argc > 0 ? argv[0] : "ptool";
    if (auto slash = self.rfind('/'); slash != std::string_view::npos)
        self.remove_prefix(slash + 1);
    if (const ToolEntry* tool = find_tool(self)) return run_tool(*tool, argc, argv);
    return run_top_level(argc, argv);
}

}  // namespace

std::span<const ToolEntry* const> tool_table() {
    return kTools;
}

const ToolEntry* find_tool(std::string_view name) {
    for (const ToolEntry* tool : kTools)
        if (tool->name == name) return tool;
    return nullptr;
}

}  // namespace ptool

int main(int argc, char** argv) {
    // Before anything opens an fd or starts a child: fds 0-2 exist, SIGCHLD is not
    // ignored, SIGPIPE is (see libcommon/core/signals.hpp).
    ptool::prepare_process_state();
    try {
        return ptool::dispatch(argc, argv);
    } catch (const ptool::Error& e) {
        ptool::report_error(e.what());
        return e.exit_status();
    } catch (const std::bad_alloc&) {
        ptool::report_error("out of memory");
        return ptool::exit_code::failure;
    } catch (const std::exception& e) {
        ptool::report_error(e.what());
        return ptool::exit_code::failure;
    }
}
