// bufdump's counts and reverse options as their peers read them: base64 -w's
// decimal, xxd -p -c0's one line, base64 -i's skipped garbage; bad values are
// one line naming the option, exit 2.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "test_support.hpp"

using namespace ptool::test;

namespace {

std::vector<std::string> bufdump(std::vector<std::string> args) {
    args.insert(args.begin(), "bufdump");
    return args;
}

// One line on stderr, starting with `prefix`, and exit status 2.
void check_usage_error(const std::vector<std::string>& args, const std::string& prefix) {
    INFO("args: " << args.size() << " last: " << args.back());
    auto r = run_ptool(bufdump(args), std::string("hi\n"));
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    CHECK(r.err.rfind(prefix, 0) == 0);
    CHECK(r.err.find('\n') == r.err.size() - 1);
    CHECK(r.err.size() < 120);
}

}  // namespace

TEST_CASE("bufdump rejects negative, empty and huge counts in one line with exit 2") {
    std::string huge(300, '7');
    check_usage_error({"-c", "-1"}, "ptool bufdump: --cols: '-1' is negative");
    check_usage_error({"-f", "base64", "--wrap", "-1"}, "ptool bufdump: --wrap: '-1' is negative");
    check_usage_error({"-c", huge},
                      "ptool bufdump: --cols: '77777777777777777777...' is too large");
    check_usage_error({"-g", huge},
                      "ptool bufdump: --group: '77777777777777777777...' is too large");
    check_usage_error({"-f", "base64", "--wrap", huge}, "ptool bufdump: --wrap: ");
    check_usage_error({"-c", ""}, "ptool bufdump: --cols: empty value");  // as every option
    check_usage_error({"-g", "2x"}, "ptool bufdump: --group: '2x' is not a number");
    check_usage_error({"-c", "99999999999"}, "ptool bufdump: --cols: '99999999999' is too large");
}

TEST_CASE("bufdump --wrap is decimal as base64 -w reads it: 08 is 8, 010 is 10") {
    RunOptions opts;
    opts.input = random_bytes(100, 5);
    for (const char* w : {"08", "010", "7", "0"}) {
        INFO("--wrap " << w);
        auto want = run({"base64", "-w", w}, opts);
        auto got = run_ptool(bufdump({"-f", "base64", "--wrap", w}), opts);
        CHECK(got.status == 0);
        CHECK(got.out == want.out);
    }
}

TEST_CASE("bufdump -f hex -c 0 writes one unwrapped line as xxd -p -c0") {
    for (size_t n : {0, 1, 30, 31, 1000}) {
        RunOptions opts;
        opts.input = random_bytes(n, n + 1);
        auto want = run({"xxd", "-p", "-c0"}, opts);
        auto got = run_ptool(bufdump({"-f", "hex", "-c", "0"}), opts);
        CHECK(got.status == 0);
        CHECK(got.out == want.out);
    }
}

TEST_CASE("bufdump -r -i skips characters outside the alphabet as base64 -d -i") {
    std::string text = "aGVs*bG8g\nd2!9y bGQ=\n";
    RunOptions opts;
    opts.input = text;
    auto want = run({"base64", "-d", "-i"}, opts);
    REQUIRE(want.status == 0);
    auto got = run_ptool(bufdump({"-r", "-f", "base64", "-i"}), opts);
    CHECK(got.status == 0);
    CHECK(got.out == want.out);
    got = run_ptool(bufdump({"-r", "-f", "base64", "--ignore-garbage"}), opts);
    CHECK(got.out == want.out);
    // Without -i the strict error stays, with line and column.
    got = run_ptool(bufdump({"-r", "-f", "base64"}), opts);
    CHECK(got.status == 1);
    CHECK(got.err == "ptool bufdump: -:1:5: invalid base64 character '*'\n");
    // hex likewise.
    got = run_ptool(bufdump({"-r", "-f", "hex", "-i"}), std::string("x41-42:43\n"));
    CHECK(got.status == 0);
    CHECK(got.out == "ABC");
    got = run_ptool(bufdump({"-r", "-f", "hex"}), std::string("41\n4-2\n"));
    CHECK(got.status == 1);
    CHECK(got.err == "ptool bufdump: -:2:2: invalid hex character '-'\n");
}

TEST_CASE("bufdump -i goes only with reading hex or base64") {
    check_usage_error({"-i"}, "ptool bufdump: -i goes with");
    check_usage_error({"-r", "-i"}, "ptool bufdump: -i goes with");
}
