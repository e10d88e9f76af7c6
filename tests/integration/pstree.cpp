// ptool pstree as a user meets it: a fixed fake procfs tree (--proc) against
// expected text taken from psmisc 23.6 run over the same tree, bad input, and a
// live subtree of real processes compared byte for byte with psmisc pstree.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "../fixtures/pstree_tree.hpp"
#include "test_support.hpp"

using namespace ptool::test;

namespace {

// Runs ptool pstree over a fresh fake tree built from pstree_fixture().
RunResult run_on_fixture(std::vector<std::string> args, const std::string& columns = "132") {
    TempDir dir;
    build_fake_procfs(dir.path().string(), pstree_fixture());
    args.insert(args.begin(), {"pstree", "--proc", dir.path().string()});
    RunOptions options;
    options.env["COLUMNS"] = columns;
    return run_ptool(args, options);
}

void check_fixture(const std::vector<std::string>& args, const std::string& columns,
                   bool needs_chown, const std::string& expected) {
    // The fake tree's owners are set with chown, which needs root: without it the case
    // fails its precondition rather than pass with nothing compared.
    if (needs_chown) REQUIRE(::geteuid() == 0);
    auto r = run_on_fixture(args, columns);
    CHECK(r.err == "");
    CHECK(r.status == 0);
    CHECK(r.out == expected);
}

}  // namespace

TEST_CASE("pstree over the fake tree compacts identical subtrees and threads") {
    check_fixture({}, "132", false,
                  "init-+-?---orphan\n"
                  "     |-a\n"
                  "     |-caf\\303\\251\n"
                  "     |-esc\\033name\\177\n"
                  "     |-longargs\n"
                  "     |-notrail\n"
                  "     |-nulls\n"
                  "     |-sshd---bash-+-node---3*[{node}]\n"
                  "     |             `-3*[sleep]\n"
                  "     |-we ird) name\n"
                  "     |-3*[worker---sleep]\n"
                  "     `-zzz\n");
}

TEST_CASE("pstree -a shows arguments with psmisc's escaping and kernel threads in parentheses") {
    check_fixture({"-a"}, "132", false,
                  "init splash\n"
                  "  |-?\n"
                  "  |  `-orphan\n"
                  "  |-a\n"
                  "  |-caf\\303\\251\n"
                  "  |-esc\\033name\\177\n"
                  "  |-longargs argument100 argument101 argument102 argument103 argument104 "
                  "argument105 argument106 argument107 argument108 ...\n"
                  "  |-notrail\n"
                  "  |-nulls b\n"
                  "  |-sshd -D\n"
                  "  |   `-bash\n"
                  "  |       |-node server.js --port 8080\n"
                  "  |       |   `-3*[{node}]\n"
                  "  |       |-sleep 60\n"
                  "  |       |-sleep 60\n"
                  "  |       `-sleep 61\n"
                  "  |-we ird) name a b tab\\011here back\\\\slash\n"
                  "  |-worker\n"
                  "  |   `-sleep 1\n"
                  "  |-worker\n"
                  "  |   `-sleep 1\n"
                  "  |-worker\n"
                  "  |   `-sleep 1\n"
                  "  `-zzz\n");
}

TEST_CASE("pstree -p shows pids and disables compaction") {
    check_fixture({"-p"}, "132", false,
                  "init(1)-+-?(99)---orphan(40)\n"
                  "        |-a(50)\n"
                  "        |-caf\\303\\251(23)\n"
                  "        |-esc\\033name\\177(21)\n"
                  "        |-longargs(41)\n"
                  "        |-notrail(43)\n"
                  "        |-nulls(42)\n"
                  "        |-sshd(10)---bash(11)-+-node(15)-+-{node}(16)\n"
                  "        |                     |          |-{node}(17)\n"
                  "        |                     |          `-{node}(18)\n"
                  "        |                     |-sleep(12)\n"
                  "        |                     |-sleep(13)\n"
                  "        |                     `-sleep(14)\n"
                  "        |-we ird) name(20)\n"
                  "        |-worker(30)---sleep(31)\n"
                  "        |-worker(32)---sleep(33)\n"
                  "        |-worker(34)---sleep(35)\n"
                  "        `-zzz(5)\n");
}

