// The Debian package as a user meets it (label `package`): cpack builds the .deb from
// this build tree, dpkg installs it on this machine, ptool and its man pages work from
// /usr, and dpkg removes it again. Needs root and dpkg; skipped with a message otherwise,
// and when a ptool package is already installed (never replaced by a test's).
#include <unistd.h>
#include <catch2/catch.hpp>

#include <filesystem>

#include "test_support.hpp"

using namespace ptool::test;
namespace fs = std::filesystem;

namespace {

bool have(const std::string& program) {
    return run({"sh", "-c", "command -v " + program}).status == 0;
}

// Why this machine cannot run the test, or "" when it can.
std::string cannot_install() {
    if (::geteuid() != 0) return "not root";
    for (const char* tool : {"dpkg", "dpkg-deb", "cpack", "man"})
        if (!have(tool)) return std::string(tool) + " is not installed";
    auto status = run({"dpkg-query", "-W", "-f=${Status}", "ptool"});
    if (status.out.find("installed") != std::string::npos) return "a ptool package is installed";
    return {};
}

// Builds the package from the build tree of the ptool under test into `out`.
std::string build_deb(const TempDir& out) {
    std::string build = fs::path(ptool_bin()).parent_path().string();
    RunOptions o;
    o.cwd = build;
    o.timeout = std::chrono::minutes(4);
    auto r = run(
        {"cpack", "-G", "DEB", "-B", out.path().string(), "--config", build + "/CPackConfig.cmake"},
        o);
    INFO(r.out << r.err);
    REQUIRE(r.status == 0);
    for (const auto& e : fs::directory_iterator(out.path()))
        if (e.path().extension() == ".deb") return e.path().string();
    FAIL("cpack wrote no .deb");
    return {};
}

}  // namespace

TEST_CASE("the .deb installs ptool with its man pages and docs, and removes cleanly") {
    if (auto why = cannot_install(); !why.empty()) {
        WARN("package test skipped: " << why);
        return;
    }
    TempDir out;
    std::string deb = build_deb(out);

    auto fields = run({"dpkg-deb", "-f", deb, "Package", "Depends"});
    CHECK(fields.out.find("Package: ptool\n") != std::string::npos);
    auto contents = run({"dpkg-deb", "-c", deb});
    for (const char* path :
         {"./usr/bin/ptool", "./usr/share/man/man1/ptool-hashfile.1.gz",
          "./usr/share/doc/ptool/copyright", "./usr/share/doc/ptool/changelog.gz",
          "./usr/share/bash-completion/completions/ptool",
          "./usr/share/zsh/vendor-completions/_ptool",
          "./usr/share/fish/vendor_completions.d/ptool.fish"})
        CHECK(contents.out.find(path) != std::string::npos);
    CHECK(contents.out.find("./usr/bin/pstree") == std::string::npos);

    auto install = run({"dpkg", "-i", deb});
    INFO(install.out << install.err);
    REQUIRE(install.status == 0);
    auto version = run({"/usr/bin/ptool", "--version"});
    auto man = run({"man", "-w", "ptool-hashfile"});
    auto remove = run({"dpkg", "-r", "ptool"});

    CHECK(version.status == 0);
    CHECK(version.out.rfind("ptool ", 0) == 0);
    CHECK(version.out.find("OpenSSL ") != std::string::npos);
    CHECK(man.out == "/usr/share/man/man1/ptool-hashfile.1.gz\n");
    CHECK(remove.status == 0);
    CHECK_FALSE(fs::exists("/usr/bin/ptool"));
}
