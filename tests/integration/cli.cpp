// The multi-call binary as a user meets it: dispatch, --list, --install, errors.
#include <sys/stat.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>

#include "test_support.hpp"

using namespace ptool::test;

namespace {
std::vector<std::string> listed_tools() {
    auto r = run_ptool({"--list"});
    REQUIRE(r.status == 0);
    std::vector<std::string> names;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) names.push_back(line);
    REQUIRE_FALSE(names.empty());
    return names;
}
}  // namespace

TEST_CASE("ptool --version prints the version") {
    auto r = run_ptool({"--version"});
    CHECK(r.status == 0);
    CHECK(r.out.rfind("ptool ", 0) == 0);
}

TEST_CASE("ptool --list prints sorted subcommands, one per line") {
    auto names = listed_tools();
    REQUIRE_FALSE(names.empty());
    CHECK(std::is_sorted(names.begin(), names.end()));
}

TEST_CASE("ptool --help lists every subcommand") {
    auto r = run_ptool({"--help"});
    CHECK(r.status == 0);
    for (const auto& name : listed_tools()) CHECK(r.out.find("  " + name) != std::string::npos);
}

TEST_CASE("an unknown command suggests the closest and exits 2") {
    auto names = listed_tools();
    std::string real = names.front();
    std::string typo = real;
    std::swap(typo[1], typo[2]);
    auto r = run_ptool({typo});
    CHECK(r.status == 2);
    CHECK(r.err == "ptool: unknown command '" + typo + "' (did you mean '" + real + "'?)\n");
    CHECK(r.out.empty());
}

TEST_CASE("a command nothing resembles gets no suggestion") {
    auto r = run_ptool({"zzzzzzzzzzzzzz"});
    CHECK(r.status == 2);
    CHECK(r.err == "ptool: unknown command 'zzzzzzzzzzzzzz'\n");
}

TEST_CASE("no arguments prints usage to stderr and exits 2") {
    auto r = run_ptool({});
    CHECK(r.status == 2);
    CHECK(r.err.find("Usage: ptool") != std::string::npos);
}

TEST_CASE("an unknown option of a subcommand is a one-line usage error") {
    for (const auto& name : listed_tools()) {
        INFO(name);
        auto r = run_ptool({name, "--no-such-option-xyz"});
        CHECK(r.status == 2);
        CHECK(r.err.rfind("ptool " + name + ": ", 0) == 0);
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    }
}

TEST_CASE("every subcommand answers --help on stdout") {
    for (const auto& name : listed_tools()) {
        INFO(name);
        auto r = run_ptool({name, "--help"});
        CHECK(r.status == 0);
        CHECK(r.out.find("ptool " + name) != std::string::npos);
    }
}

TEST_CASE("ptool --install makes one working symlink per subcommand") {
    TempDir dir;
    auto r = run_ptool({"--install", dir.path().string()});
    REQUIRE(r.status == 0);
    for (const auto& name : listed_tools()) {
        auto link = dir.path() / name;
        REQUIRE(std::filesystem::is_symlink(link));
        auto help = run({link.string(), "--help"});
        CHECK(help.status == 0);
        CHECK(help.out.find("ptool " + name) != std::string::npos);
    }
}

TEST_CASE("ptool --install refuses to replace without --force, replaces with it") {
    TempDir dir;
    REQUIRE(run_ptool({"--install", dir.path().string()}).status == 0);
    auto again = run_ptool({"--install", dir.path().string()});
    CHECK(again.status == 1);
    CHECK(again.err.find("File exists") != std::string::npos);
    auto forced = run_ptool({"--install", dir.path().string(), "--force"});
    CHECK(forced.status == 0);
    CHECK(forced.err.empty());
}

TEST_CASE("ptool --install into a missing directory reports it") {
    auto r = run_ptool({"--install", "/nonexistent-dir-xyz"});
    CHECK(r.status == 1);
    CHECK(r.err == "ptool: /nonexistent-dir-xyz: No such file or directory\n");  // once
}

TEST_CASE("every built subcommand has a man page that groff renders cleanly") {
    auto names = listed_tools();
    names.push_back("");  // ptool.1 itself
    for (const auto& name : names) {
        std::string page = source_dir() + "/man/ptool" + (name.empty() ? "" : "-" + name) + ".1";
        INFO(page);
        REQUIRE(std::filesystem::exists(page));
        auto r = run({"groff", "-man", "-ww", "-z", "-Tutf8", page});
        CHECK(r.status == 0);
        CHECK(r.err.empty());
    }
}