TEST_CASE("pstree -a -p puts pids after a comma") {
    check_fixture({"-a", "-p"}, "132", false,
                  "init,1 splash\n"
                  "  |-?,99\n"
                  "  |  `-orphan,40\n"
                  "  |-a,50\n"
                  "  |-caf\\303\\251,23\n"
                  "  |-esc\\033name\\177,21\n"
                  "  |-longargs,41 argument100 argument101 argument102 argument103 argument104 "
                  "argument105 argument106 argument107 argument108 ...\n"
                  "  |-notrail,43\n"
                  "  |-nulls,42 b\n"
                  "  |-sshd,10 -D\n"
                  "  |   `-bash,11\n"
                  "  |       |-node,15 server.js --port 8080\n"
                  "  |       |   |-{node},16\n"
                  "  |       |   |-{node},17\n"
                  "  |       |   `-{node},18\n"
                  "  |       |-sleep,12 60\n"
                  "  |       |-sleep,13 60\n"
                  "  |       `-sleep,14 61\n"
                  "  |-we ird) name,20 a b tab\\011here back\\\\slash\n"
                  "  |-worker,30\n"
                  "  |   `-sleep,31 1\n"
                  "  |-worker,32\n"
                  "  |   `-sleep,33 1\n"
                  "  |-worker,34\n"
                  "  |   `-sleep,35 1\n"
                  "  `-zzz,5\n");
}

TEST_CASE("pstree -c does not compact") {
    check_fixture({"-c"}, "132", false,
                  "init-+-?---orphan\n"
                  "     |-a\n"
                  "     |-caf\\303\\251\n"
                  "     |-esc\\033name\\177\n"
                  "     |-longargs\n"
                  "     |-notrail\n"
                  "     |-nulls\n"
                  "     |-sshd---bash-+-node-+-{node}\n"
                  "     |             |      |-{node}\n"
                  "     |             |      `-{node}\n"
                  "     |             |-sleep\n"
                  "     |             |-sleep\n"
                  "     |             `-sleep\n"
                  "     |-we ird) name\n"
                  "     |-worker---sleep\n"
                  "     |-worker---sleep\n"
                  "     |-worker---sleep\n"
                  "     `-zzz\n");
}

TEST_CASE("pstree -n sorts siblings by pid") {
    check_fixture({"-n"}, "132", false,
                  "init-+-zzz\n"
                  "     |-sshd---bash-+-3*[sleep]\n"
                  "     |             `-node---3*[{node}]\n"
                  "     |-we ird) name\n"
                  "     |-esc\\033name\\177\n"
                  "     |-caf\\303\\251\n"
                  "     |-3*[worker---sleep]\n"
                  "     |-longargs\n"
                  "     |-nulls\n"
                  "     |-notrail\n"
                  "     |-a\n"
                  "     `-?---orphan\n");
}

TEST_CASE("pstree -g shows process group ids") {
    check_fixture({"-g"}, "132", false,
                  "init(1)-+-?()---orphan(40)\n"
                  "        |-a(50)\n"
                  "        |-caf\\303\\251(23)\n"
                  "        |-esc\\033name\\177(21)\n"
                  "        |-longargs(41)\n"
                  "        |-notrail(43)\n"
                  "        |-nulls(42)\n"
                  "        |-sshd(10)---bash(11)-+-node(15)---3*[{node}(15)]\n"
                  "        |                     `-3*[sleep(12)]\n"
                  "        |-we ird) name(20)\n"
                  "        |-3*[worker(30)---sleep(30)]\n"
                  "        `-zzz(5)\n");
}

TEST_CASE("pstree -u shows uid transitions") {
    check_fixture({"-u"}, "132", true,
                  "init-+-?---orphan\n"
                  "     |-a(nobody)\n"
                  "     |-caf\\303\\251\n"
                  "     |-esc\\033name\\177\n"
                  "     |-longargs\n"
                  "     |-notrail\n"
                  "     |-nulls\n"
                  "     |-sshd---bash(nobody)-+-node---3*[{node}]\n"
                  "     |                     `-3*[sleep]\n"
                  "     |-we ird) name\n"
                  "     |-2*[worker---sleep]\n"
                  "     |-worker(4242)---sleep\n"
                  "     `-zzz\n");
}

TEST_CASE("pstree -s shows the parents of a process") {
    check_fixture({"-s", "31"}, "132", false, "init---worker---sleep\n");
}

TEST_CASE("pstree -T hides threads") {
    check_fixture({"-T"}, "132", false,
                  "init-+-?---orphan\n"
                  "     |-a\n"
                  "     |-caf\\303\\251\n"
                  "     |-esc\\033name\\177\n"
                  "     |-longargs\n"
                  "     |-notrail\n"
                  "     |-nulls\n"
                  "     |-sshd---bash-+-node\n"
                  "     |             `-3*[sleep]\n"
                  "     |-we ird) name\n"
                  "     |-3*[worker---sleep]\n"
                  "     `-zzz\n");
}

