// The option tables' builders: each kind's parser bound to the member it fills, and
// the defaults --help and the completions take from the kind (metavar, what to
// complete). The command line itself is read by parse.cpp.
#include "cli/options.hpp"

#include <cctype>

#include "libcommon/core/error.hpp"
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

bool Option::has_name(std::string_view name) const {
    std::string_view all = names;
    while (!all.empty()) {
        size_t comma = all.find(',');
        if (all.substr(0, comma) == name) return true;
        all = comma == std::string_view::npos ? std::string_view() : all.substr(comma + 1);
    }
    return false;
}

Option& Option::complete_words(std::string_view comma_list) {
    complete = Complete::words;
    words.clear();
    while (!comma_list.empty()) {
        size_t comma = comma_list.find(',');
        std::string_view word = comma_list.substr(0, comma);
        while (!word.empty() && word.front() == ' ') word.remove_prefix(1);
        if (!word.empty()) words.emplace_back(word);
        comma_list =
            comma == std::string_view::npos ? std::string_view() : comma_list.substr(comma + 1);
    }
    return *this;
}

namespace {

// The metavar a kind gets when the declaration names none (one word per kind in --help).
std::string_view default_metavar(Kind kind) {
    switch (kind) {
        case Kind::flag: return "";
        case Kind::count:
        case Kind::integer: return "N";
        case Kind::assignment: return "K=V";
        case Kind::path: return "FILE";
        case Kind::duration: return "DUR";
        case Kind::size: return "SIZE";
        case Kind::signal: return "SIG";
        case Kind::user: return "USER";
        case Kind::group: return "GROUP";
        case Kind::string:
        case Kind::choice: break;
    }
    return "WORD";
}

Complete default_completion(Kind kind, std::string_view metavar) {
    switch (kind) {
        case Kind::path: return metavar == "DIR" ? Complete::dir : Complete::file;
        case Kind::signal: return Complete::signal;
        case Kind::user: return Complete::user;
        case Kind::group: return Complete::group;
        case Kind::choice: return Complete::words;
        default: return Complete::none;
    }
}

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
    if (o.is_positional()) {
        for (char c : o.names) o.metavar += static_cast<char>(std::toupper(c));
    } else if (o.metavar.empty()) {
        o.metavar = default_metavar(kind);
    }
    o.complete = default_completion(kind, o.metavar);
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
    o.complete = default_completion(o.kind, o.metavar);
    return o;
}

Option& OptionTable::path(std::string names, std::string metavar, std::string help,
                          std::optional<std::string>& out) {
    Option& o = string(std::move(names), std::move(metavar), std::move(help), out);
    o.kind = Kind::path;
    o.complete = default_completion(o.kind, o.metavar);
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

Option& OptionTable::duration(std::string names, std::string metavar, std::string help,
                              SpelledDuration& out) {
    return custom(std::move(names), std::move(metavar), std::move(help), Kind::duration,
                  into(out, parse_spelled_duration));
}

Option& OptionTable::duration(std::string names, std::string metavar, std::string help,
                              std::optional<SpelledDuration>& out) {
    return custom(std::move(names), std::move(metavar), std::move(help), Kind::duration,
                  into(out, parse_spelled_duration));
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

Option& OptionTable::color(std::string names, std::string help, ColorMode& out) {
    Option& o = choice<ColorMode>(std::move(names), "WHEN", std::move(help), out,
                                  {{"auto", ColorMode::automatic},
                                   {"always", ColorMode::always},
                                   {"never", ColorMode::never}});
    return o.optional("always");
}

Option& OptionTable::custom(std::string names, std::string metavar, std::string help, Kind kind,
                            std::function<void(std::string_view)> parse) {
    Option& o = add(std::move(names), std::move(metavar), std::move(help), kind);
    o.store = std::move(parse);
    return o;
}

Option& OptionTable::positional(std::string name, std::string help, std::vector<std::string>& out) {
    Option& o = list(std::move(name), "", std::move(help), out);
    o.complete = Complete::file;
    return o;
}

Option& OptionTable::positional(std::string name, std::string help, std::string& out) {
    Option& o = string(std::move(name), "", std::move(help), out);
    o.complete = Complete::file;
    return o;
}

}  // namespace ptool::cli
