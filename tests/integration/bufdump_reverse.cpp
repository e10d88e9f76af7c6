// bufdump -r against Debian's xxd -r, byte for byte: the lines xxd accepts
// (no colon, TABs, more bytes than the columns), where offsets take the bytes
// (a sparse file, a file patched in place, a pipe), and memory on a huge line.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "processes.hpp"
#include "test_support.hpp"

using namespace ptool::test;

namespace {

// Odd lines, each with something xxd -r does its own way.
const std::vector<std::string> kOddDumps = {
    "00000000  7468 6973\n",                                          // no colon
    "00000000:\t7468\t6973  this\n",                                  // TABs between groups
    "00000000: 4142 4344 4546 4748 494a 4b4c 4d4e 4f50 5152 5354\n",  // past 16 bytes
    "0:41424344454647484950515253545556575859\n",                     // past 16, no spaces
    "0: 41\n\n*\n10: 42 43\n",                                        // blank and * lines, a gap
    "0000\n00000010: 4142\n",                                         // an offset alone on a line
    "0: 4 142  x\n1: 7g41 4243\n",                                    // split digits, garbage
    "0: 41\r\n1: 4\r2\n",                                             // CR anywhere
    "garbage: 41\n: 42\n  3: 43 44\n",                                // leading junk, no offset
    "4: 41\n0: 42\n",                                                 // backwards
    "0: 746 8   6\n",                                                 // odd digits
    "0: 41",                                                          // no newline at the end
    "10:",                                                            // an offset and nothing
    "5: \n",                                                          // an offset and a space
    "zz\n0:41 42 43",                                                 // no space after the colon
    "0: 4142 434\n",                                                  // an odd last group
    "00000000: 6869 0a                                  hi.\n",       // xxd's own last line
    std::string("0: 41\0 42\n", 10),                                  // a NUL as separator
    "0: 41  42\n",                                                    // two spaces end the data
    "0: 41 x 42\n",                                                   // a letter as separator
    "0: 41x42\n3:43\n",                                               // jump back to a written byte
    "",                                                               // nothing
    "\n\n",                                                           // empty lines
    "0: 00000000000000000000000000000000\n20: 41\n",
};

struct Outcome {
    bool ok;
    std::string bytes;
};

// Runs `cmd DUMP OUT` and returns its success and what OUT holds.
Outcome run_into_file(std::vector<std::string> cmd, const TempDir& dir, const std::string& dump) {
    write_file(dir / "dump", dump);
    std::remove((dir / "out").c_str());
    cmd.push_back(dir / "dump");
    cmd.push_back(dir / "out");
    auto r = run(cmd);
    struct stat st {};
    bool exists = ::stat((dir / "out").c_str(), &st) == 0;
    return {r.status == 0, exists ? read_file(dir / "out") : ""};
}

}  // namespace

TEST_CASE("bufdump -r writes what xxd -r writes for a corpus of odd lines") {
    TempDir dir;
    for (const auto& dump : kOddDumps) {
        INFO("dump: " << dump);
        Outcome want = run_into_file({"xxd", "-r"}, dir, dump);
        Outcome got = run_into_file({ptool_bin(), "bufdump", "-r"}, dir, dump);
        CHECK(got.ok == want.ok);
        CHECK(got.bytes == want.bytes);
        // Into a pipe: the same bytes (gaps as zeros) and the same failure going back.
        RunOptions opts;
        opts.input = dump;
        auto peer = run({"xxd", "-r"}, opts);
        auto mine = run_ptool({"bufdump", "-r"}, opts);
        CHECK((mine.status == 0) == (peer.status == 0));
        CHECK(mine.out == peer.out);
    }
}

TEST_CASE("bufdump -r -c takes as many bytes a line as xxd -r -c") {
    TempDir dir;
    std::string dump = "0: 4142 4344 4546 4748 494a\n10: 5152 5354 5556\n";
    for (const char* cols : {"1", "3", "4", "16", "256"}) {
        INFO("-c " << cols);
        Outcome want = run_into_file({"xxd", "-r", "-c", cols}, dir, dump);
        Outcome got = run_into_file({ptool_bin(), "bufdump", "-r", "-c", cols}, dir, dump);
        CHECK(got.ok == want.ok);
        CHECK(got.bytes == want.bytes);
    }
}

TEST_CASE("bufdump -r seeks a regular output, so a far offset makes a sparse file") {
    TempDir dir;
    write_file(dir / "dump", "7ffffffff: 41\n");
    auto r = run_shell(shell_quote(ptool_bin()) + " bufdump -r " + shell_quote(dir / "dump") +
                       " > " + shell_quote(dir / "out"));
    REQUIRE(r.status == 0);
    struct stat st {};
    REQUIRE(::stat((dir / "out").c_str(), &st) == 0);
    CHECK(st.st_size == 0x800000000);
    CHECK(st.st_blocks * 512 < (1 << 20));  // not 32 GiB of written zeros
}

TEST_CASE("bufdump -r DUMP FILE patches FILE in place without truncating it, as xxd -r") {
    TempDir dir;
    std::string original = random_bytes(4096, 3);
    std::string dump = "00000010: 4142 4344\n*\n00000100: 45\n";
    write_file(dir / "dump", dump);
    write_file(dir / "want", original);
    write_file(dir / "got", original);
    REQUIRE(run({"xxd", "-r", dir / "dump", dir / "want"}).status == 0);
    auto r = run_ptool({"bufdump", "-r", dir / "dump", dir / "got"});
    CHECK(r.status == 0);
    CHECK(r.out.empty());
    std::string want = read_file(dir / "want");
    CHECK(want.size() == original.size());
    CHECK(read_file(dir / "got") == want);
    // Standard output as the file: the same, through a descriptor opened for writing.
    write_file(dir / "got", original);
    r = run_shell(shell_quote(ptool_bin()) + " bufdump -r " + shell_quote(dir / "dump") + " 1<> " +
                  shell_quote(dir / "got"));
    CHECK(r.status == 0);
    CHECK(read_file(dir / "got") == want);
}

TEST_CASE("bufdump -r into a pipe fills a jump ahead with zeros and reports a jump back") {
    auto r = run_ptool({"bufdump", "-r"}, std::string("4: 41\n0: 42\n"));
    CHECK(r.status == 1);
    CHECK(r.out == std::string("\0\0\0\0A", 5));
    CHECK(r.err == "ptool bufdump: -:2:3: cannot seek backwards in the output\n");
}

TEST_CASE("bufdump -r streams a 64 MiB line in bounded memory and stops at the columns") {
    TempDir dir;
    std::string line = "00000000: ";
    line.reserve(64 << 20);
    while (line.size() < (64u << 20)) line += "4142 ";
    line += "\n00000010: 43\n";
    write_file(dir / "dump", line);
    write_file(dir / "small", "00000000: 4142\n");
    auto want = run({"xxd", "-r", dir / "dump"});
    RunResult r;
    long small = peak_rss_kib({"bufdump", "-r", dir / "small"}, r);
    REQUIRE(r.status == 0);
    long big = peak_rss_kib({"bufdump", "-r", dir / "dump"}, r);
    REQUIRE(r.status == 0);
    CHECK(r.out == want.out);
    CHECK(r.out == "ABABABABABABABABC");
    // Beyond what ptool needs anyway (sanitizers included), far less than the line.
    INFO("peak RSS: " << small << " KiB for one short line, " << big << " KiB for 64 MiB");
    CHECK(big - small < 8 * 1024);
}
