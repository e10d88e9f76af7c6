// The --help formatter (cli/help.hpp): one line per option, its help wrapped in a
// column beside it, headings from the tool's entry in cli/examples.cpp.
#include "cli/help.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "libcommon/core/parse.hpp"

namespace ptool::cli {
namespace {

constexpr size_t kIndent = 2;
constexpr size_t kMaxNameColumn = 28;  // wider names put their help on the next line

// Appends `text` wrapped to `width`, every line but the first indented by `indent`
// (the first continues a line already `start` columns long). A word too long for
// any line ("inherit|pipe|...") is cut after its '|'s.
void wrap(std::string& out, std::string_view text, size_t start, size_t indent, size_t width) {
    size_t column = start;
    bool line_empty = true;
    auto put = [&](std::string_view piece, bool glued) {
        if (!line_empty && column + (glued ? 0 : 1) + piece.size() > width) {
            out += "\n" + std::string(indent, ' ');
            column = indent;
            line_empty = true;
        } else if (!line_empty && !glued) {
            out += ' ';
            ++column;
        }
        out += piece;
        column += piece.size();
        line_empty = false;
    };
    while (!text.empty()) {
        size_t space = text.find(' ');
        std::string_view word = text.substr(0, space);
        text = space == std::string_view::npos ? "" : text.substr(space + 1);
        if (word.empty()) continue;
        if (indent + word.size() <= width) {
            put(word, false);
            continue;
        }
        for (bool glued = false; !word.empty(); glued = true) {
            size_t bar = word.find('|');
            std::string_view piece = word.substr(0, bar == std::string_view::npos ? bar : bar + 1);
            put(piece, glued);
            word.remove_prefix(piece.size());
        }
    }
    out += '\n';
}

std::string usage_line(std::string_view name, const OptionTable& table) {
    std::string line = "Usage: ptool " + std::string(name) + " [OPTIONS]";
    bool first = true;
    for (const Option& o : table.options()) {
        if (!o.is_positional()) continue;
        if (first && table.has_positionals_at_end()) line += " [--]";
        first = false;
        std::string word = o.metavar + (o.repeatable ? "..." : "");
        line += " " + (o.required ? word : "[" + word + "]");
    }
    return line + "\n";
}

using Items = std::vector<std::pair<std::string, std::string_view>>;

// The help column: past the widest synopsis that is not too wide.
size_t help_column(const std::vector<const Items*>& groups) {
    size_t column = 0;
    for (const Items* items : groups)
        for (const auto& item : *items)
            if (item.first.size() <= kMaxNameColumn) column = std::max(column, item.first.size());
    return column + 2;
}

// Each row: the synopsis and its help beside it (below it when the synopsis is wide).
void rows(std::string& out, const Items& items, size_t column, size_t width) {
    for (const auto& [left, help] : items) {
        out += left;
        if (left.size() + 2 > column)
            out += "\n" + std::string(column, ' ');
        else
            out += std::string(column - left.size(), ' ');
        wrap(out, help, column, column, width);
    }
}

}  // namespace

size_t help_width() {
    if (const char* columns = std::getenv("COLUMNS"))
        if (auto n = parse_int(columns); n && *n > 0) return std::clamp<size_t>(*n, 40, 1000);
    winsize ws{};
    if (::isatty(STDOUT_FILENO) && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return std::clamp<size_t>(ws.ws_col, 40, 1000);
    return 80;
}

std::string option_synopsis(const Option& o) {
    std::string out(kIndent, ' ');
    std::string_view all = o.names;
    bool first = true;
    while (!all.empty()) {
        size_t comma = all.find(',');
        out += (first ? "" : ", ") + std::string(all.substr(0, comma));
        first = false;
        all = comma == std::string_view::npos ? std::string_view() : all.substr(comma + 1);
    }
    if (o.kind == Kind::flag) return out;
    return out + (o.optional_value ? "[=" + o.metavar + "]" : " " + o.metavar);
}

std::string format_help(std::string_view name, std::string_view summary, const OptionTable& table,
                        size_t width) {
    const ToolHelp& extra = tool_help(name);
    std::string out = usage_line(name, table);
    out += "\n";
    std::string text(summary);
    if (!text.empty())
        text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
    wrap(out, text + ".", 0, 0, width);

    Items arguments;
    std::vector<std::pair<std::string_view, Items>> groups = {{"Options", {}}};
    for (const Option& o : table.options()) {
        if (o.is_positional()) {
            arguments.emplace_back(
                std::string(kIndent, ' ') + o.metavar + (o.repeatable ? "..." : ""), o.help);
            continue;
        }
        for (const auto& [first, heading] : extra.sections)
            if (o.has_name(first)) groups.emplace_back(heading, Items());
        // GNU's layout: long names line up under the short ones' long names.
        std::string synopsis = option_synopsis(o);
        if (o.names.starts_with("--")) synopsis.insert(0, "    ");
        groups.back().second.emplace_back(std::move(synopsis), o.help);
    }
    std::string_view help = table.has_help_long_only() ? "      --help" : "  -h, --help";
    groups.front().second.emplace_back(std::string(help), "print this help");
    groups.front().second.emplace_back("      --version", "print ptool's version");
    // One help column for every group, so that the help reads as one table.
    std::vector<const Items*> all = {&arguments};
    for (const auto& group : groups) all.push_back(&group.second);
    size_t column = help_column(all);
    if (!arguments.empty()) {
        out += "\nArguments:\n";
        rows(out, arguments, column, width);
    }
    for (const auto& [heading, items] : groups) {
        if (items.empty()) continue;
        out += "\n" + std::string(heading) + ":\n";
        rows(out, items, column, width);
    }
    if (!extra.examples.empty()) {
        out += "\nExamples:\n";
        for (const auto& [line, what] : extra.examples) {
            out += "  " + std::string(line) + "\n";
            out += "      ";
            wrap(out, what, 6, 6, width);
        }
    }
    out += "\nSee 'ptool help " + std::string(name) + " --man' for the manual.\n";
    return out;
}

}  // namespace ptool::cli
