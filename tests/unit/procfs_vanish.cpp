// libcommon/procs: which failed reads after a process's stat mean "it exited,
// leave it out" and which mean "that file is not there, report 0": a snapshot
// without statm or some ns/ links keeps its processes, a live zombie keeps its
// row with the namespaces it still has.
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

#include "../fixtures/fake_procfs.hpp"
#include "libcommon/procs/procfs.hpp"
#include "test_support.hpp"

using namespace ptool;
using namespace ptool::test;

TEST_CASE("read_process_table keeps a snapshot's process that lacks statm and ns links") {
    TempDir dir;
    build_fake_procfs(dir.path().string(), {{1, 0, 1, "init", argv_bytes({"init"})},
                                            {2, 1, 2, "sh", argv_bytes({"sh"})}});
    std::filesystem::create_directories(dir / "2/ns");
    std::filesystem::create_symlink("net:[4026531840]", dir / "2/ns/net");
    ProcReadOptions options;
    options.root = dir.path().string();
    options.exact_rss = true;
    options.namespaces = (1u << kNamespaceTypes) - 1;
    options.cmdline = true;
    auto table = read_process_table(options);
    REQUIRE(table.size() == 2);
    CHECK(table[0].rss_kb == 0);
    CHECK(table[0].namespaces == NamespaceInodes{});
    CHECK(table[1].namespaces[3] == 4026531840u);  // net
    CHECK(table[1].namespaces[0] == 0);            // cgroup: not in the snapshot
}

TEST_CASE("read_process_table lists a zombie with the namespaces it still has") {
    pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    REQUIRE(child > 0);
    // a zombie until reaped below: wait for its state to say so
    REQUIRE(wait_until([&] {
        std::string stat = ptool::test::read_file("/proc/" + std::to_string(child) + "/stat");
        return stat.find(") Z ") != std::string::npos;
    }));
    ProcReadOptions options;
    options.exact_rss = true;
    options.namespaces = (1u << kNamespaceTypes) - 1;
    auto table = read_process_table(options);
    ::waitpid(child, nullptr, 0);
    auto zombie = std::find_if(table.begin(), table.end(),
                               [&](const ProcessInfo& p) { return p.pid == child; });
    REQUIRE(zombie != table.end());
    CHECK(zombie->state == 'Z');
    // the kernel keeps a zombie's pid and user namespaces (its pid's, its creds');
    // the others went with its nsproxy
    auto self = std::find_if(table.begin(), table.end(),
                             [&](const ProcessInfo& p) { return p.pid == ::getpid(); });
    REQUIRE(self != table.end());
    for (size_t type = 0; type < kNamespaceTypes; ++type) {
        INFO(kNamespaceNames[type]);
        bool kept = kNamespaceNames[type] == "pid" || kNamespaceNames[type] == "user";
        CHECK(zombie->namespaces[type] == (kept ? self->namespaces[type] : 0));
    }
    CHECK(zombie->rss_kb == 0);
}
