// The one translation unit that includes CLI11: builds a parser from a subcommand's
// OptionTable, runs it, turns its complaints into ptool's one-line usage errors, and
// then parses each value by its kind so that every bad value reads `--OPT: why`.
#include "cli/options.hpp"

#include <unistd.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <climits>
#include <deque>

#include "libcommon/core/error.hpp"
#include "libcommon/core/output.hpp"
#include "libcommon/launch/launcher.hpp"

namespace ptool::cli {

std::string Option::display_name() const {
    std::string_view all = names;
    std::string_view first_short;
    while (!all.empty()) {
        size_t comma = all.find(',');
        std::string_view name = all.substr(0, comma);
        if (name.starts_with("--")) return std::string(name);
        if (first_short.empty()) first_short = name;
        all = comma == std::string_view::npos ? std::string_view() : all.substr(comma + 1);
    }
    return std::string(first_short);
}

namespace {

// A store that parses the text with `parse` into `out` (a T or an optional<T>).
template <typename T, typename Parse>
std::function<void(std::string_view)> into(T& out, Parse parse) {
    return [&out, parse](std::string_view text) { out = parse(text); };
}

}  // namespace

Option& OptionTable::add(std::string names, std::string metavar, std::string help, Kind kind) {
    Option& o = options_.emplace_back();
    o.names = std::move(names);
    o.metavar = std::move(metavar);
    o.help = std::move(help);
    o.kind = kind;
    return o;
}

Option& OptionTable::flag(std::string names, std::string help, bool& out) {
    Option& o = add(std::move(names), "", std::move(help), Kind::flag);
    o.store_flag = [&out] { out = true; };
    return o;
}

Option& OptionTable::string(std::string names, std::string metavar, std::string help,
                            std::string& out) {
    Option& o = add(std::move(names), std::move(metavar), std::move(help), Kind::string);
    o.store = [&out](std::string_view text) { out = text; };
    return o;
}

Option& OptionTable::string(std::string names, std::string metavar, std::string help,
                            std::optional<std::string>& out) {
    Option& o = add(std::move(names), std::move(metavar), std::move(help), Kind::string);
    o.store = [&out](std::string_view text) { out = std::string(text); };
    return o;
}

Option& OptionTable::path(std::string names, std::string metavar, std::string help,
                          std::string& out) {
    Option& o = string(std::move(names), std::move(metavar), std::move(help), out);
    o.kind = Kind::path;
    return o;
}

Option& OptionTable::path(std::string names, std::string metavar, std::string help,
                          std::optional<std::string>& out) {
    Option& o = string(std::move(names), std::move(metavar), std::move(help), out);
    o.kind = Kind::path;
    return o;
}

Option& OptionTable::list(std::string names, std::string metavar, std::string help,
                          std::vector<std::string>& out) {
    Option& o = add(std::move(names), std::move(metavar), std::move(help), Kind::string);
    o.repeatable = true;
    o.store = [&out](std::string_view text) { out.emplace_back(text); };
    return o;
}

Option& OptionTable::optional_value(std::string names, std::string metavar, std::string help,
                                    std::optional<std::string>& out) {
    return string(std::move(names), std::move(metavar), std::move(help), out).optional();
}

Option& OptionTable::assignments(std::string names, std::string metavar, std::string help,
                                 std::vector<std::pair<std::string, std::string>>& out) {
    Option& o = add(std::move(names), std::move(metavar), std::move(help), Kind::assignment);
    o.repeatable = true;
    o.store = [&out](std::string_view text) { out.push_back(parse_env_assignment(text)); };
    return o;
}

Option& OptionTable::count(std::string names, std::string metavar, std::string help,
                           std::optional<uint64_t>& out, uint64_t max) {
    Option& o = add(std::move(names), std::move(metavar), std::move(help), Kind::count);
    o.store = [&out, max](std::string_view text) { out = parse_count(text, max); };
    return o;
}

Option& OptionTable::integer(std::string names, std::string metavar, std::string help, int& out,
                             long long min, long long max) {
    Option& o = add(std::move(names), std::move(metavar), std::move(help), Kind::integer);
    o.store = [&out, min, max](std::string_view text) {
        auto n = parse_int(text);
        if (!n || *n < min || *n > max)
            throw UsageError("expected " + std::to_string(min) + ".." + std::to_string(max) +
                             ", got '" + std::string(text) + "'");
        out = static_cast<int>(*n);
    };
    return o;
}

Option& OptionTable::duration(std::string names, std::string metavar, std::string help,
                              Duration& out) {
    return custom(std::move(names), std::move(metavar), std::move(help), Kind::duration,
                  into(out, parse_duration));
}

Option& OptionTable::duration(std::string names, std::string metavar, std::string help,
                              std::optional<Duration>& out) {
    return custom(std::move(names), std::move(metavar), std::move(help), Kind::duration,
                  into(out, parse_duration));
}

Option& OptionTable::size(std::string names, std::string metavar, std::string help, uint64_t& out) {
    return custom(std::move(names), std::move(metavar), std::move(help), Kind::size,
                  into(out, parse_size));
}

Option& OptionTable::size(std::string names, std::string metavar, std::string help,
                          std::optional<uint64_t>& out) {
    return custom(std::move(names), std::move(metavar), std::move(help), Kind::size,
                  into(out, parse_size));
}

Option& OptionTable::signal(std::string names, std::string metavar, std::string help, int& out) {
    return custom(std::move(names), std::move(metavar), std::move(help), Kind::signal,
                  into(out, parse_signal));
}

Option& OptionTable::user(std::string names, std::string metavar, std::string help,
                          std::optional<UserInfo>& out) {
    return custom(std::move(names), std::move(metavar), std::move(help), Kind::user,
                  into(out, lookup_user));
}

Option& OptionTable::group(std::string names, std::string metavar, std::string help,
                           std::optional<gid_t>& out) {
    return custom(std::move(names), std::move(metavar), std::move(help), Kind::group,
                  into(out, lookup_group));
}

Option& OptionTable::custom(std::string names, std::string metavar, std::string help, Kind kind,
                            std::function<void(std::string_view)> parse) {
    Option& o = add(std::move(names), std::move(metavar), std::move(help), kind);
    o.store = std::move(parse);
    return o;
}

Option& OptionTable::positional(std::string name, std::string help, std::vector<std::string>& out) {
    Option& o = list(std::move(name), "", std::move(help), out);
    return o;
}

Option& OptionTable::positional(std::string name, std::string help, std::string& out) {
    Option& o = string(std::move(name), "", std::move(help), out);
    return o;
}

namespace {

// "expected a, b or c, got 'TEXT'": the form --color and --restart always had.
std::string expected_words(const std::vector<std::string>& words, std::string_view text) {
    std::string list;
    for (size_t i = 0; i < words.size(); ++i)
        list += (i == 0 ? "" : i + 1 == words.size() ? " or " : ", ") + words[i];
    return "expected " + list + ", got '" + std::string(text) + "'";
}

// An empty value never means "default" or "none" (as runuser, setpriv and timeout):
// `--uid ''` must not run as root, `--pidfile ''` must not be taken. A property of
// every kind that takes a value, except an optional value, whose bare form has a
// meaning. A CLI11 transform, so that it speaks before a missing positional does.
const CLI::Validator& non_empty() {
    static const CLI::Validator kNonEmpty(
        [](std::string& value) {
            return value.empty() ? std::string("empty value") : std::string();
        },
        "", "NONEMPTY");
    return kNonEmpty;
}

// Where CLI11 leaves one option's text until the values are parsed by kind.
struct Slot {
    std::string value;
    std::vector<std::string> values;
    CLI::Option* cli = nullptr;
};

CLI::Option* add_to_app(CLI::App& app, const Option& o, Slot& slot) {
    if (o.kind == Kind::flag) return app.add_flag(o.names, o.help);
    CLI::Option* cli = o.repeatable ? app.add_option(o.names, slot.values, o.help)
                                    : app.add_option(o.names, slot.value, o.help);
    if (!o.metavar.empty()) cli->type_name(o.metavar);
    if (o.optional_value) cli->expected(0, 1);
    if (o.is_positional() && o.repeatable) cli->expected(-1);
    if (o.required) cli->required();
    if (o.delimiter) {
        cli->allow_extra_args(false)
            ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
            ->delimiter(o.delimiter);
    }
    if (!o.is_positional() && !o.optional_value) cli->transform(non_empty());
    return cli;
}

// One value through its kind's parser: a bad one is "--OPT: why".
void store_value(const Option& o, std::string_view text) {
    try {
        if (o.optional_value && text.empty() && o.kind != Kind::string) return;
        if (!o.choices.empty() &&
            std::find(o.choices.begin(), o.choices.end(), text) == o.choices.end())
            throw UsageError(expected_words(o.choices, text));
        o.store(text);
        if (o.text) *o.text = text;
    } catch (const UsageError& e) {
        if (o.is_positional()) throw;
        throw UsageError(o.display_name() + ": " + e.what());
    }
}

}  // namespace

std::optional<int> parse_command_line(std::string_view name, std::string_view summary,
                                      const OptionTable& table, int argc, char** argv) {
    CLI::App app(std::string(summary), "ptool " + std::string(name));
    if (table.has_help_long_only()) app.set_help_flag("--help", "Print this help message and exit");
    const auto& options = table.options();
    std::deque<Slot> slots(options.size());  // CLI11 keeps pointers into them
    for (size_t i = 0; i < options.size(); ++i)
        slots[i].cli = add_to_app(app, options[i], slots[i]);
    for (size_t i = 0; i < options.size(); ++i)
        for (const auto& other : options[i].excludes) slots[i].cli->excludes(app.get_option(other));
    if (table.has_positionals_at_end()) app.positionals_at_end();
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        write_or_die(STDOUT_FILENO, app.help());
        return exit_code::ok;
    } catch (const CLI::CallForAllHelp&) {
        write_or_die(STDOUT_FILENO, app.help("", CLI::AppFormatMode::All));
        return exit_code::ok;
    } catch (const CLI::ParseError& e) {
        std::string what = e.what();
        std::replace(what.begin(), what.end(), '\n', ' ');
        throw UsageError(what + " (see --help)");
    }
    for (size_t i = 0; i < options.size(); ++i) {
        const Option& o = options[i];
        const Slot& slot = slots[i];
        if (slot.cli->count() == 0) continue;
        if (o.given) *o.given = true;
        if (o.kind == Kind::flag)
            o.store_flag();
        else if (o.repeatable)
            for (const auto& text : slot.values) store_value(o, text);
        else
            store_value(o, slot.value);
    }
    return std::nullopt;
}

}  // namespace ptool::cli
