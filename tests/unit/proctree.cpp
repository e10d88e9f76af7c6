// psmisc pstree's layout on a fixture process table.
#include "tools/pstree/proctree.hpp"

#include <sys/mman.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include "libcommon/core/fd.hpp"
#include "output_capture.hpp"
#include "tools/pstree/json_tree.hpp"

using namespace ptool;

namespace {

ProcessInfo proc(pid_t pid, pid_t ppid, std::string comm, std::string cmdline = "") {
    ProcessInfo p;
    p.pid = pid;
    p.ppid = ppid;
    p.pgid = pid;
    p.comm = std::move(comm);
    if (!cmdline.empty()) p.cmdline = std::move(cmdline);
    return p;
}

// The text TreeWriter lays out for the tree under `root`.
std::string layout(const std::vector<ProcessInfo>& table, TreeStyle style, pid_t root = 1) {
    ProcessTree tree(table, style.arguments, style.numeric_sort, 8192);
    tree.adopt_orphans(1);
    tree.sort_children();
    UniqueFd file(::memfd_create("layout", MFD_CLOEXEC));
    OutputBuffer out(file.get());
    TreeWriter writer(out, std::move(style));
    writer.dump_tree(tree.find(root), 0, 1, true, true, 0, 0);
    out.flush();
    ::lseek(file.get(), 0, SEEK_SET);
    return read_all(file.get(), "layout");
}

const std::vector<ProcessInfo> kTable{
    proc(1, 0, "init", std::string("/sbin/init\0splash\0", 18)),
    proc(10, 1, "sshd"),
    proc(11, 10, "bash"),
    proc(12, 11, "sleep"),
    proc(13, 11, "sleep"),
    proc(20, 1, "cron"),
};

}  // namespace

TEST_CASE("TreeWriter draws psmisc's ASCII tree and compacts equal siblings") {
    CHECK(layout(kTable, TreeStyle{}) ==
          "init-+-cron\n"
          "     `-sshd---bash---2*[sleep]\n");
}

TEST_CASE("TreeWriter with pids neither compacts nor hides a pid") {
    TreeStyle style;
    style.pids = true;
    style.compact = false;
    CHECK(layout(kTable, style) ==
          "init(1)-+-cron(20)\n"
          "        `-sshd(10)---bash(11)-+-sleep(12)\n"
          "                              `-sleep(13)\n");
}

TEST_CASE("TreeWriter sorts by pid with numeric_sort and by name otherwise") {
    TreeStyle style;
    style.numeric_sort = true;
    CHECK(layout(kTable, style) ==
          "init-+-sshd---bash---2*[sleep]\n"
          "     `-cron\n");
}

TEST_CASE("TreeWriter shows arguments after the name with arguments on") {
    TreeStyle style;
    style.arguments = true;
    std::string text = layout(kTable, style);
    CHECK(text.rfind("init splash\n", 0) == 0);
}

TEST_CASE("TreeWriter cuts lines at the width with a plus in the last column") {
    TreeStyle style;
    style.width = 12;
    CHECK(layout(kTable, style) ==
          "init-+-cron\n"
          "     `-sshd+\n");
}

TEST_CASE("TreeWriter draws with the UTF-8 set") {
    TreeStyle style;
    style.symbols = &kTreeUtf8;
    CHECK(layout(kTable, style) ==
          "init\u2500\u252c\u2500cron\n"
          "     \u2514\u2500sshd\u2500\u2500\u2500bash\u2500\u2500\u25002*[sleep]\n");
}

TEST_CASE("ProcessTree puts processes with an unknown parent under the root") {
    std::vector<ProcessInfo> table{proc(1, 0, "init"), proc(50, 999, "orphan")};
    ProcessTree tree(table, false, false, 0);
    tree.adopt_orphans(1);
    ProcNode* orphan = tree.find(50);
    REQUIRE(orphan);
    REQUIRE(orphan->parent);
    // psmisc keeps the "?" placeholder for pid 999 and hangs it under the root.
    CHECK(orphan->parent->comm == "?");
    CHECK(orphan->parent->parent == tree.find(1));
}

TEST_CASE("ProcessTree lists threads as braced children of their process") {
    std::vector<ProcessInfo> table{proc(1, 0, "init"), proc(7, 1, "app")};
    table[1].threads = {{8, "worker"}, {9, "worker"}};
    CHECK(layout(table, TreeStyle{}) == "init---app---2*[{worker}]\n");
}

TEST_CASE("JsonTreeWriter nests children and names threads by tid") {
    std::vector<ProcessInfo> table{proc(1, 0, "init", std::string("init\0", 5)), proc(7, 1, "app")};
    table[1].threads = {{8, "worker"}};
    ProcessTree tree(table, false, false, std::string::npos);
    tree.adopt_orphans(1);
    tree.sort_children();
    auto j = nlohmann::ordered_json::parse(test::capture_output([&](OutputBuffer& out) {
        JsonTreeWriter(kDefaultJsonFields, out).write_tree(tree.find(1));
    }));
    CHECK(j["pid"] == 1);
    CHECK(j["cmdline"] == nlohmann::ordered_json::array({"init"}));
    REQUIRE(j["children"].size() == 1);
    CHECK(j["children"][0]["name"] == "app");
    CHECK(j["children"][0]["threads"][0]["tid"] == 8);
    CHECK(j["children"][0]["threads"][0]["name"] == "worker");
}