TEST_CASE("pstree -t shows each thread's own name") {
    check_fixture({"-t"}, "132", false,
                  "init-+-?---orphan\n"
                  "     |-a\n"
                  "     |-caf\\303\\251\n"
                  "     |-esc\\033name\\177\n"
                  "     |-longargs\n"
                  "     |-notrail\n"
                  "     |-nulls\n"
                  "     |-sshd---bash-+-node-+-2*[{libuv-worker}]\n"
                  "     |             |      `-{node}\n"
                  "     |             `-3*[sleep]\n"
                  "     |-we ird) name\n"
                  "     |-3*[worker---sleep]\n"
                  "     `-zzz\n");
}

TEST_CASE("pstree -a -l does not cut long argument lists") {
    check_fixture(
        {"-a", "-l"}, "132", false,
        "init splash\n"
        "  |-?\n"
        "  |  `-orphan\n"
        "  |-a\n"
        "  |-caf\\303\\251\n"
        "  |-esc\\033name\\177\n"
        "  |-longargs argument100 argument101 argument102 argument103 argument104 argument105 "
        "argument106 argument107 argument108 argument109 argument110 argument111 argument112 "
        "argument113 argument114 argument115 argument116 argument117 argument118 argument119 "
        "argument120 argument121 argument122 argument123 argument124 argument125 argument126 "
        "argument127 argument128 argument129\n"
        "  |-notrail\n"
        "  |-nulls b\n"
        "  |-sshd -D\n"
        "  |   `-bash\n"
        "  |       |-node server.js --port 8080\n"
        "  |       |   `-3*[{node}]\n"
        "  |       |-sleep 60\n"
        "  |       |-sleep 60\n"
        "  |       `-sleep 61\n"
        "  |-we ird) name a b tab\\011here back\\\\slash\n"
        "  |-worker\n"
        "  |   `-sleep 1\n"
        "  |-worker\n"
        "  |   `-sleep 1\n"
        "  |-worker\n"
        "  |   `-sleep 1\n"
        "  `-zzz\n");
}

TEST_CASE("pstree cuts lines at COLUMNS with a plus sign") {
    check_fixture({}, "20", false,
                  "init-+-?---orphan\n"
                  "     |-a\n"
                  "     |-caf\\303\\251\n"
                  "     |-esc\\033name\\+\n"
                  "     |-longargs\n"
                  "     |-notrail\n"
                  "     |-nulls\n"
                  "     |-sshd---bash-+\n"
                  "     |             +\n"
                  "     |-we ird) name\n"
                  "     |-3*[worker---+\n"
                  "     `-zzz\n");
}

TEST_CASE("pstree -a cuts arguments at COLUMNS with dots") {
    check_fixture({"-a"}, "35", false,
                  "init splash\n"
                  "  |-?\n"
                  "  |  `-orphan\n"
                  "  |-a\n"
                  "  |-caf\\303\\251\n"
                  "  |-esc\\033name\\177\n"
                  "  |-longargs argument100 ...\n"
                  "  |-notrail\n"
                  "  |-nulls b\n"
                  "  |-sshd -D\n"
                  "  |   `-bash\n"
                  "  |       |-node server.js ...\n"
                  "  |       |   `-3*[{node}]\n"
                  "  |       |-sleep 60\n"
                  "  |       |-sleep 60\n"
                  "  |       `-sleep 61\n"
                  "  |-we ird) name a b ...\n"
                  "  |-worker\n"
                  "  |   `-sleep 1\n"
                  "  |-worker\n"
                  "  |   `-sleep 1\n"
                  "  |-worker\n"
                  "  |   `-sleep 1\n"
                  "  `-zzz\n");
}

TEST_CASE("pstree -p cuts at COLUMNS inside a pid") {
    check_fixture({"-p"}, "27", false,
                  "init(1)-+-?(99)---orphan(4+\n"
                  "        |-a(50)\n"
                  "        |-caf\\303\\251(23)\n"
                  "        |-esc\\033name\\177(+\n"
                  "        |-longargs(41)\n"
                  "        |-notrail(43)\n"
                  "        |-nulls(42)\n"
                  "        |-sshd(10)---bash(+\n"
                  "        |-we ird) name(20)\n"
                  "        |-worker(30)---sle+\n"
                  "        |-worker(32)---sle+\n"
                  "        |-worker(34)---sle+\n"
                  "        `-zzz(5)\n");
}

