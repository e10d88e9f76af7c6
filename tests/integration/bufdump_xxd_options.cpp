// bufdump's xxd options beyond -c/-g/-u/-s/-l (-e, -o, -d, -a, -C, --name, -E,
// -r -s) and hexdump -v, byte for byte against Debian's xxd and util-linux's
// hexdump on edge sizes (0, 1, 15, 16, 17, 4097 bytes).
#include <catch2/catch.hpp>

#include "bufdump_harness.hpp"

using namespace ptool::test;

namespace {

const size_t kEdgeSizes[] = {0, 1, 15, 16, 17, 4097};

// Random bytes with a run of NUL lines in the middle and at the end, so -a has work.
std::string with_nul_lines(size_t n, uint64_t seed) {
    std::string s = random_bytes(n, seed);
    for (size_t i = n / 4; i < n / 2; ++i) s[i] = '\0';
    for (size_t i = n - n / 8; i < n; ++i) s[i] = '\0';
    return s;
}

}  // namespace

TEST_CASE("bufdump -e writes xxd -e's little-endian groups") {
    TempDir dir;
    for (size_t n : kEdgeSizes) {
        std::string f = dir / ("in" + std::to_string(n));
        write_file(f, random_bytes(n, n + 11));
        check_same_as_peer({"xxd", "-e", f}, bufdump({"-e", f}));
        check_same_as_peer({"xxd", "-e", "-g", "8", f}, bufdump({"-e", "-g", "8", f}));
        check_same_as_peer({"xxd", "-e", "-g", "2", "-c", "12", f},
                           bufdump({"-e", "-g", "2", "-c", "12", f}));
        check_same_as_peer({"xxd", "-e", "-c", "5", f}, bufdump({"-e", "-c", "5", f}));
        check_same_as_peer({"xxd", "-e", "-u", "-g", "1", f}, bufdump({"-e", "-u", "-g", "1", f}));
    }
}

TEST_CASE("bufdump -e refuses a group that is not a power of 2, as xxd") {
    auto r = run_ptool(bufdump({"-e", "-g", "3"}), std::string("abc"));
    CHECK(r.status == 2);
    CHECK(r.err.find("ptool bufdump: -e:") == 0);
    CHECK(run_ptool(bufdump({"-e", "-f", "hexdump"}), std::string("abc")).status == 2);
}

TEST_CASE("bufdump -o and -d shift and write offsets as xxd -o and -d") {
    TempDir dir;
    for (size_t n : kEdgeSizes) {
        std::string f = dir / ("in" + std::to_string(n));
        write_file(f, random_bytes(n, n + 5));
        check_same_as_peer({"xxd", "-d", f}, bufdump({"-d", f}));
        check_same_as_peer({"xxd", "-o", "4096", f}, bufdump({"-o", "4096", f}));
        check_same_as_peer({"xxd", "-o", "-16", f}, bufdump({"-o", "-16", f}));
        check_same_as_peer({"xxd", "-o", "4294967290", f}, bufdump({"-o", "4294967290", f}));
        check_same_as_peer({"xxd", "-d", "-o", "100", "-s", "3", f},
                           bufdump({"-d", "-o", "100", "-s", "3", f}));
        check_same_as_peer({"xxd", "-o", "16", "-b", f}, bufdump({"-o", "16", "-f", "bits", f}));
    }
}

TEST_CASE("bufdump -a skips NUL lines as xxd -a") {
    TempDir dir;
    for (size_t n : {size_t(0), size_t(16), size_t(17), size_t(32), size_t(48), size_t(64),
                     size_t(4097), size_t(4096)}) {
        std::string f = dir / ("in" + std::to_string(n));
        write_file(f, with_nul_lines(n, n + 3));
        check_same_as_peer({"xxd", "-a", f}, bufdump({"-a", f}));
        check_same_as_peer({"xxd", "-a", "-c", "8", f}, bufdump({"-a", "-c", "8", f}));
        write_file(f, std::string(n, '\0'));
        check_same_as_peer({"xxd", "-a", f}, bufdump({"-a", f}));
        check_same_as_peer({"xxd", "-a", "-b", f}, bufdump({"-a", "-f", "bits", f}));
    }
    // Read in small pieces from a pipe: the held line and the count cross blocks.
    std::string nuls = std::string(40000, '\0') + "x" + std::string(33, '\0');
    check_same_as_peer({"xxd", "-a"}, bufdump({"-a"}), nuls);
}

