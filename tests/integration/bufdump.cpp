// bufdump as a user meets it, byte for byte against the real peers: Debian's
// xxd, util-linux hexdump -C, coreutils base64, iconv and Node.js's Buffer.
#include <catch2/catch.hpp>

#include <cstring>
#include <sstream>

#include "libcommon/bytes/hex.hpp"
#include "test_support.hpp"

using namespace ptool::test;

namespace {

// The peer's and ptool's stdout and exit status, compared.
void check_same(const std::vector<std::string>& peer, const std::vector<std::string>& args,
                const std::string& input = "") {
    RunOptions opts;
    opts.input = input;
    auto want = run(peer, opts);
    auto got = run_ptool(args, opts);
    INFO("peer: " << peer[0] << " ... " << peer.back() << "; ptool args: " << args.size());
    CHECK(got.status == want.status);
    CHECK(got.out == want.out);
}

std::vector<std::string> bufdump(std::vector<std::string> args) {
    args.insert(args.begin(), "bufdump");
    return args;
}

const size_t kSizes[] = {0, 1, 2, 3, 15, 16, 17, 31, 32, 33, 57, 58, 100, 255, 1000, 4097};

}  // namespace

TEST_CASE("bufdump writes xxd's default dump for inputs of many sizes") {
    TempDir dir;
    for (size_t n : kSizes) {
        std::string f = dir / ("in" + std::to_string(n));
        write_file(f, random_bytes(n, n));
        check_same({"xxd", f}, bufdump({f}));
    }
}

TEST_CASE("bufdump matches xxd for columns 1 to 32 and several group sizes") {
    TempDir dir;
    std::string f = dir / "in";
    write_file(f, random_bytes(77, 7) + "Hello, world!\n\t\x7f");
    for (int c = 1; c <= 32; ++c) {
        for (int g : {0, 1, 2, 3, 4, 8, 16}) {
            if (c > 8 && g != 2 && c % 7 != 0) continue;  // every group size on a spread of widths
            std::string cs = std::to_string(c), gs = std::to_string(g);
            check_same({"xxd", "-c", cs, "-g", gs, f}, bufdump({"-c", cs, "-g", gs, f}));
        }
    }
    check_same({"xxd", "-c", "256", f}, bufdump({"-c", "256", f}));
}

TEST_CASE("bufdump -u matches xxd -u") {
    TempDir dir;
    std::string f = dir / "in";
    write_file(f, random_bytes(300, 1));
    check_same({"xxd", "-u", f}, bufdump({"-u", f}));
    check_same({"xxd", "-u", "-g", "1", "-c", "9", f}, bufdump({"-u", "-g", "1", "-c", "9", f}));
}

TEST_CASE("bufdump -s and -n select bytes and offsets as xxd -s and -l do") {
    TempDir dir;
    std::string f = dir / "in";
    write_file(f, random_bytes(1000, 2));
    for (const char* s : {"0", "1", "15", "16", "17", "999", "-1", "-16", "-17", "-1000"}) {
        check_same({"xxd", "-s", s, f}, bufdump({"-s", s, f}));
        check_same({"xxd", "-s", s, "-l", "33", f}, bufdump({"-s", s, "-n", "33", f}));
    }
    check_same({"xxd", "-l", "0", f}, bufdump({"-n", "0", f}));
}

TEST_CASE("bufdump seeking past the end writes nothing and exits 0") {
    TempDir dir;
    std::string f = dir / "in";
    write_file(f, "short");
    auto r = run_ptool(bufdump({"-s", "100", f}));
    CHECK(r.status == 0);
    CHECK(r.out.empty());
    check_same({"xxd", "-s", "100", f}, bufdump({"-s", "100", f}));
}

TEST_CASE("bufdump -s on a pipe skips by reading as xxd does") {
    std::string data = random_bytes(200, 3);
    check_same({"xxd", "-s", "37"}, bufdump({"-s", "37"}), data);
}