TEST_CASE("pstree -U draws UTF-8 boxes and counts them as one column each") {
    check_fixture(
        {"-U"}, "30", false,
        "init\342\224\200\342\224\254\342\224\200?\342\224\200\342\224\200\342\224\200orphan\n"
        "     \342\224\234\342\224\200a\n"
        "     \342\224\234\342\224\200caf\\303\\251\n"
        "     \342\224\234\342\224\200esc\\033name\\177\n"
        "     \342\224\234\342\224\200longargs\n"
        "     \342\224\234\342\224\200notrail\n"
        "     \342\224\234\342\224\200nulls\n"
        "     "
        "\342\224\234\342\224\200sshd\342\224\200\342\224\200\342\224\200bash\342\224\200\342\224"
        "\254\342\224\200node\342\224\200\342\224\200\342\224\2003+\n"
        "     \342\224\202             \342\224\224\342\224\2003*[sleep+\n"
        "     \342\224\234\342\224\200we ird) name\n"
        "     \342\224\234\342\224\2003*[worker\342\224\200\342\224\200\342\224\200sleep]\n"
        "     \342\224\224\342\224\200zzz\n");
}

TEST_CASE("pstree PID starts at that process") {
    check_fixture({"-p", "11"}, "132", false,
                  "bash(11)-+-node(15)-+-{node}(16)\n"
                  "         |          |-{node}(17)\n"
                  "         |          `-{node}(18)\n"
                  "         |-sleep(12)\n"
                  "         |-sleep(13)\n"
                  "         `-sleep(14)\n");
}

TEST_CASE("pstree USER shows each tree of that user separated by a blank line") {
    check_fixture({"nobody"}, "132", true,
                  "a\n"
                  "\n"
                  "bash-+-node---3*[{node}]\n"
                  "     `-3*[sleep]\n");
}

TEST_CASE("pstree -A -a PID of a kernel thread") {
    check_fixture({"-A", "-a", "2"}, "132", false,
                  "(kthreadd)\n"
                  "  |-(kworker/0:0-events)\n"
                  "  `-(kworker/0:0-events)\n");
}

TEST_CASE("pstree skips a process whose stat line is malformed") {
    auto r = run_on_fixture({"-p", "-c"});
    CHECK(r.status == 0);
    CHECK(r.out.find("(22)") == std::string::npos);
    CHECK(r.out.find("bad") == std::string::npos);
}

TEST_CASE("pstree with a pid that does not exist prints nothing and exits 0") {
    auto r = run_on_fixture({"999999999"});
    CHECK(r.status == 0);
    CHECK(r.out == "");
    CHECK(r.err == "");
}

TEST_CASE("pstree with an unknown user name is a usage error") {
    auto r = run_on_fixture({"nosuchuser-ptool"});
    CHECK(r.status == 2);
    CHECK(r.out == "");
    CHECK(r.err == "ptool pstree: unknown user 'nosuchuser-ptool'\n");
}

TEST_CASE("pstree --proc with a missing directory fails with exit 1") {
    auto r = run_ptool({"pstree", "--proc", "/nonexistent-ptool-proc"});
    CHECK(r.status == 1);
    CHECK(r.out == "");
    CHECK(r.err == "ptool pstree: /nonexistent-ptool-proc: No such file or directory\n");
}

TEST_CASE("pstree --proc with a directory holding no process fails with exit 1") {
    TempDir dir;
    auto r = run_ptool({"pstree", "--proc", dir.path().string()});
    CHECK(r.status == 1);
    CHECK(r.err.rfind("ptool pstree: " + dir.path().string() + ": no processes", 0) == 0);
}

TEST_CASE("pstree -s with a pid that does not exist fails with exit 1") {
    auto r = run_on_fixture({"-s", "999"});
    CHECK(r.status == 1);
    CHECK(r.err == "ptool pstree: process 999 not found\n");
}

TEST_CASE("pstree rejects an unknown option with exit 2") {
    auto r = run_on_fixture({"-x"});
    CHECK(r.status == 2);
    CHECK(r.out == "");
    CHECK(r.err.rfind("ptool pstree: ", 0) == 0);
}

