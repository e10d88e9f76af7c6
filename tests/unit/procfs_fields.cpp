// libcommon/procs: the stat fields pstree --json reports (session, tty, CPU, RSS),
// the ns/ links and attr/current, over fake procfs trees and the live /proc.
#include <fcntl.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

#include "../fixtures/fake_procfs.hpp"
#include "libcommon/core/fd.hpp"
#include "libcommon/procs/procfs.hpp"
#include "test_support.hpp"

using namespace ptool;
using namespace ptool::test;

TEST_CASE("parse_stat_line reads session, tty, CPU times and RSS") {
    auto st = parse_stat_line(
        "42 (a b) S 7 9 11 34817 -1 4194560 0 0 0 0 250 125 0 0 20 0 3 0 5000 1000 77 0 0\n");
    REQUIRE(st);
    CHECK(st->sid == 11);
    CHECK(st->tty_nr == 34817);
    CHECK(st->utime == 250);
    CHECK(st->stime == 125);
    CHECK(st->num_threads == 3);
    CHECK(st->start_time == 5000);
    CHECK(st->rss == 77);
}

TEST_CASE("parse_stat_line leaves RSS at 0 when the line stops at starttime") {
    auto st = parse_stat_line("12 (x) S 1 12 12 0 0 0 0 0 0 0 0 0 0 0 0 0 1 0 5");
    REQUIRE(st);
    CHECK(st->rss == 0);
    CHECK(st->sid == 12);
}

TEST_CASE("read_namespace_inode takes the number from the link and 0 otherwise") {
    TempDir dir;
    std::filesystem::create_directories(dir / "7/ns");
    std::filesystem::create_symlink("net:[4026531840]", dir / "7/ns/net");
    std::filesystem::create_symlink("garbage", dir / "7/ns/uts");
    std::filesystem::create_symlink("ipc:[12x]", dir / "7/ns/ipc");
    UniqueFd root = open_file(dir.path().string(), O_RDONLY | O_DIRECTORY);
    CHECK(read_namespace_inode(root.get(), 7, 3) == 4026531840u);  // net
    CHECK(read_namespace_inode(root.get(), 7, 6) == 0);            // uts: no "type:[N]"
    CHECK(read_namespace_inode(root.get(), 7, 1) == 0);            // ipc: not a number
    CHECK(read_namespace_inode(root.get(), 7, 2) == 0);            // mnt: missing
    CHECK(read_namespace_inode(root.get(), 8, 3) == 0);            // no such process
}

TEST_CASE("read_process_table reads ns links and attr/current only when asked") {
    TempDir dir;
    build_fake_procfs(dir.path().string(),
                      {{1, 0, 1, "init", argv_bytes({"init"}), {{2, "worker"}}}});
    std::filesystem::create_directories(dir / "1/ns");
    std::filesystem::create_directories(dir / "1/attr");
    std::filesystem::create_directories(dir / "1/task/2/attr");
    std::filesystem::create_symlink("pid:[99]", dir / "1/ns/pid");
    std::filesystem::create_symlink("time:[77]", dir / "1/ns/time");
    write_file(dir / "1/attr/current", "unconfined\nsecond line\n");
    write_file(dir / "1/task/2/attr/current", "no newline");
    ProcReadOptions options;
    options.root = dir.path().string();
    options.threads = true;
    auto plain = read_process_table(options);
    REQUIRE(plain.size() == 1);
    CHECK(plain[0].namespaces == NamespaceInodes{});
    CHECK(plain[0].security_context.empty());
    options.namespaces = 1u << 4;  // pid only
    options.security_context = true;
    auto table = read_process_table(options);
    REQUIRE(table.size() == 1);
    CHECK(table[0].namespaces[4] == 99);
    CHECK(table[0].namespaces[7] == 0);  // time not asked for
    CHECK(table[0].sid == 1);
    // psmisc's rule: the first line less its last byte
    CHECK(table[0].security_context == "unconfined");
    REQUIRE(table[0].threads.size() == 1);
    CHECK(table[0].thread_security_contexts == std::vector<std::string>{"no newlin"});
}

TEST_CASE("read_process_table gives this process its own session and namespaces") {
    ProcReadOptions options;
    options.namespaces = (1u << kNamespaceTypes) - 1;
    auto table = read_process_table(options);
    auto self = std::find_if(table.begin(), table.end(),
                             [](const ProcessInfo& p) { return p.pid == ::getpid(); });
    REQUIRE(self != table.end());
    CHECK(self->sid == ::getsid(0));
    CHECK(self->rss_pages > 0);
    for (size_t type = 0; type < kNamespaceTypes; ++type) {
        auto link =
            std::filesystem::read_symlink("/proc/self/ns/" + std::string(kNamespaceNames[type]));
        CHECK(link.string() == std::string(kNamespaceNames[type]) + ":[" +
                                   std::to_string(self->namespaces[type]) + "]");
    }
}

TEST_CASE("read_process_table takes RSS from statm's resident pages with exact_rss") {
    TempDir dir;
    build_fake_procfs(dir.path().string(),
                      {{1, 0, 1, "init", argv_bytes({"init"})}, {2, 0, 0, "kthreadd", ""}});
    write_file(dir / "1/statm", "2250 308 200 10 0 150 0\n");
    write_file(dir / "2/statm", "0 0 0 0 0 0 0\n");
    ProcReadOptions options;
    options.root = dir.path().string();
    options.exact_rss = true;
    auto table = read_process_table(options);
    REQUIRE(table.size() == 2);
    CHECK(table[0].rss_kb == 308 * uint64_t(::sysconf(_SC_PAGESIZE)) / 1024);
    CHECK(table[1].rss_kb == 0);  // a kernel thread has no memory of its own
}
