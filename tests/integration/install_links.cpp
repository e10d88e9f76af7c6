// Installing ptool as a distribution would: `ptool --install DIR` and `cmake --install`
// with DESTDIR make relative links (`spawn -> ptool`) that survive the tree being moved;
// by default only bin/ptool, the man pages and the docs are installed.
#include <unistd.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

#include "test_support.hpp"

using namespace ptool::test;
namespace fs = std::filesystem;

namespace {

// How many subcommands `ptool --list` names.
size_t tool_count() {
    auto r = run_ptool({"--list"});
    REQUIRE(r.status == 0);
    return static_cast<size_t>(std::count(r.out.begin(), r.out.end(), '\n'));
}

// The build tree holding the ptool under test (cmake_install.cmake is there).
std::string build_dir() {
    return fs::path(ptool_bin()).parent_path().string();
}

std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    return names;
}

RunResult cmake_install(const std::string& destdir, bool links) {
    RunOptions o;
    o.env["DESTDIR"] = destdir;
    std::vector<std::string> argv = {"cmake", "-DCMAKE_INSTALL_PREFIX=/usr"};
    if (links) argv.push_back("-DPTOOL_INSTALL_LINKS=ON");
    argv.insert(argv.end(), {"-P", build_dir() + "/cmake_install.cmake"});
    return run(argv, o);
}

}  // namespace

TEST_CASE("ptool --install links are relative to the directory and survive a move") {
    TempDir dir;
    fs::create_directories(dir.path() / "usr/bin");
    fs::create_directories(dir.path() / "usr/libexec/ptool");
    fs::copy_file(ptool_bin(), dir.path() / "usr/bin/ptool");
    std::string ptool = dir / "usr/bin/ptool";
    REQUIRE(run({ptool, "--install", dir / "usr/bin"}).status == 0);
    REQUIRE(run({ptool, "--install", dir / "usr/libexec/ptool"}).status == 0);
    auto names = names_in(dir.path() / "usr/libexec/ptool");
    CHECK(names.size() == tool_count());
    CHECK(names_in(dir.path() / "usr/bin").size() == tool_count() + 1);
    for (const auto& name : names) {
        INFO(name);
        CHECK(fs::read_symlink(dir.path() / "usr/bin" / name) == "ptool");
        CHECK(fs::read_symlink(dir.path() / "usr/libexec/ptool" / name) == "../../bin/ptool");
    }
    fs::path moved = dir.path() / "moved";
    fs::rename(dir.path() / "usr", moved);
    auto help = run({(moved / "libexec/ptool/pstree").string(), "--help"});
    CHECK(help.status == 0);
    CHECK(help.out.find("ptool pstree") != std::string::npos);
}

TEST_CASE("ptool --install through a symlinked directory links relative to the real one") {
    TempDir dir;
    fs::create_directories(dir.path() / "real/bin");
    fs::copy_file(ptool_bin(), dir.path() / "real/bin/ptool");
    fs::create_directory_symlink("real/bin", dir.path() / "alias");
    REQUIRE(run({dir / "real/bin/ptool", "--install", dir / "alias"}).status == 0);
    CHECK(fs::read_symlink(dir.path() / "real/bin/spawn") == "ptool");
}

TEST_CASE("cmake --install with DESTDIR installs ptool alone in bin, with its pages and docs") {
    TempDir stage;
    auto r = cmake_install(stage.path().string(), false);
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(names_in(stage.path() / "usr/bin") == std::vector<std::string>{"ptool"});
    auto pages = names_in(stage.path() / "usr/share/man/man1");
    CHECK(pages.size() == tool_count() + 1);  // ptool.1.gz and one ptool-CMD.1.gz each
    CHECK(std::count(pages.begin(), pages.end(), "ptool.1.gz") == 1);
    CHECK(fs::exists(stage.path() / "usr/share/doc/ptool/copyright"));
    CHECK(fs::exists(stage.path() / "usr/share/doc/ptool/changelog.gz"));
    auto man = run({"man", "-M", stage / "usr/share/man", "-w", "ptool-pstree"});
    CHECK(man.out == stage / "usr/share/man/man1/ptool-pstree.1.gz\n");
}

TEST_CASE(
    "cmake --install with PTOOL_INSTALL_LINKS=ON adds relative links, never DESTDIR in them") {
    TempDir stage;
    auto r = cmake_install(stage.path().string(), true);
    INFO(r.err);
    REQUIRE(r.status == 0);
    auto names = names_in(stage.path() / "usr/bin");
    CHECK(names.size() == tool_count() + 1);
    for (const auto& name : names) {
        INFO(name);
        if (name != "ptool") CHECK(fs::read_symlink(stage.path() / "usr/bin" / name) == "ptool");
    }
    CHECK(fs::exists(stage.path() / "usr/bin/pstree"));
}