TEST_CASE("pstree reports a write error on a full disk and exits 1") {
    TempDir dir;
    build_fake_procfs(dir.path().string(), pstree_fixture());
    auto r =
        run_shell("\"$PTOOL\" pstree --proc " + shell_quote(dir.path().string()) + " > /dev/full");
    CHECK(r.status == 1);
    CHECK(r.err == "ptool pstree: write error: No space left on device\n");
}

TEST_CASE("pstree --json nests children and lists threads by tid") {
    auto r = run_on_fixture({"--json", "11"});
    REQUIRE(r.status == 0);
    auto doc = nlohmann::json::parse(r.out);
    CHECK(doc["pid"] == 11);
    CHECK(doc["ppid"] == 10);
    CHECK(doc["name"] == "bash");
    CHECK(doc["cmdline"] == nlohmann::json::array({"-bash"}));
    CHECK(doc["state"] == "S");
    REQUIRE(doc["children"].size() == 4);
    const auto& node = doc["children"][0];
    CHECK(node["name"] == "node");
    CHECK(node["cmdline"] == nlohmann::json::array({"node", "server.js", "--port", "8080"}));
    CHECK(node["threads"] ==
          nlohmann::json::parse(R"([{"tid":16,"name":"node"},{"tid":17,"name":"libuv-worker"},)"
                                R"({"tid":18,"name":"libuv-worker"}])"));
    CHECK(doc["children"][1]["pid"] == 12);
    if (::geteuid() == 0) CHECK(doc["user"] == "nobody");
    CHECK(r.out.find(R"({"pid":11,"ppid":10,"name":"bash","cmdline":)") == 0);
}

TEST_CASE("pstree --json replaces bytes that are not UTF-8") {
    auto r = run_on_fixture({"--json", "21"});
    REQUIRE(r.status == 0);
    auto doc = nlohmann::json::parse(r.out);
    CHECK(doc["name"] == "esc\x1bname\x7f");
    CHECK(doc["cmdline"][0] == "x\xef\xbf\xbdy");
}

