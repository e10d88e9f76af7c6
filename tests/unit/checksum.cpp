// libcommon/checksum: coreutils name escaping and quoting, line formatting, and the
// --check line parser (GNU, BSD, escaped and md5 -r lines), plus fuzz regressions.
#include "tools/hashfile/checksum.hpp"

#include <catch2/catch.hpp>

using namespace ptool;

namespace {
const std::string kSha(64, 'a');
std::string line(const DigestInfo& info, std::string_view hex, std::string_view name, bool bsd,
                 char delim = '\n') {
    std::string out;
    append_checksum_line(out, info, hex, name, bsd, delim);
    return out;
}
}  // namespace

TEST_CASE("GNU lines escape backslash newline and CR as coreutils does") {
    const auto& sha = digest_info(DigestAlgo::sha256);
    CHECK(line(sha, "ab", "f", false) == "ab  f\n");
    CHECK(line(sha, "ab", "b\\s", false) == "\\ab  b\\\\s\n");
    CHECK(line(sha, "ab", "n\nl", false) == "\\ab  n\\nl\n");
    CHECK(line(sha, "ab", "c\rr", false) == "\\ab  c\\rr\n");
    CHECK(line(sha, "ab", "n\nl", true) == "\\SHA256 (n\\nl) = ab\n");
    CHECK(line(sha, "ab", "n\nl", false, '\0') == std::string("ab  n\nl\0", 8));
}

TEST_CASE("blake3 lines escape as b3sum and xxh lines as xxhsum") {
    const auto& b3 = digest_info(DigestAlgo::blake3);
    CHECK(line(b3, "ab", "c\rr", false) == "ab  c\rr\n");
    CHECK(line(b3, "ab", "b\\s", false) == "\\ab  b\\\\s\n");
    const auto& x64 = digest_info(DigestAlgo::xxh64);
    CHECK(line(x64, "ab", "b\\s", false) == "ab  b\\s\n");
    CHECK(line(digest_info(DigestAlgo::xxh3), "ab", "f", false) == "XXH3 (f) = ab\n");
}

TEST_CASE("quote_name quotes names as coreutils quotef does") {
    CHECK(quote_name("plain.txt") == "plain.txt");
    CHECK(quote_name("sp ace2") == "'sp ace2'");
    CHECK(quote_name("it's") == "\"it's\"");
    CHECK(quote_name("nl\nx") == "'nl'$'\\n''x'");
    CHECK(quote_name("a:b") == "'a:b'");
    CHECK(quote_name("#x") == "'#x'");
    CHECK(quote_name("x#") == "x#");
    CHECK(quote_name("a,b") == "a,b");
    CHECK(quote_name("\xc3\xa9t\xc3\xa9") == "\xc3\xa9t\xc3\xa9");
    CHECK(quote_name("\xff") == "''$'\\377'");
    CHECK(quote_name("a\\b") == "'a\\b'");
    CHECK(quote_name("a'b c") == "\"a'b c\"");
    CHECK(quote_name("") == "''");
    CHECK(quote_name("a{b}") == "a{b}");
    CHECK(quote_name("a^") == "'a^'");
}

TEST_CASE("check_line_body drops comments blank lines and line ends") {
    CHECK_FALSE(check_line_body("# comment\n"));
    CHECK_FALSE(check_line_body("\n"));
    CHECK_FALSE(check_line_body("\r\n"));
    CHECK(check_line_body("x\r\n") == "x");
    CHECK(check_line_body("x\r\r\n") == "x\r");
    CHECK(check_line_body("x") == "x");
}

TEST_CASE("the parser reads GNU text and binary lines") {
    CheckLineParser p;
    auto e = p.parse(kSha + "  name with  spaces ");
    REQUIRE(e);
    CHECK(e->algo == DigestAlgo::sha256);
    CHECK(e->file == "name with  spaces ");
    auto b = p.parse(kSha + " *bin");
    REQUIRE(b);
    CHECK(b->file == "bin");
}

