// The option layer: each subcommand declares its options as data (names, metavar,
// help, kind, the member of its Options they fill) and receives typed values. Values
// are parsed and validated here, in one place, with one error form `--OPT: why`.
// The same table makes --help (help.cpp) and the shell completions (completions.cpp).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "libcommon/core/output.hpp"
#include "libcommon/core/parse.hpp"

namespace ptool::cli {

enum class Kind {
    flag,        // no value: bool
    count,       // a decimal count 0..max: uint64_t
    integer,     // a whole number min..max: int
    string,      // any text (never empty)
    assignment,  // "K=V": a (K, V) pair
    path,        // a file or directory name (never empty)
    duration,    // "250ms", "5s": Duration
    size,        // "4096", "64k": uint64_t
    signal,      // "TERM", "SIGKILL", "9": the number
    choice,      // one of a list of words
    user,        // a user name or number: UserInfo
    group,       // a group name or number: gid_t
};

// What a shell completes for a value or a positional (set from the kind by default).
enum class Complete { none, file, dir, pid, signal, user, group, command, words };

// One option or positional argument. Names are "-c,--cols" or "--cwd"; a name with
// no dash ("command") is a positional. The first long name is the one messages use.
struct Option {
    std::string names;
    std::string metavar;
    std::string help;
    Kind kind = Kind::string;
    bool repeatable = false;      // each occurrence adds a value (--env K=V --env ...)
    bool optional_value = false;  // the bare form means something (--tag, --wait): "" then
    bool required = false;
    char delimiter = 0;                 // "-a md5,sha1" splits on it
    std::vector<std::string> choices;   // Kind::choice: the words taken (empty: custom checks)
    std::vector<std::string> excludes;  // long names of options it cannot go with
    std::function<void(std::string_view)> store;  // one value (each, when repeatable)
    std::function<void()> store_flag;             // a flag given
    bool* given = nullptr;                        // set when the option appears
    std::string* text = nullptr;                  // the value as given, for messages
    std::string bare;                             // optional value: what the bare form stands for
    Complete complete = Complete::none;           // what a shell completes here
    std::vector<std::string> words;               // Complete::words: the words (choices by default)

    // The name messages use: the first long name, else the short one, else the positional.
    std::string display_name() const;
    bool is_positional() const { return !names.empty() && names[0] != '-'; }
    // Whether `name` ("-c", "--cols") is one of its names.
    bool has_name(std::string_view name) const;
    // The words a shell offers: `words`, else the choices.
    const std::vector<std::string>& completion_words() const {
        return words.empty() ? choices : words;
    }