TEST_CASE("bufdump refuses a negative seek on a pipe and one before the start") {
    auto r = run_ptool(bufdump({"-s", "-5"}), std::string("abcdefgh"));
    CHECK(r.status == 1);
    CHECK(r.err.find("ptool bufdump: -: cannot seek from the end") == 0);
    TempDir dir;
    write_file(dir / "in", "abc");
    r = run_ptool(bufdump({"-s", "-5", dir / "in"}));
    CHECK(r.status == 1);
    CHECK(r.out.empty());
}

TEST_CASE("bufdump -f hexdump is hexdump -C including squeezed lines") {
    TempDir dir;
    for (size_t n : kSizes) {
        std::string f = dir / ("in" + std::to_string(n));
        write_file(f, random_bytes(n, n + 100));
        check_same({"hexdump", "-C", f}, bufdump({"-f", "hexdump", f}));
    }
    std::string f = dir / "repeats";
    write_file(f, std::string(100, 'a') + std::string(64, '\0') + "x" + std::string(48, '\0') +
                      std::string(32, 'b'));
    check_same({"hexdump", "-C", f}, bufdump({"-f", "hexdump", f}));
    write_file(f, std::string(4096, '\0'));
    check_same({"hexdump", "-C", f}, bufdump({"-f", "hexdump", f}));
    check_same({"hexdump", "-C", "-s", "5", "-n", "100", f},
               bufdump({"-f", "hexdump", "-s", "5", "-n", "100", f}));
}

TEST_CASE("bufdump -f hexdump writes nothing for empty input") {
    auto r = run_ptool(bufdump({"-f", "hexdump"}), std::string());
    CHECK(r.status == 0);
    CHECK(r.out.empty());
    TempDir dir;
    write_file(dir / "in", "short");
    r = run_ptool(bufdump({"-f", "hexdump", "-s", "100", dir / "in"}));
    CHECK(r.status == 0);
    CHECK(r.out.empty());
}

TEST_CASE("bufdump -f base64 is coreutils base64 with its wrapping") {
    TempDir dir;
    for (size_t n : kSizes) {
        std::string f = dir / ("in" + std::to_string(n));
        write_file(f, random_bytes(n, n + 200));
        check_same({"base64", f}, bufdump({"-f", "base64", f}));
        check_same({"base64", "-w0", f}, bufdump({"-f", "base64", "--wrap", "0", f}));
        check_same({"base64", "-w7", f}, bufdump({"-f", "base64", "--wrap", "7", f}));
    }
}

TEST_CASE("bufdump -f c is xxd -i with the array named as xxd names it") {
    TempDir dir;
    for (size_t n : {0, 1, 12, 13, 24, 100}) {
        std::string name = "9a-b." + std::to_string(n) + ".bin";
        write_file(dir / name, random_bytes(n, n + 300));
        RunOptions in_dir;
        in_dir.cwd = dir.path().string();
        auto want = run({"xxd", "-i", name}, in_dir);
        auto got = run_ptool(bufdump({"-f", "c", name}), in_dir);
        CHECK(got.out == want.out);
        want = run({"xxd", "-i", "-c", "5", "-u", name}, in_dir);
        got = run_ptool(bufdump({"-f", "c", "-c", "5", "-u", name}), in_dir);
        CHECK(got.out == want.out);
        check_same({"xxd", "-i"}, bufdump({"-f", "c"}), random_bytes(n, n + 300));
    }
}

TEST_CASE("bufdump -f bits is xxd -b") {
    TempDir dir;
    std::string f = dir / "in";
    write_file(f, random_bytes(50, 4));
    check_same({"xxd", "-b", f}, bufdump({"-f", "bits", f}));
    check_same({"xxd", "-b", "-c", "4", f}, bufdump({"-f", "bits", "-c", "4", f}));
    check_same({"xxd", "-b", "-c", "8", "-g", "3", f},
               bufdump({"-f", "bits", "-c", "8", "-g", "3", f}));
}