TEST_CASE("bufdump -E shows the text column as EBCDIC, as xxd -E") {
    TempDir dir;
    for (size_t n : kEdgeSizes) {
        std::string f = dir / ("in" + std::to_string(n));
        write_file(f, random_bytes(n, n + 7));
        check_same_as_peer({"xxd", "-E", f}, bufdump({"-E", f}));
        check_same_as_peer({"xxd", "-E", "-e", f}, bufdump({"-E", "-e", f}));
    }
}

TEST_CASE("bufdump -f c with -C and --name names the array as xxd -i -C and -n") {
    TempDir dir;
    for (size_t n : kEdgeSizes) {
        std::string f = dir / ("1in-" + std::to_string(n) + ".bin");
        write_file(f, random_bytes(n, n + 9));
        check_same_as_peer({"xxd", "-i", "-C", f}, bufdump({"-f", "c", "-C", f}));
        check_same_as_peer({"xxd", "-i", "-n", "my-var", f},
                           bufdump({"-f", "c", "--name", "my-var", f}));
        check_same_as_peer({"xxd", "-i", "-C", "-n", "9v", f},
                           bufdump({"-f", "c", "-C", "--name", "9v", f}));
        check_same_as_peer({"xxd", "-i", "-u", "-C", f}, bufdump({"-f", "c", "-u", "-C", f}));
    }
    // From standard input, --name still names it (xxd -n does).
    check_same_as_peer({"xxd", "-i", "-n", "q"}, bufdump({"-f", "c", "--name", "q"}), "ab");
    check_same_as_peer({"xxd", "-i", "-C"}, bufdump({"-f", "c", "-C"}), "ab");
}

TEST_CASE("bufdump -r -s adds the offset to the dump's offsets, as xxd -r -s") {
    TempDir dir;
    std::string dump =
        run({"xxd", "-c", "7"},
            RunOptions{random_bytes(100, 4), {}, {}, "", std::chrono::milliseconds(60000)})
            .out;
    std::string in = dir / "in.xxd";
    write_file(in, dump);
    for (const char* s : {"0", "5", "4097", "0x10"}) {
        std::string want = dir / "want", got = dir / "got";
        write_file(want, "0123456789");
        write_file(got, "0123456789");
        auto a = run({"xxd", "-r", "-c", "7", "-s", s, in, want});
        std::string ours = s;
        auto b = run_ptool(bufdump({"-r", "-c", "7", "-s", ours, in, got}));
        CHECK(a.status == b.status);
        CHECK(read_file(want) == read_file(got));
        // Into a pipe the gap is zeros.
        check_same_as_peer({"xxd", "-r", "-c", "7", "-s", s, in},
                           bufdump({"-r", "-c", "7", "-s", ours, in}));
    }
}

TEST_CASE("bufdump -f hexdump -v shows every line as hexdump -C -v") {
    TempDir dir;
    for (size_t n : kEdgeSizes) {
        std::string f = dir / ("in" + std::to_string(n));
        write_file(f, std::string(n, 'A'));
        check_same_as_peer({"hexdump", "-C", "-v", f}, bufdump({"-f", "hexdump", "-v", f}));
        check_same_as_peer({"hexdump", "-C", f}, bufdump({"-f", "hexdump", f}));
        write_file(f, with_nul_lines(n, n));
        check_same_as_peer({"hexdump", "-C", "-v", f}, bufdump({"-f", "hexdump", "-v", f}));
    }
}
