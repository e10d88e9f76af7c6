// What bufdump's peer tests share: a bufdump command line, and ptool's stdout
// and exit status compared with the peer's (xxd, hexdump, hexyl) on one input.
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "test_support.hpp"

namespace ptool::test {

inline std::vector<std::string> bufdump(std::vector<std::string> args) {
    args.insert(args.begin(), "bufdump");
    return args;
}

inline void check_same_as_peer(const std::vector<std::string>& peer,
                               const std::vector<std::string>& args,
                               const std::string& input = "") {
    RunOptions opts;
    opts.input = input;
    auto want = run(peer, opts);
    auto got = run_ptool(args, opts);
    std::string line;
    for (const auto& a : args) line += a + " ";
    INFO("ptool " << line);
    CHECK(got.status == want.status);
    CHECK(got.out == want.out);
}

}  // namespace ptool::test
