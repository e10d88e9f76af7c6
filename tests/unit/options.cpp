// The option layer (cli/options.hpp): values arrive typed, each bad value is
// one message `--OPT: why` (the long name, whichever name was typed), an empty value
// is refused unless the value is optional, and the parser's own complaints are ptool's
// words (a did-you-mean for a mistyped name), never a third-party parser's.
#include <signal.h>
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "cli/options.hpp"
#include "libcommon/core/error.hpp"

using namespace ptool;
using namespace std::chrono_literals;

namespace {

enum class Mode { fast, slow };

struct Sample {
    bool verbose = false;
    std::optional<Duration> timeout;
    uint64_t limit = 0;
    int sig = SIGTERM;
    std::optional<uint64_t> cols;
    int level = 3;
    Mode mode = Mode::fast;
    std::vector<std::pair<std::string, std::string>> env;
    std::vector<std::string> tags;
    std::optional<std::string> label;
    bool wait = false;
    std::optional<Duration> wait_for;
    std::string wait_text;
    std::string log, out;
    std::vector<std::string> command;
};

cli::OptionTable sample_table(Sample& s) {
    cli::OptionTable t;
    t.flag("-v,--verbose", "talk", s.verbose);
    t.duration("--timeout", "DUR", "give up after DUR", s.timeout);
    t.size("--limit", "SIZE", "at most SIZE", s.limit);
    t.signal("--signal", "SIG", "send SIG", s.sig);
    t.count("-c,--cols", "N", "columns", s.cols, 256);
    t.integer("--level", "N", "a level", s.level, 1, 9);
    t.choice<Mode>("--mode", "MODE", "fast or slow", s.mode,
                   {{"fast", Mode::fast}, {"slow", Mode::slow}});
    t.assignments("--env", "K=V", "set K=V", s.env);
    t.list("--tag", "T", "a tag", s.tags);
    t.optional_value("--label", "TEXT", "a label; bare: the default", s.label);
    t.duration("--wait", "DUR", "wait, at most DUR", s.wait_for)
        .optional()
        .mark_given(s.wait)
        .keep_text(s.wait_text);
    t.path("--log", "FILE", "log here", s.log);
    t.path("--out", "FILE", "or here", s.out).exclude("--log");
    t.positional("command", "PROGRAM [ARGS...]", s.command);
    t.positionals_at_end();
    return t;
}

// Runs the sample command line; "" when it parsed, else the usage error's text.
std::string parse(Sample& s, std::vector<std::string> args) {
    cli::OptionTable table = sample_table(s);
    args.insert(args.begin(), "sample");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    try {
        auto answered = cli::parse_command_line("sample", "a sample", table,
                                                static_cast<int>(argv.size()), argv.data());
        CHECK_FALSE(answered);
    } catch (const UsageError& e) {
        return e.what();
    }
    return "";
}

std::string error_of(std::vector<std::string> args) {
    Sample s;
    return parse(s, std::move(args));
}

}  // namespace

TEST_CASE("options: values arrive typed") {
    Sample s;
    REQUIRE(parse(s, {"-v",   "--timeout", "250ms", "--limit", "64k",  "--signal",
                      "KILL", "-c",        "010",   "--level", "7",    "--mode",
                      "slow", "--env",     "A=1",   "--env",   "B=",   "--tag",
                      "x",    "--tag",     "y",     "--",      "prog", "--verbose"}) == "");
    CHECK(s.verbose);
    CHECK(s.timeout == Duration(250ms));
    CHECK(s.limit == 64 * 1024);
    CHECK(s.sig == SIGKILL);
    CHECK(s.cols == 10u);
    CHECK(s.level == 7);
    CHECK(s.mode == Mode::slow);
    CHECK(s.env == std::vector<std::pair<std::string, std::string>>{{"A", "1"}, {"B", ""}});
    CHECK(s.tags == std::vector<std::string>{"x", "y"});
    CHECK(s.command == std::vector<std::string>{"prog", "--verbose"});
    CHECK_FALSE(s.label);
    CHECK_FALSE(s.wait);
}

TEST_CASE("options: defaults stay when an option is not given") {
    Sample s;
    REQUIRE(parse(s, {}) == "");
    CHECK_FALSE(s.verbose);
    CHECK_FALSE(s.timeout);
    CHECK(s.sig == SIGTERM);
    CHECK(s.level == 3);
    CHECK(s.mode == Mode::fast);
    CHECK_FALSE(s.cols);
}

TEST_CASE("options: a bad value is one message '--OPT: why' under the long name") {
    CHECK(error_of({"--timeout", "5x"}) ==
          "--timeout: invalid duration '5x' (use e.g. 250ms, 5s, 2m, 1h, 1.5)");
    CHECK(error_of({"--signal", "NOPE"}) ==
          "--signal: invalid signal 'NOPE' (use e.g. TERM, SIGKILL or 9)");
    CHECK(error_of({"--limit", "lots"}) ==
          "--limit: invalid size 'lots' (use e.g. 4096, 64k, 1M, 2G)");
    CHECK(error_of({"-c", "-1"}) == "--cols: '-1' is negative (expected a number from 0 to 256)");
    CHECK(error_of({"--cols", "257"}) == "--cols: '257' is too large (at most 256)");
    CHECK(error_of({"--level", "0"}) == "--level: expected 1..9, got '0'");
    CHECK(error_of({"--mode", "medium"}) == "--mode: expected fast or slow, got 'medium'");
    CHECK(error_of({"--env", "novalue"}) == "--env: expected NAME=VALUE, got 'novalue'");
}