TEST_CASE("bufdump -f hex is wrapped as xxd -p unless --wrap says otherwise") {
    TempDir dir;
    for (size_t n : kSizes) {
        std::string f = dir / ("in" + std::to_string(n));
        write_file(f, random_bytes(n, n + 400));
        check_same({"xxd", "-p", f}, bufdump({"-f", "hex", f}));
        check_same({"xxd", "-p", "-c", "4", f}, bufdump({"-f", "hex", "-c", "4", f}));
    }
    auto r = run_ptool(bufdump({"-f", "hex", "--wrap", "0"}), std::string("\x01\xab", 2));
    CHECK(r.out == "01ab");
    r = run_ptool(bufdump({"-f", "hex", "--wrap", "3"}), std::string("\x01\xab", 2));
    CHECK(r.out == "01a\nb\n");
}

TEST_CASE("bufdump output round-trips through -r for every reversible format") {
    for (const char* format : {"xxd", "hex", "base64", "base64url", "json"}) {
        for (size_t n : kSizes) {
            std::string data = random_bytes(n, n * 31 + 5);
            auto dump = run_ptool(bufdump({"-f", format}), data);
            REQUIRE(dump.status == 0);
            auto back = run_ptool(bufdump({"-r", "-f", format}), dump.out);
            INFO(format << " of " << n << " bytes");
            CHECK(back.status == 0);
            CHECK(back.out == data);
        }
    }
}

TEST_CASE("bufdump -r reads xxd dumps of any layout as xxd -r does") {
    TempDir dir;
    std::string f = dir / "in";
    std::string data = random_bytes(1000, 9);
    write_file(f, data);
    for (const char* cg : {"16/2", "1/1", "7/3", "32/0", "13/4", "256/8"}) {
        std::string c(cg, std::strchr(cg, '/')), g(std::strchr(cg, '/') + 1);
        auto dump = run({"xxd", "-c", c, "-g", g, f});
        // As xxd -r, a line gives at most -c bytes: wider dumps need their -c.
        auto back = run_ptool(bufdump({"-r", "-c", c}), dump.out);
        CHECK(back.status == 0);
        CHECK(back.out == data);
        auto upper = run({"xxd", "-u", "-c", c, "-g", g, f});
        CHECK(run_ptool(bufdump({"-r", "-c", c}), upper.out).out == data);
    }
    check_same({"xxd", "-r"}, bufdump({"-r"}), "00000004: 4142  AB\n00000008: 43  C\n");
}

TEST_CASE("bufdump -r names line and column of bad hex and exits 1") {
    auto r = run_ptool(bufdump({"-r", "-f", "hex"}), std::string("00ff\n0g"));
    CHECK(r.status == 1);
    CHECK(r.err == "ptool bufdump: -:2:2: invalid hex character 'g'\n");
    CHECK(r.out == std::string("\x00\xff", 2));
}

TEST_CASE("bufdump -r rejects an odd number of hex digits") {
    auto r = run_ptool(bufdump({"-r", "-f", "hex"}), std::string("abc\n"));
    CHECK(r.status == 1);
    CHECK(r.err == "ptool bufdump: -:1:3: odd number of hex digits\n");
}

TEST_CASE("bufdump -r names line and column of bad base64 and exits 1") {
    auto r = run_ptool(bufdump({"-r", "-f", "base64"}), std::string("YWJj\nYW*j\n"));
    CHECK(r.status == 1);
    CHECK(r.err == "ptool bufdump: -:2:3: invalid base64 character '*'\n");
    CHECK(r.out == "abc");
    r = run_ptool(bufdump({"-r", "-f", "base64"}), std::string("YQ==YQ"));
    CHECK(r.status == 1);
    CHECK(r.err == "ptool bufdump: -:1:5: base64 data after '=' padding\n");
    r = run_ptool(bufdump({"-r", "-f", "base64"}), std::string("YWJjZ"));
    CHECK(r.status == 1);
    CHECK(r.err.find("-:1:5: truncated base64") != std::string::npos);
}