namespace {

// A live subtree in its own session, killed and reaped (grandchildren too: the
// test is their subreaper) when it goes out of scope.
class LiveTree {
public:
    explicit LiveTree(const std::string& script) {
        ::prctl(PR_SET_CHILD_SUBREAPER, 1);
        pid_ = ::fork();
        if (pid_ == 0) {
            ::setsid();
            ::execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
        REQUIRE(pid_ > 0);
    }
    ~LiveTree() {
        ::kill(-pid_, SIGKILL);
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (std::chrono::steady_clock::now() < deadline) {
            pid_t got = ::waitpid(-1, nullptr, WNOHANG);
            if (got < 0) break;  // ECHILD: every process is reaped
            if (got == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }
    LiveTree(const LiveTree&) = delete;
    LiveTree& operator=(const LiveTree&) = delete;
    pid_t pid() const { return pid_; }

private:
    pid_t pid_ = -1;
};

// psmisc and ptool read /proc at different moments: a run counts as equal when
// ptool matches psmisc run just before or just after it.
void compare_with_psmisc(const std::vector<std::string>& args, const std::string& columns,
                         const std::string& term = "dumb") {
    RunOptions options;
    options.env["COLUMNS"] = columns;
    options.env["TERM"] = term;
    std::vector<std::string> peer{"pstree"};
    peer.insert(peer.end(), args.begin(), args.end());
    std::vector<std::string> ours{"pstree"};
    ours.insert(ours.end(), args.begin(), args.end());
    RunResult before, mine, after;
    for (int attempt = 0; attempt < 3; ++attempt) {
        before = run(peer, options);
        mine = run_ptool(ours, options);
        after = run(peer, options);
        if (mine.out == before.out || mine.out == after.out) break;
    }
    INFO("options: " << Catch::Detail::stringify(args) << " COLUMNS=" << columns);
    REQUIRE(before.status == 0);
    CHECK(mine.status == 0);
    CHECK(mine.err == "");
    CHECK((mine.out == before.out ? before.out : after.out) == mine.out);
}

std::string python_threads_script(const TempDir& dir) {
    std::string path = dir / "threads.py";
    write_file(path,
               "import threading, time, sys\n"
               "for i in range(int(sys.argv[1])):\n"
               "    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n"
               "open(sys.argv[2], 'w').close()\n"
               "time.sleep(60)\n");
    return path;
}

// Waits until psmisc shows `lines` processes and threads at and under `pid`.
void wait_for_tree(pid_t pid, size_t lines) {
    bool ok = wait_until(
        [&] {
            auto r = run({"pstree", "-a", "-p", "-l", std::to_string(pid)});
            return size_t(std::count(r.out.begin(), r.out.end(), '\n')) >= lines;
        },
        std::chrono::seconds(10));
    REQUIRE(ok);
}

}  // namespace

TEST_CASE("pstree matches psmisc on a live subtree for every option set") {
    TempDir dir;
    std::string threads = python_threads_script(dir);
    // Debian's python3 by its path: a python3 earlier in PATH may be a shim (pyenv's is
    // a chain of bash scripts) whose processes come and go while the test looks.
    std::string ready3 = dir / "ready3", ready1 = dir / "ready1";
    LiveTree tree("sleep 60 & sleep 60 & (sleep 60; :) & /usr/bin/python3 " + threads + " 3 " +
                  ready3 + " & /usr/bin/python3 " + threads + " 1 " + ready1 +
                  " & sh -c 'sleep 60 & exec sleep 61' & exec sleep 59");
    // each python writes its file once its threads run
    REQUIRE(wait_until(
        [&] { return std::filesystem::exists(ready3) && std::filesystem::exists(ready1); },
        std::chrono::seconds(10)));
    // root, 2 sleeps, subshell+sleep, python+3 threads, python+1 thread, sleep 61+sleep
    wait_for_tree(tree.pid(), 13);
    std::string root = std::to_string(tree.pid());
    const std::vector<std::vector<std::string>> option_sets{
        {},     {"-p"}, {"-a"}, {"-c"}, {"-n"},       {"-g"},       {"-u"}, {"-A"},
        {"-U"}, {"-l"}, {"-T"}, {"-t"}, {"-a", "-p"}, {"-a", "-c"}, {"-pn"}};
    for (const auto& opts : option_sets) {
        for (const char* columns : {"132", "24"}) {
            auto args = opts;
            args.push_back(root);
            compare_with_psmisc(args, columns);
        }
    }
}

TEST_CASE("pstree -s matches psmisc for a child of a live subtree") {
    LiveTree tree("sleep 60 & sh -c 'sleep 60 & exec sleep 61' & exec sleep 59");
    wait_for_tree(tree.pid(), 4);
    auto kids = run({"pgrep", "-P", std::to_string(tree.pid()), "-f", "^sleep 61"});
    REQUIRE(kids.status == 0);
    std::string child = kids.out.substr(0, kids.out.find('\n'));
    for (const char* columns : {"400", "60"}) {
        compare_with_psmisc({"-s", "-p", child}, columns);
        compare_with_psmisc({"-s", "-a", child}, columns);
    }
}

TEST_CASE("pstree -t matches psmisc on node's named threads") {
    TempDir dir;
    std::string started = dir / "started";
    // node names its platform workers and the libuv signal thread before it runs user code:
    // once the script has written its file, the thread names are final.
    LiveTree tree("STARTED=" + shell_quote(started) +
                  "; export STARTED; exec node -e \"require('fs').writeFileSync("
                  "process.env.STARTED, ''); setTimeout(() => {}, 60000)\"");
    REQUIRE(wait_until([&] { return std::filesystem::exists(started); }, std::chrono::seconds(10)));
    wait_for_tree(tree.pid(), 6);
    std::string root = std::to_string(tree.pid());
    compare_with_psmisc({"-t", root}, "132");
    compare_with_psmisc({"-t", "-p", root}, "132");
    compare_with_psmisc({root}, "132");
}

TEST_CASE("pstree -H bolds a process and its ancestors with psmisc's bytes") {
    LiveTree tree("sleep 60 & sleep 60 & sh -c 'sleep 60 & exec sleep 61' & exec sleep 59");
    wait_for_tree(tree.pid(), 5);
    auto kids = run({"pgrep", "-P", std::to_string(tree.pid()), "-f", "^sleep 61"});
    REQUIRE(kids.status == 0);
    std::string child = kids.out.substr(0, kids.out.find('\n'));
    std::string root = std::to_string(tree.pid());
    for (const char* term : {"xterm", "linux"})
        for (const char* columns : {"132", "12"}) {
            compare_with_psmisc({"-H", child, root}, columns, term);
            compare_with_psmisc({"-H", child, "-a", root}, columns, term);
        }
}

TEST_CASE("pstree -H without TERM fails with exit 1") {
    RunOptions options;
    options.unset.push_back("TERM");
    auto r = run_ptool({"pstree", "-H", "1"}, options);
    CHECK(r.status == 1);
    CHECK(r.err == "ptool pstree: TERM is not set\n");
}
