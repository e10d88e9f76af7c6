// Helpers of the tests of --timeout and --kill-tree that spawn and exec share
// (tests/integration/spawn_timeout.cpp, exec_timeout.cpp): run options bounded well past
// the timeouts under test, timeout(1)'s C locale, and the setsid grandchild that
// --kill-tree must end and timeout(1) leaves behind.
#pragma once

#include <string>

#include "processes.hpp"
#include "test_support.hpp"

namespace ptool::test {

// A run that is SIGKILLed after 30 s (far past any timeout the tests give ptool).
RunOptions bounded();
// bounded() in the C locale: timeout(1) quotes the command with ASCII quotes there.
RunOptions c_locale();
// sh code that starts `setsid sleep 60` (which writes its pid to `pidfile` first, its
// stdio on /dev/null unless `keep_stdout`) and waits until the pid is there; `tail`
// then follows in the same sh.
std::string escaping_grandchild(const std::string& pidfile, const std::string& tail,
                                bool keep_stdout = false);
// The grandchild `pidfile` names, added to `reaper`, is gone or going: --kill-tree's
// promise (the kill is sent before ptool exits; the reaping is the kernel's).
void check_killed(ProcessReaper& reaper, const std::string& pidfile);

}  // namespace ptool::test