TEST_CASE("the parser picks the algorithm from the digest length") {
    CheckLineParser p;
    CHECK(p.parse(std::string(32, '0') + "  f")->algo == DigestAlgo::md5);
    CHECK(p.parse(std::string(40, '0') + "  f")->algo == DigestAlgo::sha1);
    CHECK(p.parse(std::string(56, '0') + "  f")->algo == DigestAlgo::sha224);
    CHECK(p.parse(std::string(96, '0') + "  f")->algo == DigestAlgo::sha384);
    CHECK(p.parse(std::string(128, '0') + "  f")->algo == DigestAlgo::sha512);
    CHECK(p.parse(std::string(16, '0') + "  f")->algo == DigestAlgo::xxh64);
    CHECK_FALSE(p.parse(std::string(20, '0') + "  f"));
}

TEST_CASE("a forced algorithm fixes the digest length") {
    CheckLineParser p(DigestAlgo::blake3);
    auto e = p.parse(kSha + "  f");
    REQUIRE(e);
    CHECK(e->algo == DigestAlgo::blake3);
    // b3sum --length 16: another length of blake3 (refused before --length).
    CHECK(p.parse(std::string(32, '0') + "  f")->length == 16);
    CHECK_FALSE(p.parse(std::string(31, '0') + "  f"));
    CHECK_FALSE(p.parse("SHA256 (f) = " + kSha));
}

TEST_CASE("the parser reads BSD lines with each tag") {
    CheckLineParser p;
    auto e = p.parse("SHA256 (a (b)) = " + kSha);
    REQUIRE(e);
    CHECK(e->file == "a (b)");
    CHECK(e->algo == DigestAlgo::sha256);
    CHECK(p.parse("XXH3 (f) = 78af5f94892f3950")->algo == DigestAlgo::xxh3);
    CHECK(p.parse("BLAKE2b (f) = " + std::string(128, 'b'))->algo == DigestAlgo::blake2b);
    CHECK(p.parse("BLAKE2b-512 (f) = " + std::string(128, 'b'))->algo == DigestAlgo::blake2b);
    // b2sum -l 256: a shorter BLAKE2b, its length kept (it was refused before -l).
    CHECK(p.parse("BLAKE2b-256 (f) = " + kSha)->length == 32);
    CHECK_FALSE(p.parse("SHA256 (f) = " + kSha + "0"));
    CHECK_FALSE(p.parse("SHA256 f) = " + kSha));
    CHECK_FALSE(p.parse("SHA256 (f) " + kSha));
}

TEST_CASE("escaped names are unescaped and bad escapes rejected") {
    CheckLineParser p;
    CHECK(p.parse("\\" + kSha + "  n\\nl\\\\x\\r")->file == "n\nl\\x\r");
    CHECK(p.parse("\\SHA256 (n\\nl) = " + kSha)->file == "n\nl");
    CHECK_FALSE(p.parse("\\" + kSha + "  bad\\q"));
    CHECK_FALSE(p.parse("\\" + kSha + "  trailing\\"));
    CHECK(p.parse(kSha + "  raw\\q")->file == "raw\\q");
}

TEST_CASE("md5 -r lines are accepted but never mixed with GNU lines") {
    CheckLineParser reversed;
    CHECK(reversed.parse(kSha + " f")->file == "f");
    CHECK(reversed.parse(kSha + "  g")->file == " g");
    CheckLineParser gnu;
    CHECK(gnu.parse(kSha + "  g"));
    CHECK_FALSE(gnu.parse(kSha + " f"));
}

TEST_CASE("malformed lines are rejected") {
    CheckLineParser p;
    for (std::string bad :
         {std::string("garbage"), kSha, kSha + " ", kSha + "x  f", std::string(63, 'a') + "g  f",
          std::string("SHA256"), std::string("\\"), std::string("SHA256 (")})
        CHECK_FALSE(p.parse(bad));
}

TEST_CASE("fuzz regressions parse without crashing") {
    // Inputs kept from scripts/fuzz fuzz_check_line runs.
    CheckLineParser p;
    for (std::string input : {std::string("SHA256 ()"), std::string("SHA256 ("), std::string(")"),
                              std::string("\\SHA256 (\\"), std::string("XXH3 (\0) = 0", 12),
                              std::string(16, '0') + "\t*"})
        (void)p.parse(input);
    SUCCEED();
}
