// bufdump --color: one SGR escape per run of a byte class (issue 12/13), the
// same text as the plain dump once the escapes are taken out, and at most 3x
// the plain size on mixed data.
#include <catch2/catch.hpp>

#include "bufdump_harness.hpp"

using namespace ptool::test;

namespace {

std::string strip_escapes(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\x1b') {
            size_t m = s.find('m', i);
            REQUIRE(m != std::string::npos);
            i = m;
            continue;
        }
        out += s[i];
    }
    return out;
}

size_t count(const std::string& s, std::string_view what) {
    size_t n = 0;
    for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
    return n;
}

// Text, binary and NUL runs, as a real file mixes them.
std::string mixed_data() {
    std::string s;
    for (int k = 0; k < 20; ++k) {
        s += "The quick brown fox jumps over the lazy dog.\n\tline " + std::to_string(k) + "\n";
        s += random_bytes(97, static_cast<uint64_t>(k));
        s += std::string(40, '\0');
    }
    return s;
}

}  // namespace

TEST_CASE("bufdump --color writes one escape per run of a byte class") {
    auto r = run_ptool(bufdump({"--color=always"}), std::string(16, 'A'));
    // One color for the hex run, kept through the text column, one reset.
    CHECK(r.out ==
          "00000000: \x1b[36m4141 4141 4141 4141 4141 4141 4141 4141  AAAAAAAAAAAAAAAA"
          "\x1b[0m\n");
    r = run_ptool(bufdump({"--color=always"}), std::string("AB\0\0", 4));
    CHECK(r.out == "00000000: \x1b[36m4142 \x1b[90m0000" + std::string(32, ' ') +
                       "\x1b[36mAB\x1b[90m..\x1b[0m\n");
}

TEST_CASE("bufdump --color=always is the plain dump once the escapes are removed") {
    std::string data = mixed_data();
    for (std::vector<std::string> args : {std::vector<std::string>{},
                                          {"-f", "bits"},
                                          {"-e"},
                                          {"-c", "7", "-g", "3"},
                                          {"-d", "-E"},
                                          {"-f", "hexdump"},
                                          {"-f", "panel"},
                                          {"-f", "panel", "--border", "ascii"},
                                          {"--as", "u16"}}) {
        auto plain = run_ptool(bufdump(args), data);
        args.push_back("--color=always");
        auto colored = run_ptool(bufdump(args), data);
        INFO(args[0]);
        CHECK(colored.status == 0);
        CHECK(strip_escapes(colored.out) == plain.out);
        CHECK(colored.out.size() <= 3 * plain.out.size());
    }
}

TEST_CASE("bufdump -f hexdump --color keeps the bars and the offset uncolored") {
    auto r = run_ptool(bufdump({"-f", "hexdump", "--color=always"}), std::string("AB"));
    CHECK(r.out == "00000000  \x1b[36m41 42" + std::string(45, ' ') +
                       "\x1b[0m|\x1b[36mAB\x1b[0m|\n00000002\n");
    CHECK(count(r.out, "\x1b[36m") == 2);
}