TEST_CASE("bufdump -r -f base64 accepts both alphabets and missing padding as Node does") {
    CHECK(run_ptool(bufdump({"-r", "-f", "base64"}), std::string("-_-_\n+/+/\nYQ")).out ==
          "\xfb\xff\xbf\xfb\xff\xbf"
          "a");
}

TEST_CASE("bufdump -r -f json reads JSON.stringify of a Buffer and reports bad values") {
    auto r = run_ptool(bufdump({"-r", "-f", "json"}),
                       std::string("{ \"type\": \"Buffer\",\n \"data\": [104, 105] }\n"));
    CHECK(r.status == 0);
    CHECK(r.out == "hi");
    r = run_ptool(bufdump({"-r", "-f", "json"}),
                  std::string("{\"type\":\"Buffer\",\"data\":[1,256]}"));
    CHECK(r.status == 1);
    CHECK(r.err == "ptool bufdump: -:1:28: byte value out of range 0..255\n");
}

TEST_CASE("bufdump rejects an unknown encoding with exit 2") {
    auto r = run_ptool(bufdump({"-f", "rot13"}), std::string("x"));
    CHECK(r.status == 2);
    CHECK(r.err.find("unknown encoding 'rot13'") != std::string::npos);
    r = run_ptool(bufdump({"--from", "hex", "--to", "ebcdic"}), std::string("x"));
    CHECK(r.status == 2);
    r = run_ptool(bufdump({"-r", "-f", "hexdump"}), std::string("x"));
    CHECK(r.status == 2);
}

TEST_CASE("bufdump reports a write error on a full device and exits 1") {
    auto r = run_shell("printf abc | \"$PTOOL\" bufdump > /dev/full");
    CHECK(r.status == 1);
    CHECK(r.err == "ptool bufdump: write error: No space left on device\n");
}

TEST_CASE("bufdump text encodings decode exactly as Node Buffer toString") {
    std::vector<std::string> cases = {
        "",         "41",       "ff",     "80",       "c3",    "c3a9",     "e282",
        "e282ac",   "e282ac41", "f09f98", "f09f9880", "c0af",  "e080af",   "eda080",
        "f4908080", "f5",       "fe41",   "41ff42",   "00d8",  "00d84100", "00dc",
        "3dd800de", "3dd8",     "3dd800", "410042",   "7f80c1"};
    for (uint64_t seed = 1; seed <= 12; ++seed)
        cases.push_back(ptool::hex_encode(random_bytes(seed * 5, seed)));
    // Node writes the decoded string as UTF-8, lone surrogates as U+FFFD: the same bytes
    // Buffer.from(str, 'utf8') gives.
    std::string script =
        "for (const h of process.argv.slice(1)) for (const e of "
        "['utf8','latin1','ascii','utf16le'])"
        " console.log(Buffer.from(Buffer.from(h,'hex').toString(e),'utf8').toString('hex'));";
    std::vector<std::string> node = {"node", "-e", script};
    node.insert(node.end(), cases.begin(), cases.end());
    auto want = run(node);
    REQUIRE(want.status == 0);
    std::istringstream lines(want.out);
    for (const auto& h : cases) {
        std::string bytes = run_ptool(bufdump({"-r", "-f", "hex"}), h).out;
        for (const char* enc : {"utf8", "latin1", "ascii", "utf16le"}) {
            std::string expected;
            std::getline(lines, expected);
            auto got = run_ptool(bufdump({"-f", enc}), bytes);
            INFO(enc << " of " << h);
            CHECK(got.status == 0);
            CHECK(ptool::hex_encode(got.out) == expected);
        }
    }
}

