// bufdump -f panel against hexyl 0.8 (--color=never): the layout of each border
// style, squeezing of repeated one-byte lines and its -v, offsets from -s/-o,
// edge sizes; and --plain.
#include <catch2/catch.hpp>

#include "bufdump_harness.hpp"

using namespace ptool::test;

namespace {

std::vector<std::string> panel(std::vector<std::string> args) {
    args.insert(args.begin(), {"bufdump", "-f", "panel", "--color=never"});
    return args;
}

std::string every_class(size_t n, uint64_t seed) {
    std::string s = random_bytes(n, seed);
    const char classes[] = {'\0', '\t', '\n', '\v', '\f', '\r', ' ', 'a', '\x7f', '\x01'};
    for (size_t i = 0; i < n; i += 3) s[i] = classes[(i / 3) % sizeof classes];
    return s;
}

}  // namespace

TEST_CASE("bufdump -f panel matches hexyl's layout for each border style") {
    TempDir dir;
    for (size_t n : {0, 1, 7, 8, 9, 15, 16, 17, 4097}) {
        std::string f = dir / ("in" + std::to_string(n));
        write_file(f, every_class(n, n));
        for (const char* border : {"unicode", "ascii", "none"}) {
            check_same_as_peer({"hexyl", "--color=never", "--border", border, f},
                               panel({"--border", border, f}));
        }
        check_same_as_peer({"hexyl", "--color=never", f}, panel({f}));
    }
}

TEST_CASE("bufdump -f panel squeezes repeated one-byte lines as hexyl, and -v does not") {
    TempDir dir;
    std::string f = dir / "in";
    for (std::string data : {std::string(64, 'A') + std::string(40, 'B'), std::string(64, '\0'),
                             std::string(48, 'x') + "abcdefghijklmnop" + "abcdefghijklmnop",
                             std::string(16, 'A') + std::string(16, 'B') + std::string(32, 'A'),
                             std::string(33, '\0')}) {
        write_file(f, data);
        check_same_as_peer({"hexyl", "--color=never", f}, panel({f}));
        check_same_as_peer({"hexyl", "--color=never", "-v", f}, panel({"-v", f}));
        check_same_as_peer({"hexyl", "--color=never", "--border", "none", f},
                           panel({"--border", "none", f}));
    }
}

TEST_CASE("bufdump -f panel shows -s and -o offsets as hexyl -s and -o") {
    TempDir dir;
    std::string f = dir / "in";
    write_file(f, every_class(100, 1));
    check_same_as_peer({"hexyl", "--color=never", "-s", "3", f}, panel({"-s", "3", f}));
    check_same_as_peer({"hexyl", "--color=never", "-s", "3", "-n", "20", f},
                       panel({"-s", "3", "-n", "20", f}));
    check_same_as_peer({"hexyl", "--color=never", "-o", "4294967296", f},
                       panel({"-o", "4294967296", f}));
}

TEST_CASE("bufdump -f panel --plain is --border none without color") {
    std::string data = every_class(40, 2);
    auto plain = run_ptool({"bufdump", "-f", "panel", "--plain", "--color=always"}, data);
    auto none = run_ptool(panel({"--border", "none"}), data);
    CHECK(plain.status == 0);
    CHECK(plain.out == none.out);
    CHECK(plain.out.find('\x1b') == std::string::npos);
}
