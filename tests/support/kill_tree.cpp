// The --timeout and --kill-tree test helpers (see kill_tree.hpp).
#include "kill_tree.hpp"

#include <catch2/catch.hpp>

#include <chrono>

namespace ptool::test {

RunOptions bounded() {
    RunOptions options;
    options.timeout = std::chrono::seconds(30);
    return options;
}

RunOptions c_locale() {
    RunOptions options = bounded();
    options.env["LC_ALL"] = "C";
    return options;
}

std::string escaping_grandchild(const std::string& pidfile, const std::string& tail,
                                bool keep_stdout) {
    return "setsid sh -c 'echo $$ > " + pidfile + "; exec sleep 60' " +
           (keep_stdout ? "" : "</dev/null >/dev/null 2>&1 ") + "& until [ -s " + pidfile +
           " ]; do sleep 0.01; done; " + tail;
}

void check_killed(ProcessReaper& reaper, const std::string& pidfile) {
    wait_for_lines(pidfile);
    int left = reaper.add_from_file(pidfile);
    REQUIRE(left > 0);
    CHECK(wait_until([&] { return !process_alive(left); }));
}

}  // namespace ptool::test
