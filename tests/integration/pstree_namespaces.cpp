// ptool pstree's namespace and container options against psmisc 23.6 pstree:
// -N TYPE, -S, -Z and -C age, run by both inside a pid namespace of the test's
// own (unshare --pid --mount-proc, entered with nsenter), so the whole tree from
// pid 1 is a fixed set of sleeping processes in namespaces of every type; and -C
// age's three colours over a fake procfs bind-mounted on /proc. Needs root.
#include <unistd.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

#include "../fixtures/fake_procfs.hpp"
#include "pstree_session.hpp"
#include "test_support.hpp"

using namespace ptool::test;

namespace {

size_t count_of(const std::string& text, const std::string& word) {
    size_t n = 0;
    for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) ++n;
    return n;
}

// Root and unshare(1) are needed: without them the cases say so and pass nothing.
bool can_unshare() {
    if (::geteuid() != 0) {
        WARN("skipped: needs root to make namespaces (id -u is " << ::geteuid() << ")");
        return false;
    }
    if (run({"unshare", "--pid", "--fork", "--mount-proc", "true"}).status != 0) {
        WARN("skipped: unshare --pid --fork --mount-proc fails here");
        return false;
    }
    return true;
}

// The namespace's pid 1 as the host sees it: the child of `unshare` (0 until forked).
int init_pid(const Session& unshare) {
    auto r = run({"pgrep", "-P", std::to_string(unshare.pid())});
    return r.status == 0 ? std::stoi(r.out) : 0;
}

// Symlinks to sleep under names of their own: each process of the tree shows its
// namespace in its name.
const std::vector<std::string> kSleepNames{"plain",    "netsleep", "utssleep",  "ipcsleep",
                                           "mntsleep", "cgsleep",  "usersleep", "timesleep",
                                           "pidsleep", "nowsleep"};

std::string namespace_script(const TempDir& dir) {
    for (const auto& name : kSleepNames) std::filesystem::create_symlink("/bin/sleep", dir / name);
    return "./plain 60 & ./plain 60 & "
           "unshare --net ./netsleep 60 & unshare --net ./plain 60 & "
           "unshare --uts ./utssleep 60 & unshare --ipc ./ipcsleep 60 & "
           "unshare --mount ./mntsleep 60 & unshare --cgroup ./cgsleep 60 & "
           "unshare --user ./usersleep 60 & unshare --time --fork ./timesleep 60 & "
           "unshare --pid --fork ./pidsleep 60 & "
           "unshare --net --uts sh -c './plain 60 & ./plain 60 & ./nowsleep 60 & wait' & "
           "wait";
}

// Waits until every sleeper of namespace_script runs under its own name.
void wait_for_namespace_tree(int init) {
    bool ok = wait_until(
        [&] {
            auto r = run({"pstree", "-l", "-c", std::to_string(init)});
            for (const auto& name : kSleepNames)
                if (r.out.find(name) == std::string::npos) return false;
            return count_of(r.out, "plain") == 5 && count_of(r.out, "unshare") == 2;
        },
        std::chrono::seconds(10));
    REQUIRE(ok);
}

// psmisc and ptool run with `args` inside the namespaces of `init`.
void compare_in_namespace(int init, const std::vector<std::string>& args,
                          const std::string& columns) {
    RunOptions options;
    options.env["COLUMNS"] = columns;
    options.env["TERM"] = "dumb";
    std::vector<std::string> enter{"nsenter", "-t", std::to_string(init), "-p", "-m", "--"};
    std::vector<std::string> peer = enter, ours = enter;
    peer.push_back("pstree");
    ours.insert(ours.end(), {ptool_bin(), "pstree"});
    peer.insert(peer.end(), args.begin(), args.end());
    ours.insert(ours.end(), args.begin(), args.end());
    auto theirs = run(peer, options);
    auto mine = run(ours, options);
    INFO("options: " << Catch::Detail::stringify(args) << " COLUMNS=" << columns);
    REQUIRE(theirs.status == 0);
    CHECK(mine.err == "");
    CHECK(mine.status == 0);
    CHECK(mine.out == theirs.out);
}

}  // namespace