TEST_CASE("options: an empty value is refused, an optional value's bare form is not") {
    CHECK(error_of({"--log", ""}) == "--log: empty value (see --help)");
    CHECK(error_of({"-c", ""}) == "--cols: empty value (see --help)");
    CHECK(error_of({"--env", ""}) == "--env: empty value (see --help)");
    Sample s;
    REQUIRE(parse(s, {"--label", "--wait", "--", "prog"}) == "");
    CHECK(s.label == "");
    CHECK(s.wait);
    CHECK_FALSE(s.wait_for);
    Sample t;
    // A table whose words after the options are a program takes them only after =.
    REQUIRE(parse(t, {"--wait=2s", "--label=L"}) == "");
    CHECK(t.wait);
    CHECK(t.wait_for == Duration(2s));
    CHECK(t.wait_text == "2s");
    CHECK(t.label == "L");
}

TEST_CASE("options: a mistyped option is named, with the closest as git and ripgrep do") {
    CHECK(error_of({"--verbsoe"}) == "--verbsoe: unknown option (did you mean --verbose?)");
    CHECK(error_of({"--timeuot", "1s"}) == "--timeuot: unknown option (did you mean --timeout?)");
    CHECK(error_of({"--no-such-option"}) == "--no-such-option: unknown option (see --help)");
    CHECK(error_of({"-x"}) == "-x: unknown option (see --help)");
    CHECK(error_of({"-vx"}) == "-x: unknown option (see --help)");
}

TEST_CASE("options: structural mistakes are one line in ptool's words") {
    CHECK(error_of({"--log", "a", "--out", "b"}) == "--out: cannot be combined with --log");
    CHECK(error_of({"--timeout"}) == "--timeout: missing value (see --help)");
    CHECK(error_of({"--timeout", "--verbose"}) == "--timeout: missing value (see --help)");
    CHECK(error_of({"--timeout", "1s", "--timeout", "2s"}) == "--timeout: given more than once");
    CHECK(error_of({"--verbose=yes"}) == "--verbose: takes no value");
    CHECK(error_of({"--log="}) == "--log: empty value (see --help)");
    for (const auto& text : {error_of({"--timeout"}), error_of({"--log", "a", "--out", "b"})}) {
        CHECK(text.find("argument") == std::string::npos);
        CHECK(text.find('\n') == std::string::npos);
    }
}

TEST_CASE("options: a repeatable option takes one value each and never the program") {
    Sample s;
    REQUIRE(parse(s, {"--env", "A=1", "--tag", "x", "prog", "arg"}) == "");
    CHECK(s.env == std::vector<std::pair<std::string, std::string>>{{"A", "1"}});
    CHECK(s.tags == std::vector<std::string>{"x"});
    CHECK(s.command == std::vector<std::string>{"prog", "arg"});
}

TEST_CASE("options: values attach as getopt_long reads them") {
    Sample s;
    REQUIRE(parse(s, {"-vc16", "--timeout=2s", "--env=A=1=2", "--", "-prog"}) == "");
    CHECK(s.verbose);
    CHECK(s.cols == 16u);
    CHECK(s.timeout == Duration(2s));
    CHECK(s.env == std::vector<std::pair<std::string, std::string>>{{"A", "1=2"}});
    CHECK(s.command == std::vector<std::string>{"-prog"});
}

TEST_CASE("options: an optional value is not taken from the program's words") {
    Sample s;
    REQUIRE(parse(s, {"--label", "prog"}) == "");
    CHECK(s.label == "");
    CHECK(s.command == std::vector<std::string>{"prog"});
}

TEST_CASE("options: --color alone means always, as ls and grep") {
    struct Colored {
        ColorMode color = ColorMode::automatic;
        std::vector<std::string> files;
    };
    auto parse_color = [](std::vector<std::string> args) {
        Colored c;
        cli::OptionTable t;
        t.color("--color", "color", c.color);
        t.positional("files", "files", c.files);
        args.insert(args.begin(), "sample");
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        cli::parse_command_line("sample", "", t, static_cast<int>(argv.size()), argv.data());
        return c;
    };
    CHECK(parse_color({"--color"}).color == ColorMode::always);
    CHECK(parse_color({"--color", "never"}).color == ColorMode::never);
    CHECK(parse_color({"--color=auto"}).color == ColorMode::automatic);
    Colored bare = parse_color({"--color", "file"});
    CHECK(bare.color == ColorMode::always);
    CHECK(bare.files == std::vector<std::string>{"file"});
}

TEST_CASE("options: a missing or extra positional is named") {
    cli::OptionTable t;
    std::string one;
    t.positional("file", "a file", one).require();
    auto error = [&](std::vector<std::string> args) -> std::string {
        args.insert(args.begin(), "sample");
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        try {
            cli::parse_command_line("sample", "", t, static_cast<int>(argv.size()), argv.data());
        } catch (const UsageError& e) {
            return e.what();
        }
        return "";
    };
    CHECK(error({}) == "missing FILE (see --help)");
    CHECK(error({"a", "b"}) == "unexpected argument 'b' (see --help)");
    CHECK(error({"-"}) == "");
}

TEST_CASE("options: the name messages use is the first long one") {
    cli::Option o;
    o.names = "-c,--cols";
    CHECK(o.display_name() == "--cols");
    o.names = "-H";
    CHECK(o.display_name() == "-H");
    o.names = "command";
    CHECK(o.display_name() == "command");
    CHECK(o.is_positional());
}
