// Issue 9 §4: an empty option value is a usage error (exit 2) for every value-taking
// option of every subcommand, as runuser, setpriv and timeout do. Found from each
// subcommand's --help, so an option added later is covered without a new line here.
#include <catch2/catch.hpp>

#include <regex>
#include <sstream>

#include "test_support.hpp"

using namespace ptool::test;

namespace {

// Options whose value is optional: the bare form has a documented meaning.
bool optional_value(const std::string& name) {
    return name == "--tag" || name == "--wait" || name == "--color" || name == "--shell";
}

struct ValueOption {
    std::string command, name;
};

std::vector<ValueOption> value_options() {
    std::vector<ValueOption> out;
    std::istringstream commands(run_ptool({"--list"}).out);
    std::string command;
    // "  -j, --jobs N   help" / "      --cwd DIR   help": names, then a value name
    // (a flag's help is two spaces away; an optional value reads "--tag[=PREFIX]").
    std::regex line(R"(^  (?:-[^ -], |    )?(--?[a-z0-9][^ =\[]*) ([A-Z][^ ]*)( |$))");
    while (std::getline(commands, command)) {
        std::istringstream help(run_ptool({command, "--help"}).out);
        std::string text;
        while (std::getline(help, text)) {
            std::smatch m;
            if (!std::regex_search(text, m, line)) continue;
            std::string name = m[1];  // the long name
            if (!optional_value(name)) out.push_back({command, name});
        }
    }
    return out;
}

}  // namespace

TEST_CASE("every value-taking option of every subcommand rejects an empty value with 2") {
    auto options = value_options();
    REQUIRE(options.size() > 40);  // the table was read
    for (const auto& option : options) {
        CAPTURE(option.command, option.name);
        auto r = run_ptool({option.command, option.name, ""});
        CHECK(r.status == 2);
        CHECK(r.out.empty());
        CHECK(r.err ==
              "ptool " + option.command + ": " + option.name + ": empty value (see --help)\n");
        if (option.name.rfind("--", 0) != 0) continue;
        // "--name=" is an empty value too.
        auto joined = run_ptool({option.command, option.name + "="});
        CHECK(joined.status == 2);
        CHECK(joined.err.rfind("ptool " + option.command + ": " + option.name + ": ", 0) == 0);
    }
}

TEST_CASE("spawn --uid '' and daemonize --user '' refuse instead of running as root") {
    auto spawn = run_ptool({"spawn", "--uid", "", "--", "id", "-u"});
    CHECK(spawn.status == 2);
    CHECK(spawn.out.empty());
    TempDir dir;
    auto daemon = run_ptool({"daemonize", "--user", "", "--log", dir / "log", "--", "id", "-u"});
    CHECK(daemon.status == 2);
    CHECK(daemon.out.empty());
}

TEST_CASE("options whose value is optional keep their bare form") {
    auto r = run_ptool({"spawn", "--tag", "--", "echo", "hi"});
    CHECK(r.status == 0);
    CHECK(r.out.find("] hi\n") != std::string::npos);
}
