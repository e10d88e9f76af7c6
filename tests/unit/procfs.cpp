// libcommon/procfs: the stat parser and the process table over fake and live /proc.
#include <unistd.h>
#include <catch2/catch.hpp>

#include <algorithm>

#include "../fixtures/fake_procfs.hpp"
#include "libcommon/core/error.hpp"
#include "libcommon/procs/procfs.hpp"
#include "test_support.hpp"

using namespace ptool;
using namespace ptool::test;

namespace {

const ProcessInfo* find_pid(const std::vector<ProcessInfo>& table, pid_t pid) {
    auto it = std::find_if(table.begin(), table.end(),
                           [&](const ProcessInfo& p) { return p.pid == pid; });
    return it == table.end() ? nullptr : &*it;
}

std::vector<FakeProcess> small_table() {
    return {
        {1, 0, 1, "init", argv_bytes({"/sbin/init"})},
        {2, 0, 0, "kthreadd", ""},
        {7, 1, 7, "node", argv_bytes({"node", "app.js"}), {{8, "V8Worker"}, {9, "libuv"}}},
        {12, 1, 12, "we ird) (name", argv_bytes({"x"})},
        {13, 1, 13, "bad", "", {}, -1, 'S', "13 (bad) S 1 13\n"},
        {14, 1, 14, "nostat", ""},
    };
}

}  // namespace

TEST_CASE("parse_stat_line takes comm up to the last parenthesis") {
    std::string line = fake_stat_line(42, "a) b (c", 'R', 7, 9, 3);
    auto st = parse_stat_line(line);
    REQUIRE(st);
    CHECK(st->pid == 42);
    CHECK(st->comm == "a) b (c");
    CHECK(st->state == 'R');
    CHECK(st->ppid == 7);
    CHECK(st->pgid == 9);
    CHECK(st->num_threads == 3);
    CHECK(st->start_time == 1234);
}

TEST_CASE("parse_stat_line keeps spaces and control bytes in comm") {
    std::string line = fake_stat_line(5, " x\ty ", 'S', 1, 5, 1);  // comm points into it
    auto st = parse_stat_line(line);
    REQUIRE(st);
    CHECK(st->comm == " x\ty ");
}

TEST_CASE("parse_stat_line rejects malformed lines") {
    CHECK_FALSE(parse_stat_line(""));
    CHECK_FALSE(parse_stat_line("12 nocomm S 1 1"));
    CHECK_FALSE(parse_stat_line("12 (short) S 1 12\n"));
    CHECK_FALSE(parse_stat_line("12 (x) S one 12 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1 0 5\n"));
    CHECK_FALSE(parse_stat_line("x (x) S 1 12 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1 0 5\n"));
    CHECK_FALSE(parse_stat_line("12 (x)"));
    CHECK_FALSE(parse_stat_line("12 )x( S 1 12 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1 0 5\n"));
}

TEST_CASE("parse_stat_line accepts the shortest line that reaches starttime") {
    auto st = parse_stat_line("12 (x) S 1 12 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1 0 5");
    REQUIRE(st);
    CHECK(st->start_time == 5);
    CHECK(st->num_threads == 1);
}

TEST_CASE("read_process_table reads a fake tree sorted by pid") {
    TempDir dir;
    auto table = small_table();
    build_fake_procfs(dir.path().string(), table);
    std::filesystem::remove(dir / "14/stat");  // a process that vanished mid-scan
    test::write_file(dir / "self", "not a pid");
    ProcReadOptions options;
    options.root = dir.path().string();
    auto procs = read_process_table(options);
    std::vector<pid_t> pids;
    for (const auto& p : procs) pids.push_back(p.pid);
    CHECK(pids == std::vector<pid_t>{1, 2, 7, 12});  // 13 malformed, 14 gone
    const ProcessInfo* node = find_pid(procs, 7);
    REQUIRE(node);
    CHECK(node->comm == "node");
    CHECK(node->ppid == 1);
    CHECK(node->pgid == 7);
    CHECK(node->num_threads == 3);
    CHECK(node->uid == ::geteuid());
    CHECK_FALSE(node->cmdline);
    CHECK(node->threads.empty());
    CHECK(find_pid(procs, 12)->comm == "we ird) (name");
}

TEST_CASE("read_process_table reads cmdline only when asked, up to the limit") {
    TempDir dir;
    build_fake_procfs(dir.path().string(), small_table());
    ProcReadOptions options;
    options.root = dir.path().string();
    options.cmdline = true;
    auto procs = read_process_table(options);
    CHECK(*find_pid(procs, 7)->cmdline == std::string("node\0app.js\0", 12));
    CHECK(find_pid(procs, 2)->cmdline->empty());
    options.cmdline_limit = 6;
    procs = read_process_table(options);
    CHECK(*find_pid(procs, 7)->cmdline == std::string("node\0a", 6));
}

TEST_CASE("read_process_table lists threads with their own names on request") {
    TempDir dir;
    build_fake_procfs(dir.path().string(), small_table());
    ProcReadOptions options;
    options.root = dir.path().string();
    options.threads = true;
    auto procs = read_process_table(options);
    const auto& threads = find_pid(procs, 7)->threads;
    REQUIRE(threads.size() == 2);
    CHECK(threads[0].tid == 8);
    CHECK(threads[0].name == "node");  // the process's name unless thread names are asked for
    CHECK(find_pid(procs, 1)->threads.empty());
    options.thread_names = true;
    procs = read_process_table(options);
    const auto& named = find_pid(procs, 7)->threads;
    REQUIRE(named.size() == 2);
    CHECK(named[0].name == "V8Worker");
    CHECK(named[1].tid == 9);
    CHECK(named[1].name == "libuv");
}

TEST_CASE("read_process_table fails clearly on a missing or empty root") {
    ProcReadOptions options;
    options.root = "/nonexistent-ptool-proc";
    CHECK_THROWS_WITH(read_process_table(options),
                      "/nonexistent-ptool-proc: No such file or directory");
    TempDir dir;
    options.root = dir.path().string();
    CHECK_THROWS_AS(read_process_table(options), Error);
}

TEST_CASE("read_process_table finds this test process in the live /proc") {
    ProcReadOptions options;
    options.cmdline = true;
    options.threads = true;
    auto procs = read_process_table(options);
    const ProcessInfo* self = find_pid(procs, ::getpid());
    REQUIRE(self);
    CHECK(self->ppid == ::getppid());
    CHECK(self->pgid == ::getpgrp());
    CHECK(self->state == 'R');
    CHECK(self->uid == ::geteuid());
    CHECK(self->cmdline->find("unit_procfs") != std::string::npos);
    CHECK(self->comm == std::string("unit_procfs").substr(0, 15));
    CHECK(std::is_sorted(procs.begin(), procs.end(),
                         [](const auto& a, const auto& b) { return a.pid < b.pid; }));
}