TEST_CASE("bufdump -r with a text encoding is Node Buffer.from of the UTF-8 text") {
    std::vector<std::string> cases = {"",         "41",   "c3a9", "e282ac",
                                      "f09f9880", "ff41", "e282", "c3a9f09f98"};
    for (uint64_t seed = 1; seed <= 6; ++seed)
        cases.push_back(ptool::hex_encode(random_bytes(seed * 7, seed + 50)));
    std::string script =
        "for (const h of process.argv.slice(1)) for (const e of "
        "['utf8','latin1','ascii','utf16le'])"
        " console.log(Buffer.from(Buffer.from(h,'hex').toString('utf8'),e).toString('hex'));";
    std::vector<std::string> node = {"node", "-e", script};
    node.insert(node.end(), cases.begin(), cases.end());
    auto want = run(node);
    REQUIRE(want.status == 0);
    std::istringstream lines(want.out);
    for (const auto& h : cases) {
        std::string bytes = run_ptool(bufdump({"-r", "-f", "hex"}), h).out;
        for (const char* enc : {"utf8", "latin1", "ascii", "utf16le"}) {
            std::string expected;
            std::getline(lines, expected);
            auto got = run_ptool(bufdump({"-r", "-f", enc}), bytes);
            INFO(enc << " of " << h);
            CHECK(ptool::hex_encode(got.out) == expected);
        }
    }
}

TEST_CASE("bufdump json and base64url match Node Buffer") {
    std::string data = random_bytes(40, 77);
    std::string hex = ptool::hex_encode(data);
    auto want = run({"node", "-e",
                     "const b=Buffer.from(process.argv[1],'hex');"
                     "console.log(JSON.stringify(b));console.log(b.toString('base64url'))",
                     hex});
    REQUIRE(want.status == 0);
    auto json = run_ptool(bufdump({"-f", "json"}), data);
    auto url = run_ptool(bufdump({"-f", "base64url", "--wrap", "0"}), data);
    CHECK(json.out + url.out + "\n" == want.out);
}

TEST_CASE("bufdump --from and --to convert as iconv and Node Buffer do") {
    CHECK(run_ptool(bufdump({"--from", "base64", "--to", "hex"}), std::string("aGk=\n")).out ==
          "6869\n");
    std::string latin1 = "caf\xe9 \xff\xa0";
    auto want = run({"iconv", "-f", "latin1", "-t", "utf-8"},
                    RunOptions{latin1, {}, {}, "", std::chrono::milliseconds(60000)});
    CHECK(run_ptool(bufdump({"--from", "latin1", "--to", "utf8"}), latin1).out == want.out);
    CHECK(run_ptool(bufdump({"--from", "utf8", "--to", "base64", "--wrap", "0"}),
                    std::string("h\xc3\xa9"))
              .out == "aMOp");
    CHECK(run_ptool(bufdump({"--from", "hex", "--to", "utf16le"}), std::string("68c3a9")).out ==
          std::string("h\0\xe9\0", 4));
    auto r = run_ptool(bufdump({"--from", "hex"}), std::string("00"));
    CHECK(r.status == 2);
}

TEST_CASE("bufdump --color=always colors bytes by class and never does not") {
    std::string data("\0A \x01\xff", 5);
    auto colored = run_ptool(bufdump({"--color=always"}), data);
    CHECK(colored.out.find("\x1b[90m00") != std::string::npos);  // NUL
    CHECK(colored.out.find("\x1b[36m41") != std::string::npos);  // printable
    CHECK(colored.out.find("\x1b[32m20") != std::string::npos);  // whitespace
    CHECK(colored.out.find("\x1b[35m01") != std::string::npos);  // other ASCII
    CHECK(colored.out.find("\x1b[33mff") != std::string::npos);  // non-ASCII
    auto plain = run_ptool(bufdump({"--color=never"}), data);
    CHECK(plain.out ==
          run({"xxd"}, RunOptions{data, {}, {}, "", std::chrono::milliseconds(60000)}).out);
    auto hd = run_ptool(bufdump({"-f", "hexdump", "--color=always"}), data);
    CHECK(hd.out.find("\x1b[33mff") != std::string::npos);
}
