// ptool itself (man/ptool.1): the one table of subcommands, multi-call dispatch on
// basename(argv[0]) as busybox and toybox do, the top-level options, and the one
// place errors are caught.
#include <signal.h>
#include <sys/stat.h>
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

#include "cli/completions.hpp"
#include "cli/suggest.hpp"
#include "libcommon/core/error.hpp"
#include "libcommon/core/output.hpp"
#include "libcommon/core/report.hpp"
#include "libcommon/core/signals.hpp"
#include "tools/ptool/install_links.hpp"
#include "tools/ptool/ptool.hpp"
#include "tools/ptool/version.hpp"

namespace ptool {
namespace {

#define PTOOL_TOOL_ADDRESS(id) &id##_tool,
constexpr const ToolEntry* kTools[] = {PTOOL_TOOLS(PTOOL_TOOL_ADDRESS)};
#undef PTOOL_TOOL_ADDRESS

std::string_view closest_tool(std::string_view name) {
    std::vector<std::string_view> names;
    for (const ToolEntry* tool : tool_table()) names.push_back(tool->name);
    return cli::closest_name(name, names);
}

std::string top_level_help() {
    std::string out =
        "Usage: ptool COMMAND [ARGS...]\n"
        "       COMMAND [ARGS...]        (through a symlink named COMMAND)\n"
        "       ptool help [COMMAND [--man]] | completions bash|zsh|fish\n"
        "       ptool --list | --install DIR [--force] | --help | --version\n\n"
        "Node.js's process and byte tools for shell pipelines.\n\nCommands:\n";
    for (const ToolEntry* tool : tool_table()) {
        std::string line = "  " + std::string(tool->name);
        line.resize(std::max<size_t>(line.size() + 2, 16), ' ');
        out += line + std::string(tool->summary) + "\n";
    }
    out +=
        "\nRun 'ptool help COMMAND' for a command's options; 'ptool help COMMAND --man' "
        "(man ptool-COMMAND) for more.\n";
    return out;
}

int run_tool(const ToolEntry& tool, int argc, char** argv) {
    set_program_name("ptool " + std::string(tool.name));
    cli::set_version_text(version_text());
    return tool.main.run(tool, argc, argv);
}

UsageError unknown_command(std::string_view name, std::string_view what) {
    std::string message(what);
    if (auto guess = closest_tool(name); !guess.empty())
        message += " (did you mean '" + std::string(guess) + "'?)";
    return UsageError(message);
}

// `ptool help [CMD [--man]]`: the command list, CMD's --help, or its man page.
int run_help(int argc, char** argv) {
    if (argc < 3) {
        write_or_die(STDOUT_FILENO, top_level_help());
        return exit_code::ok;
    }
    const ToolEntry* tool = find_tool(argv[2]);
    if (!tool) throw unknown_command(argv[2], "unknown command '" + std::string(argv[2]) + "'");
    if (argc > 4 || (argc == 4 && std::string_view(argv[3]) != "--man"))
        throw UsageError("help: unexpected argument '" + std::string(argv[argc - 1]) +
                         "' (usage: ptool help COMMAND [--man])");
    if (argc == 4) {
        std::string page = "ptool-" + std::string(tool->name);
        char* man_argv[] = {const_cast<char*>("man"), page.data(), nullptr};
        ::execvp("man", man_argv);
        throw SysError("man", errno, exit_code::not_found);
    }
    char help_flag[] = "--help";
    char* tool_argv[] = {argv[2], help_flag, nullptr};
    return run_tool(*tool, 2, tool_argv);
}

// `ptool completions SHELL`: the script, from every tool's option table.
int run_completions(int argc, char** argv) {
    if (argc != 3) throw UsageError("completions: expected one shell: bash, zsh or fish");
    std::vector<cli::CompletionTool> tools;
    for (const ToolEntry* tool : tool_table())
        tools.push_back({tool->name, tool->summary, &tool->main.options()});
    write_or_die(STDOUT_FILENO, cli::completion_script(argv[2], tools));
    return exit_code::ok;
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
    if (first == "help") return run_help(argc, argv);
    if (first == "completions") return run_completions(argc, argv);
    if (first.starts_with("-"))
        throw UsageError("unknown option '" + std::string(first) + "' (see --help)");
    if (const ToolEntry* tool = find_tool(first)) return run_tool(*tool, argc - 1, argv + 1);
    throw unknown_command(first, "unknown command '" + std::string(first) + "'");
}

int dispatch(int argc, char** argv) {
    std::string_view self = argc > 0 ? argv[0] : "ptool";
    if (auto slash = self.rfind('/'); slash != std::string_view::npos)
        self.remove_prefix(slash + 1);
    if (const ToolEntry* tool = find_tool(self)) return run_tool(*tool, argc, argv);
    // A link named after no command (ptool-2, ptool.new are ptool itself).
    if (!self.starts_with("ptool"))
        throw unknown_command(self, "called as '" + std::string(self) + "': unknown command");
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
