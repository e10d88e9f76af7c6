// hashfile --tree (one Merkle digest per directory, as documented in the man page and
// recomputed here by an independent script), --files-from and --exclude.
#include <sys/stat.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include "test_support.hpp"

using namespace ptool::test;

namespace {

// The documented encoding, written again in Python from the man page.
const char* kTreeScript = R"(
import hashlib, os, stat, sys
def node(path):
    st = os.lstat(path)
    h = lambda b: hashlib.new(sys.argv[2], b).digest()
    if stat.S_ISLNK(st.st_mode):
        t = os.readlink(path); return b'l', len(t), h(t)
    if stat.S_ISREG(st.st_mode):
        d = open(path, 'rb').read(); return b'f', len(d), h(d)
    if stat.S_ISDIR(st.st_mode):
        names = sorted(os.listdir(path)); rec = b''
        for n in names:
            t, size, dg = node(os.path.join(path, n))
            rec += t + len(n).to_bytes(8, 'big') + n + size.to_bytes(8, 'big') + dg
        return b'd', len(names), h(rec)
    return b'o', 0, h(b'')
print(node(os.fsencode(sys.argv[1]))[2].hex())
)";

std::string reference_digest(const std::string& dir, const std::string& algo = "sha256") {
    auto r = run({"python3", "-c", kTreeScript, dir, algo});
    REQUIRE(r.status == 0);
    return r.out.substr(0, r.out.size() - 1);
}

void make_tree(const TempDir& d, const std::string& root) {
    std::string t = d / root;
    ::mkdir(t.c_str(), 0755);
    ::mkdir((t + "/sub").c_str(), 0755);
    ::mkdir((t + "/sub/deeper").c_str(), 0700);
    ::mkdir((t + "/empty").c_str(), 0755);
    for (int i = 0; i < 12; ++i)
        write_file(t + "/sub/f" + std::to_string(i), random_bytes(i * 4099, i));
    write_file(t + "/sub/deeper/n\nl", "newline name\n");
    write_file(t + "/top", "top\n");
    REQUIRE(::symlink("sub/f1", (t + "/link").c_str()) == 0);
    REQUIRE(::symlink("/nowhere", (t + "/dangling").c_str()) == 0);
    REQUIRE(::mkfifo((t + "/fifo").c_str(), 0644) == 0);
}

std::string tree_digest(const std::vector<std::string>& args) {
    auto r = run_ptool(args);
    REQUIRE(r.status == 0);
    return r.out.substr(0, r.out.find(' '));
}

}  // namespace

TEST_CASE("hashfile --tree follows the documented encoding") {
    TempDir d;
    make_tree(d, "t");
    CHECK(tree_digest({"hashfile", "--tree", d / "t"}) == reference_digest(d / "t"));
    CHECK(tree_digest({"hashfile", "--tree", "-a", "blake2b", d / "t"}) ==
          reference_digest(d / "t", "blake2b"));
    auto line = run_ptool({"hashfile", "--tree", d / "t"}).out;
    CHECK(line == reference_digest(d / "t") + "  " + d / "t" + "\n");
}

TEST_CASE("hashfile --tree is the same for a copy elsewhere and with -j 2 and -j 1") {
    TempDir d;
    make_tree(d, "one");
    make_tree(d, "two");
    ::chmod((d / "two/top").c_str(), 0600);  // modes are not part of the digest
    std::string one = tree_digest({"hashfile", "--tree", "-j", "1", d / "one"});
    CHECK(tree_digest({"hashfile", "--tree", "-j", "2", d / "one"}) == one);
    CHECK(tree_digest({"hashfile", "--tree", "-j", "2", d / "two"}) == one);
}

TEST_CASE("hashfile --tree changes with a byte, a name or a link target, never follows links") {
    TempDir d;
    make_tree(d, "t");
    std::string before = tree_digest({"hashfile", "--tree", d / "t"});
    write_file(d / "t/sub/f3", random_bytes(3 * 4099, 99));
    std::string content = tree_digest({"hashfile", "--tree", d / "t"});
    CHECK(content != before);
    REQUIRE(::rename((d / "t/top").c_str(), (d / "t/top2").c_str()) == 0);
    std::string renamed = tree_digest({"hashfile", "--tree", d / "t"});
    CHECK(renamed != content);
    std::string with_link = tree_digest({"hashfile", "--tree", d / "t"});
    ::unlink((d / "t/link").c_str());
    REQUIRE(::symlink("sub/f2", (d / "t/link").c_str()) == 0);
    CHECK(tree_digest({"hashfile", "--tree", d / "t"}) != with_link);
    CHECK(tree_digest({"hashfile", "--tree", d / "t"}) == reference_digest(d / "t"));
}

TEST_CASE("hashfile --tree --exclude leaves out what matches") {
    TempDir d;
    make_tree(d, "t");
    std::string all = tree_digest({"hashfile", "--tree", d / "t"});
    std::string without = tree_digest({"hashfile", "--tree", "--exclude", "deeper", d / "t"});
    CHECK(without != all);
    std::string gone = d / "t/sub/deeper";
    REQUIRE(run({"rm", "-rf", gone}).status == 0);
    CHECK(tree_digest({"hashfile", "--tree", d / "t"}) == without);
}

TEST_CASE("hashfile --tree on a file is an error naming it, exit 1") {
    TempDir d;
    write_file(d / "f", "x");
    auto r = run_ptool({"hashfile", "--tree", d / "f"});
    CHECK(r.status == 1);
    CHECK(r.err == "ptool hashfile: " + d / "f" + ": Not a directory\n");
}

TEST_CASE("hashfile -r --exclude skips names and paths that match") {
    TempDir d;
    make_tree(d, "t");
    RunOptions here;
    here.cwd = d.path().string();
    auto r = run_ptool({"hashfile", "-a", "md5", "-r", "--exclude", "f1*", "--exclude",
                        "sub/deeper", "--exclude", "dangl*", "t"},
                       here);
    CHECK(r.status == 0);
    CHECK(r.out.find("t/sub/f1") == std::string::npos);  // f1, f10, f11
    CHECK(r.out.find("deeper") == std::string::npos);
    CHECK(r.out.find("t/sub/f2") != std::string::npos);
    CHECK(r.out.find("t/top") != std::string::npos);
    CHECK(run_ptool({"hashfile", "--exclude", "x", "t"}, here).status == 2);
}

TEST_CASE("hashfile --files-from reads names from a file, from stdin, NUL-separated with -0") {
    TempDir d;
    write_file(d / "a", "a\n");
    write_file(d / "b b", "b\n");
    RunOptions here;
    here.cwd = d.path().string();
    std::string want = run({"sha256sum", "a", "b b"}, here).out;
    write_file(d / "list", "a\n\nb b\n");
    CHECK(run_ptool({"hashfile", "--files-from", "list"}, here).out == want);
    here.input = "a\nb b\n";
    CHECK(run_ptool({"hashfile", "--files-from", "-"}, here).out == want);
    here.input = std::string("a\0b b\0", 6);
    CHECK(run_ptool({"hashfile", "--files-from", "-", "-0"}, here).out == want);
    CHECK(run_ptool({"hashfile", "-0", "a"}, here).status == 2);
}
