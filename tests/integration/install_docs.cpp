// What is installed beside the binary reads as a user expects: every page in man/
// renders without a groff warning and has an ENVIRONMENT section, and the README
// points into the repository (the man pages), never to a file outside it.
#include <catch2/catch.hpp>

#include <filesystem>

#include "test_support.hpp"

using namespace ptool::test;
namespace fs = std::filesystem;

TEST_CASE("every man page renders without groff warnings and has an ENVIRONMENT section") {
    size_t pages = 0;
    for (const auto& e : fs::directory_iterator(source_dir() + "/man")) {
        if (e.path().extension() != ".1") continue;
        ++pages;
        INFO(e.path());
        auto r = run({"groff", "-man", "-ww", "-z", "-Tutf8", e.path().string()});
        CHECK(r.status == 0);
        CHECK(r.err.empty());
        CHECK(read_file(e.path()).find("\n.SH ENVIRONMENT\n") != std::string::npos);
    }
    CHECK(pages >= 2);
}

TEST_CASE("the README sends readers to the man pages, not outside the repository") {
    std::string readme = read_file(source_dir() + "/README.md");
    CHECK(readme.find("man/ptool.1") != std::string::npos);
    CHECK(readme.find("../") == std::string::npos);
    CHECK(readme.find("SPEC") == std::string::npos);
}