TEST_CASE("pstree -N, -S, -Z and -C age match psmisc in a pid namespace of sleepers") {
    if (!can_unshare()) return;
    TempDir dir;
    // the namespace dies with its pid 1, which --kill-child takes down with unshare
    Session tree("cd " + shell_quote(dir.path().string()) +
                 " && exec unshare --pid --fork --mount-proc --kill-child sh -c " +
                 shell_quote(namespace_script(dir)));
    int init = 0;
    REQUIRE(wait_until([&] { return (init = init_pid(tree)) > 0; }));
    wait_for_namespace_tree(init);
    const std::vector<std::vector<std::string>> option_sets{{"-N", "cgroup"},
                                                            {"-N", "ipc"},
                                                            {"-N", "mnt"},
                                                            {"-N", "net"},
                                                            {"-N", "pid"},
                                                            {"-N", "time"},
                                                            {"-N", "user"},
                                                            {"-N", "uts"},
                                                            {"-N", "net", "-p"},
                                                            {"-N", "uts", "-a"},
                                                            {"-S"},
                                                            {"-S", "-p"},
                                                            {"-S", "-a"},
                                                            {"-S", "-c"},
                                                            {"-S", "-u", "-g"},
                                                            {"-Z"},
                                                            {"-Z", "-p"},
                                                            {"-Z", "-a"},
                                                            {"-Z", "-S", "-p"},
                                                            {"-C", "age"},
                                                            {"-C", "AGE", "-p"},
                                                            {"-C", "age", "-a"},
                                                            {"-C", "age", "-S"}};
    for (const auto& args : option_sets)
        for (const char* columns : {"132", "30"}) compare_in_namespace(init, args, columns);
}

TEST_CASE("pstree -C age colours by age as psmisc over the same fake procfs") {
    if (!can_unshare()) return;
    TempDir dir;
    auto stat = [](int pid, const std::string& comm, int ppid, long start) {
        return std::to_string(pid) + " (" + comm + ") S " + std::to_string(ppid) + " " +
               std::to_string(pid) + " " + std::to_string(pid) +
               " 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 " + std::to_string(start) + " 0 0\n";
    };
    // uptime 100000 s: ages 10 s (green), 500 s (yellow), about 28 h (red)
    std::vector<FakeProcess> table{
        {1, 0, 1, "init", argv_bytes({"init"}), {}, -1, 'S', stat(1, "init", 0, 1234)},
        {2, 1, 2, "young", argv_bytes({"young", "x"}), {}, -1, 'S', stat(2, "young", 1, 9999000)},
        {3, 1, 3, "middle", argv_bytes({"middle"}), {}, -1, 'S', stat(3, "middle", 1, 9950000)},
        {4, 3, 4, "young", argv_bytes({"young"}), {}, -1, 'S', stat(4, "young", 3, 9999000)},
        {5,
         3,
         5,
         "youngest",
         argv_bytes({"youngest"}),
         {},
         -1,
         'S',
         stat(5, "youngest", 3, 9999000)},
    };
    build_fake_procfs(dir.path().string(), table);
    write_file(dir / "uptime", "100000.00 1.00\n");
    RunOptions options;
    options.env["COLUMNS"] = "132";
    for (std::vector<std::string> args :
         {std::vector<std::string>{"-C", "age"}, {"-C", "age", "-p"}, {"-C", "age", "-a"}}) {
        std::string joined;
        for (const auto& a : args) joined += " " + a;
        auto theirs = run(
            {"unshare", "--mount", "sh", "-c",
             "mount --bind " + shell_quote(dir.path().string()) + " /proc && exec pstree" + joined},
            options);
        args.insert(args.begin(), {"pstree", "--proc", dir.path().string()});
        auto mine = run_ptool(args, options);
        INFO("options:" << joined);
        REQUIRE(theirs.status == 0);
        CHECK(count_of(theirs.out, "\033[31m") == 1);
        CHECK(count_of(theirs.out, "\033[33m") == 1);
        CHECK(mine.status == 0);
        CHECK(mine.out == theirs.out);
    }
}

TEST_CASE("pstree -C with anything but age is a usage error") {
    auto r = run_ptool({"pstree", "-C", "size"});
    CHECK(r.status == 2);
    CHECK(r.out == "");
    CHECK(r.err.find("must be 'age'") != std::string::npos);
}

TEST_CASE("pstree -N with an unknown namespace type is a usage error") {
    auto r = run_ptool({"pstree", "-N", "bogus"});
    CHECK(r.status == 2);
    CHECK(r.out == "");
    CHECK(r.err.rfind("ptool pstree: ", 0) == 0);
}

TEST_CASE("pstree -V prints one version line in psmisc's shape") {
    auto mine = run_ptool({"pstree", "-V"});
    CHECK(mine.status == 0);
    CHECK(mine.err == "");
    CHECK(mine.out.rfind("pstree (ptool) ", 0) == 0);
    CHECK(std::count(mine.out.begin(), mine.out.end(), '\n') == 1);
    // psmisc's first line has the same three words: NAME (PACKAGE) VERSION
    auto theirs = run({"pstree", "-V"});
    REQUIRE(theirs.status == 0);
    std::string first = theirs.err.substr(0, theirs.err.find('\n'));
    CHECK(first.rfind("pstree (PSmisc) ", 0) == 0);
    CHECK(std::count(first.begin(), first.end(), ' ') ==
          std::count(mine.out.begin(), mine.out.end(), ' '));
}
