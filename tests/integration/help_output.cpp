// --help as users meet it: ptool's own formatter from the option tables, wrapped to
// the terminal (80 columns when not one, $COLUMNS honoured), one metavar per kind,
// grouped, ending with examples; `ptool help CMD` is the same text and
// `ptool help CMD --man` opens the man page.
#include <sys/stat.h>
#include <catch2/catch.hpp>

#include <sstream>

#include "test_support.hpp"

using namespace ptool::test;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

std::vector<std::string> listed_tools() {
    return lines_of(run_ptool({"--list"}).out);
}

}  // namespace

TEST_CASE("help: ptool help CMD prints what ptool CMD --help prints") {
    for (const auto& name : listed_tools()) {
        CAPTURE(name);
        auto help = run_ptool({"help", name});
        auto flag = run_ptool({name, "--help"});
        CHECK(help.status == 0);
        CHECK(flag.status == 0);
        CHECK(help.out == flag.out);
        CHECK(help.out.rfind("Usage: ptool " + name + " [OPTIONS]", 0) == 0);
    }
}

TEST_CASE("help: fits 80 columns off a terminal and $COLUMNS when set") {
    for (const auto& name : listed_tools()) {
        CAPTURE(name);
        for (size_t width : {80, 60}) {
            RunOptions opts;
            if (width != 80) opts.env["COLUMNS"] = std::to_string(width);
            bool examples = false;
            for (const auto& line : lines_of(run_ptool({name, "--help"}, opts).out)) {
                CAPTURE(width, line);
                if (line == "Examples:") examples = true;
                // A command line in the examples is never cut; the rest wraps.
                if (!examples || !line.starts_with("  ptool ")) CHECK(line.size() <= width);
            }
            CHECK(examples);
        }
    }
}

TEST_CASE("help: metavars name the kind, never a parser's type names") {
    for (const auto& name : listed_tools()) {
        CAPTURE(name);
        std::string out = run_ptool({name, "--help"}).out;
        for (const char* word : {" TEXT", "INT", ":POSITIVE", "UINT", "[Option", "Excludes"})
            CHECK(out.find(word) == std::string::npos);
    }
    std::string hashfile = run_ptool({"hashfile", "--help"}).out;
    CHECK(hashfile.find("  -j, --jobs N ") != std::string::npos);
    CHECK(hashfile.find("  -a, --algo ALGO ") != std::string::npos);
    std::string spawn = run_ptool({"spawn", "--help"}).out;
    CHECK(spawn.find("      --timeout DUR ") != std::string::npos);
    CHECK(spawn.find("      --kill-signal SIG ") != std::string::npos);
    CHECK(spawn.find("      --uid USER ") != std::string::npos);
    CHECK(spawn.find("      --env K=V ") != std::string::npos);
    CHECK(spawn.find("      --tag[=PREFIX] ") != std::string::npos);
    CHECK(run_ptool({"bufdump", "--help"}).out.find("      --color[=WHEN] ") != std::string::npos);
}

TEST_CASE("help: options are grouped under headings and the help ends with examples") {
    std::string hashfile = run_ptool({"hashfile", "--help"}).out;
    auto at = [&](const std::string& text) { return hashfile.find(text); };
    CHECK(at("\nOptions:\n") < at("\nChecking (-c):\n"));
    CHECK(at("\nChecking (-c):\n") < at("  -c, --check"));
    CHECK(at("  -c, --check") < at("\nExamples:\n"));
    CHECK(run_ptool({"spawn", "--help"}).out.find("\nTime limits:\n") != std::string::npos);
    for (const auto& name : listed_tools()) {
        CAPTURE(name);
        std::string out = run_ptool({name, "--help"}).out;
        size_t examples = out.find("\nExamples:\n");
        REQUIRE(examples != std::string::npos);
        size_t count = 0;
        for (const auto& line : lines_of(out.substr(examples)))
            if (line.starts_with("  ptool " + name + " ") ||
                line.find("| ptool " + name) != std::string::npos)
                ++count;
        CHECK(count >= 2);
        CHECK(count <= 3);
    }
}

TEST_CASE("help: ptool help lists the commands and suggests for an unknown one") {
    auto r = run_ptool({"help"});
    CHECK(r.status == 0);
    for (const auto& name : listed_tools())
        CHECK(r.out.find("  " + name + " ") != std::string::npos);
    auto typo = run_ptool({"help", "hsahfile"});
    CHECK(typo.status == 2);
    CHECK(typo.err == "ptool: unknown command 'hsahfile' (did you mean 'hashfile'?)\n");
}

TEST_CASE("help: ptool help CMD --man runs man ptool-CMD") {
    TempDir dir;
    std::string man = dir / "man";
    write_file(man, "#!/bin/sh\necho \"man $*\"\n");
    REQUIRE(chmod(man.c_str(), 0755) == 0);
    RunOptions opts;
    opts.env["PATH"] = dir.path().string() + ":/usr/bin:/bin";
    auto r = run_ptool({"help", "hashfile", "--man"}, opts);
    CHECK(r.status == 0);
    CHECK(r.out == "man ptool-hashfile\n");
    opts.env["PATH"] = dir / "empty";
    auto missing = run_ptool({"help", "pstree", "--man"}, opts);
    CHECK(missing.status == 127);
    CHECK(missing.err == "ptool: man: No such file or directory\n");
}