    // Modifiers, for declarations that read as one line each.
    Option& require() { return required = true, *this; }
    Option& repeat() { return repeatable = true, *this; }
    // The bare form is allowed: it stores "" into a string, leaves other kinds alone.
    Option& optional() { return optional_value = true, *this; }
    // The bare form is allowed and means `value` (`--color` alone: always).
    Option& optional(std::string value) { return bare = std::move(value), optional(); }
    Option& exclude(std::string name) { return excludes.push_back(std::move(name)), *this; }
    Option& mark_given(bool& flag) { return given = &flag, *this; }
    Option& keep_text(std::string& out) { return text = &out, *this; }
    Option& split_on(char c) { return delimiter = c, *this; }
    Option& complete_as(Complete c) { return complete = c, *this; }
    // Offer these words ("a, b, c": a registry's comma list, as in the help text).
    Option& complete_words(std::string_view comma_list);
};

// A subcommand's options, in --help order.
class OptionTable {
public:
    Option& flag(std::string names, std::string help, bool& out);
    Option& string(std::string names, std::string metavar, std::string help, std::string& out);
    Option& string(std::string names, std::string metavar, std::string help,
                   std::optional<std::string>& out);
    Option& path(std::string names, std::string metavar, std::string help, std::string& out);
    Option& path(std::string names, std::string metavar, std::string help,
                 std::optional<std::string>& out);
    Option& list(std::string names, std::string metavar, std::string help,
                 std::vector<std::string>& out);
    // A value that may be left out: `--tag` alone stores "", and `given` says it appeared.
    Option& optional_value(std::string names, std::string metavar, std::string help,
                           std::optional<std::string>& out);
    // Repeatable "K=V" (--env): each a (K, V) pair.
    Option& assignments(std::string names, std::string metavar, std::string help,
                        std::vector<std::pair<std::string, std::string>>& out);
    Option& count(std::string names, std::string metavar, std::string help,
                  std::optional<uint64_t>& out, uint64_t max);
    Option& integer(std::string names, std::string metavar, std::string help, int& out,
                    long long min, long long max);
    Option& duration(std::string names, std::string metavar, std::string help, Duration& out);
    Option& duration(std::string names, std::string metavar, std::string help,
                     std::optional<Duration>& out);
    // The same keeping the text, for a duration that messages name (SpelledDuration).
    Option& duration(std::string names, std::string metavar, std::string help,
                     SpelledDuration& out);
    Option& duration(std::string names, std::string metavar, std::string help,
                     std::optional<SpelledDuration>& out);
    Option& size(std::string names, std::string metavar, std::string help, uint64_t& out);
    Option& size(std::string names, std::string metavar, std::string help,
                 std::optional<uint64_t>& out);
    Option& signal(std::string names, std::string metavar, std::string help, int& out);
    Option& user(std::string names, std::string metavar, std::string help,
                 std::optional<UserInfo>& out);
    Option& group(std::string names, std::string metavar, std::string help,
                  std::optional<gid_t>& out);
    // One of `values`; `out` gets the matching value. The message lists the words.
    template <typename T>
    Option& choice(std::string names, std::string metavar, std::string help, T& out,
                   std::vector<std::pair<std::string, T>> values) {
        Option& o = add(std::move(names), std::move(metavar), std::move(help), Kind::choice);
        for (const auto& v : values) o.choices.push_back(v.first);
        o.store = [&out, values = std::move(values)](std::string_view text) {
            for (const auto& v : values)
                if (v.first == text) out = v.second;
        };
        return o;
    }
    // --color[=WHEN] as ls and grep: auto, always or never; the bare form is always.
    Option& color(std::string names, std::string help, ColorMode& out);
    // A value of a tool's own type (a listen address, a stdio mode): `parse` reads the
    // text, storing it or throwing UsageError "why"; `kind` is what --help and completion
    // take it for.
    Option& custom(std::string names, std::string metavar, std::string help, Kind kind,
                   std::function<void(std::string_view)> parse);
    // The positional words: PROGRAM [ARGS...], FILE...
    Option& positional(std::string name, std::string help, std::vector<std::string>& out);
    Option& positional(std::string name, std::string help, std::string& out);

    // Everything after the first positional is positional (PROGRAM's own options);
    // shells complete that first word as a command.
    void positionals_at_end() { positionals_at_end_ = true; }
    // pstree: -h is psmisc's --highlight-all, so help is --help alone.
    void help_long_only() { help_long_only_ = true; }

    const std::vector<Option>& options() const { return options_; }
    bool has_positionals_at_end() const { return positionals_at_end_; }
    bool has_help_long_only() const { return help_long_only_; }

private:
    Option& add(std::string names, std::string metavar, std::string help, Kind kind);
    std::vector<Option> options_;
    bool positionals_at_end_ = false;
    bool help_long_only_ = false;
};

// Parses argv[1..] of subcommand `name` against `table`, storing typed values. Returns
// an exit status when the command line is already answered (--help, --version: 0),
// nullopt to run the tool. Throws UsageError "--OPT: why" (parse.cpp).
std::optional<int> parse_command_line(std::string_view name, std::string_view summary,
                                      const OptionTable& table, int argc, char** argv);

// What `CMD --version` prints: ptool's own --version text (set once by main).
void set_version_text(std::string text);

}  // namespace ptool::cli
