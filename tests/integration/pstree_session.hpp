// A shell script run in a session of its own for the pstree tests: a subtree of
// sleeping processes the test owns, SIGKILLed as a whole (the session's process
// group) and its leader reaped when the object goes out of scope.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <string>

namespace ptool::test {

class Session {
public:
    explicit Session(const std::string& script) {
        pid_ = ::fork();
        if (pid_ == 0) {
            ::setsid();
            ::execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
        REQUIRE(pid_ > 0);
    }
    ~Session() {
        ::kill(-pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    pid_t pid() const { return pid_; }

private:
    pid_t pid_ = -1;
};

}  // namespace ptool::test
