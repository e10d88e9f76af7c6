// Reads a command line against an OptionTable, as getopt_long does (clustered short
// flags, -c16, --name=value, `--`), with ptool's rules: every option takes exactly one
// value per occurrence (a repeatable option never swallows the program), no value is
// empty unless it is optional, and every complaint is one line `--OPT: why` in
// ptool's words, with a did-you-mean for a mistyped option name.
#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "cli/help.hpp"
#include "cli/options.hpp"
#include "cli/suggest.hpp"
#include "libcommon/core/error.hpp"
#include "libcommon/core/output.hpp"

namespace ptool::cli {
namespace {

std::string& version_text() {
    static std::string text = "ptool " PTOOL_VERSION "\n";
    return text;
}

// "expected a, b or c, got 'TEXT'": the form --color and --restart always had.
std::string expected_words(const std::vector<std::string>& words, std::string_view text) {
    std::string list;
    for (size_t i = 0; i < words.size(); ++i)
        list += (i == 0 ? "" : i + 1 == words.size() ? " or " : ", ") + words[i];
    return "expected " + list + ", got '" + std::string(text) + "'";
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

enum class Answer { none, help, version };

class CommandLine {
public:
    CommandLine(const OptionTable& table, int argc, char** argv)
        : table_(table),
          options_(table.options()),
          values_(options_.size()),
          seen_(options_.size()),
          args_(argv + 1, argv + std::max(argc, 1)) {}

    // Sorts the words into options and positionals; an answer (--help) ends it early.
    Answer scan() {
        bool only_positionals = false;
        for (next_ = 0; next_ < args_.size();) {
            std::string_view arg = args_[next_++];
            if (only_positionals || !looks_like_option(arg)) {
                words_.emplace_back(arg);
                if (table_.has_positionals_at_end()) only_positionals = true;
            } else if (arg == "--") {
                only_positionals = true;
            } else if (Answer a = arg.starts_with("--") ? long_option(arg) : short_options(arg);
                       a != Answer::none) {
                return a;
            }
        }
        return Answer::none;
    }

    // Positionals into their slots, exclusions, then every value through its kind.
    void store() {
        size_t word = 0;
        for (const Option& o : options_) {
            if (!o.is_positional()) continue;
            size_t i = static_cast<size_t>(&o - options_.data());
            if (word == words_.size() && o.required)
                throw UsageError("missing " + o.metavar + " (see --help)");
            for (; word < words_.size(); ++word) {
                values_[i].push_back(words_[word]);
                seen_[i] = true;
                if (!o.repeatable) {
                    ++word;
                    break;
                }
            }
        }
        if (word < words_.size())
            throw UsageError("unexpected argument '" + words_[word] + "' (see --help)");
        for (size_t i = 0; i < options_.size(); ++i) {
            if (!seen_[i]) continue;
            for (const auto& other : options_[i].excludes)
                for (size_t j = 0; j < options_.size(); ++j)
                    if (seen_[j] && options_[j].has_name(other))
                        throw UsageError(options_[i].display_name() + ": cannot be combined with " +
                                         other);
        }
        for (size_t i = 0; i < options_.size(); ++i) {
            const Option& o = options_[i];
            if (!seen_[i]) continue;
            if (o.given) *o.given = true;
            if (o.kind == Kind::flag)
                o.store_flag();
            else
                for (const auto& text : values_[i]) store_value(o, text);
        }
    }

private:
    // "-" is standard input and "-5" a number, unless the table has a -5.
    bool looks_like_option(std::string_view arg) const {
        if (arg.size() < 2 || arg[0] != '-') return false;
        if (std::isdigit(static_cast<unsigned char>(arg[1])) || arg[1] == '.')
            return find(arg.substr(0, 2)) != nullptr;
        return true;
    }

    const Option* find(std::string_view name) const {
        for (const Option& o : options_)
            if (!o.is_positional() && o.has_name(name)) return &o;
        return nullptr;
    }

    Answer answer_for(std::string_view name) const {
        if (name == "--help" || (name == "-h" && !table_.has_help_long_only())) return Answer::help;
        if (name == "--version") return Answer::version;
        throw unknown(name);
    }

    UsageError unknown(std::string_view name) const {
        std::vector<std::string_view> names = {"--help", "--version"};
        for (const Option& o : options_)
            if (!o.is_positional())
                for (std::string_view all = o.names; !all.empty();) {
                    size_t comma = all.find(',');
                    if (all.starts_with("--")) names.push_back(all.substr(0, comma));
                    all = comma == std::string_view::npos ? "" : all.substr(comma + 1);
                }
        std::string_view guess = name.starts_with("--") ? closest_name(name, names) : "";
        return UsageError(
            std::string(name) + ": unknown option" +
            (guess.empty() ? " (see --help)" : " (did you mean " + std::string(guess) + "?)"));
    }

    Answer long_option(std::string_view arg) {
        size_t eq = arg.find('=');
        std::string_view name = arg.substr(0, eq);
        const Option* o = find(name);
        if (!o) return answer_for(name);
        if (o->kind == Kind::flag) {
            if (eq != std::string_view::npos)
                throw UsageError(o->display_name() + ": takes no value");
            mark(*o);
            return Answer::none;
        }
        if (eq != std::string_view::npos)
            take(*o, arg.substr(eq + 1));
        else
            take_separate(*o);
        return Answer::none;
    }

    Answer short_options(std::string_view arg) {
        for (size_t p = 1; p < arg.size(); ++p) {
            std::string name = {'-', arg[p]};
            const Option* o = find(name);
            if (!o) return answer_for(name);
            if (o->kind == Kind::flag) {
                mark(*o);
                continue;
            }
            if (p + 1 < arg.size())
                take(*o, arg.substr(p + 1));  // -c16
            else
                take_separate(*o);
            break;
        }
        return Answer::none;
    }

    // A value in the next word: any word but `--` or one of the table's long options
    // (`--timeout --json` is a missing value, `-c -1` a negative one). An optional
    // value takes the next word only when it looks like its value, and never where
    // the next word may be the program (`--tag web` is the program web).
    void take_separate(const Option& o) {
        bool has_next = next_ < args_.size();
        std::string_view word = has_next ? args_[next_] : "";
        if (o.optional_value) {
            if (has_next && optional_value_in(o, word)) {
                ++next_;
                take(o, word);
            } else {
                take(o, o.bare);
            }
            return;
        }
        if (!has_next || word == "--" ||
            (word.starts_with("--") && find(word.substr(0, word.find('=')))))
            throw UsageError(o.display_name() + ": missing value (see --help)");
        ++next_;
        take(o, word);
    }

    bool optional_value_in(const Option& o, std::string_view word) const {
        if (table_.has_positionals_at_end() || word.empty() || word[0] == '-') return false;
        if (!o.choices.empty())
            return std::find(o.choices.begin(), o.choices.end(), word) != o.choices.end();
        if (o.kind == Kind::duration)
            return std::isdigit(static_cast<unsigned char>(word[0])) || word[0] == '.';
        return true;
    }

    void take(const Option& o, std::string_view value) {
        if (value.empty() && !o.optional_value)
            throw UsageError(o.display_name() + ": empty value (see --help)");
        size_t i = static_cast<size_t>(&o - options_.data());
        if (seen_[i] && !o.repeatable)
            throw UsageError(o.display_name() + ": given more than once");
        seen_[i] = true;
        if (!o.delimiter) {
            values_[i].emplace_back(value.empty() && o.optional_value ? o.bare : value);
            return;
        }
        for (;;) {
            size_t cut = value.find(o.delimiter);
            values_[i].emplace_back(value.substr(0, cut));
            if (cut == std::string_view::npos) break;
            value.remove_prefix(cut + 1);
        }
    }

    void mark(const Option& o) { seen_[static_cast<size_t>(&o - options_.data())] = true; }

    const OptionTable& table_;
    const std::vector<Option>& options_;
    std::vector<std::vector<std::string>> values_;
    std::vector<bool> seen_;
    std::vector<std::string_view> args_;
    std::vector<std::string> words_;
    size_t next_ = 0;
};

}  // namespace

void set_version_text(std::string text) {
    version_text() = std::move(text);
}

std::optional<int> parse_command_line(std::string_view name, std::string_view summary,
                                      const OptionTable& table, int argc, char** argv) {
    CommandLine line(table, argc, argv);
    switch (line.scan()) {
        case Answer::help:
            write_or_die(STDOUT_FILENO, format_help(name, summary, table, help_width()));
            return exit_code::ok;
        case Answer::version: write_or_die(STDOUT_FILENO, version_text()); return exit_code::ok;
        case Answer::none: break;
    }
    line.store();
    return std::nullopt;
}

}  // namespace ptool::cli
