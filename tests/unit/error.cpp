// Error kinds, their exit statuses and message forms.
#include <catch2/catch.hpp>
#include <cerrno>

#include "libcommon/core/error.hpp"

using namespace ptool;

TEST_CASE("SysError formats WHAT: WHY and keeps errno") {
    SysError e("/etc/shadow", EACCES);
    CHECK(std::string(e.what()) == "/etc/shadow: Permission denied");
    CHECK(e.err() == EACCES);
    CHECK(e.exit_status() == exit_code::failure);
}

TEST_CASE("UsageError exits 2 and Error carries its own status") {
    CHECK(UsageError("x").exit_status() == 2);
    CHECK(Error("y", exit_code::launch_failed).exit_status() == 125);
}

TEST_CASE("program name prefixes reports") {
    set_program_name("ptool test");
    CHECK(program_name() == "ptool test");
    set_program_name("ptool");
}

TEST_CASE("exit codes match the spec") {
    CHECK(exit_code::timed_out == 124);
    CHECK(exit_code::launch_failed == 125);
    CHECK(exit_code::not_executable == 126);
    CHECK(exit_code::not_found == 127);
}
