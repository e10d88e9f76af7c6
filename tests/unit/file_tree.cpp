// libcommon/file_tree: the order hashfile -r visits files in, and what it skips.
#include "tools/hashfile/file_tree.hpp"

#include <sys/stat.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <filesystem>

#include "test_support.hpp"

using namespace ptool;
namespace fs = std::filesystem;

namespace {
std::vector<std::string> paths(const std::vector<TreeItem>& items) {
    std::vector<std::string> out;
    for (const auto& i : items) out.push_back(i.path);
    return out;
}
}  // namespace

TEST_CASE("list_file_tree walks depth first with each directory in byte order") {
    test::TempDir d;
    fs::create_directories(d / "t/B/deep");
    fs::create_directories(d / "t/a");
    for (const char* f : {"t/z", "t/B/deep/x", "t/B/y", "t/a/1", "t/C", "t/\xc3\xa9"})
        test::write_file(d / f, "x");
    std::string t = d / "t";
    CHECK(paths(list_file_tree({t})) == std::vector<std::string>{t + "/B/deep/x", t + "/B/y",
                                                                 t + "/C", t + "/a/1", t + "/z",
                                                                 t + "/\xc3\xa9"});
}

TEST_CASE("list_file_tree keeps non-directory roots as given") {
    test::TempDir d;
    test::write_file(d / "f", "x");
    CHECK(paths(list_file_tree({d / "f", "-", d / "missing"})) ==
          std::vector<std::string>{d / "f", "-", d / "missing"});
}

TEST_CASE("list_file_tree follows links to files but not to directories or FIFOs") {
    test::TempDir d;
    fs::create_directories(d / "t/sub");
    test::write_file(d / "t/sub/f", "x");
    test::write_file(d / "outside", "y");
    fs::create_symlink(d / "outside", d / "t/link-file");
    fs::create_directory_symlink(d / "t", d / "t/sub/loop");
    REQUIRE(::mkfifo((d / "t/fifo").c_str(), 0600) == 0);
    std::string t = d / "t";
    CHECK(paths(list_file_tree({t})) == std::vector<std::string>{t + "/link-file", t + "/sub/f"});
}

TEST_CASE("list_file_tree does not double a trailing slash") {
    test::TempDir d;
    fs::create_directories(d / "t");
    test::write_file(d / "t/f", "x");
    CHECK(paths(list_file_tree({d / "t/"})) == std::vector<std::string>{d / "t/f"});
}
