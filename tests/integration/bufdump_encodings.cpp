// Encoding names as Node's Buffer.isEncoding takes them: any case, with its
// aliases (utf-8, ucs2, ucs-2, utf-16le, binary), for -f, --from and --to;
// checked against node itself.
#include <catch2/catch.hpp>

#include <sstream>

#include "test_support.hpp"

using namespace ptool::test;

namespace {

const char* const kNames[] = {"UTF8",    "utf-8",    "Utf-8",   "ucs-2",     "UCS2",    "ucs2",
                              "utf16le", "utf-16le", "UTF16LE", "base64URL", "BASE64",  "latin1",
                              "LATIN1",  "binary",   "Binary",  "hex",       "HEX",     "ascii",
                              "ASCII",   "utf16",    "utf-16",  "latin-1",   "unicode", "utf16-le"};

}  // namespace

TEST_CASE("bufdump takes the encoding names Buffer.isEncoding takes, in any case") {
    std::string script = "for (const n of process.argv.slice(1)) console.log(Buffer.isEncoding(n))";
    std::vector<std::string> argv = {"node", "-e", script};
    for (const char* n : kNames) argv.push_back(n);
    auto node = run(argv);
    REQUIRE(node.status == 0);
    std::istringstream answers(node.out);
    for (const char* name : kNames) {
        std::string answer;
        std::getline(answers, answer);
        INFO(name << ": node says " << answer);
        auto from = run_ptool({"bufdump", "--from", name, "--to", "hex"}, std::string("aGk="));
        CHECK((from.status != 2) == (answer == "true"));  // 2: an unknown encoding
        auto format = run_ptool({"bufdump", "-f", name}, std::string("hi"));
        CHECK((format.status == 0) == (answer == "true"));
    }
}

TEST_CASE("bufdump -f NAME writes what buf.toString(NAME) gives, for any spelling") {
    std::string data("h\xc3\xa9llo \xff\x00!\xd8", 11);
    std::string script =
        "process.stdout.write(require('fs').readFileSync(0).toString(process.argv[1]))";
    for (const char* name : {"UTF8", "ucs-2", "UCS2", "utf-16LE", "base64URL", "Latin1", "BINARY",
                             "HEX", "Ascii", "Base64"}) {
        RunOptions opts;
        opts.input = data;
        auto want = run({"node", "-e", script, name}, opts);
        auto got = run_ptool({"bufdump", "-f", name, "--wrap", "0"}, opts);
        INFO(name);
        CHECK(got.status == 0);
        CHECK(got.out == want.out);
    }
}
