// Helpers for tests that run programs as a user would: the built ptool and the
// real peers (xxd, sha256sum, psmisc pstree, node). Independent of libcommon's
// launcher on purpose, so a launcher bug cannot hide itself in its own tests.
#pragma once

#include <spawn.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ptool::test {

struct RunResult {
    int status = -1;  // exit code, or 128+N when killed by signal N
    std::string out;
    std::string err;
    bool timed_out = false;
};

struct RunOptions {
    std::string input;                         // written to the child's stdin, then closed
    std::map<std::string, std::string> env;    // added to (or replacing in) the environment
    std::vector<std::string> unset;            // removed from the environment
    std::string cwd;                           // empty: inherit
    std::chrono::milliseconds timeout{60000};  // the child is SIGKILLed past it
};

// posix_spawnp of argv with the environment `env` ("K=V" each) and the file actions
// `fa`, the signal mask empty and every signal at its default, whatever the test
// runner's were. Returns posix_spawnp's result (0: `pid` is set).
int spawn_clean(pid_t& pid, const std::vector<std::string>& argv,
                const std::vector<std::string>& env, const posix_spawn_file_actions_t& fa);

// Runs argv[0] (searched in PATH) and waits for it, capturing stdout and stderr.
RunResult run(const std::vector<std::string>& argv, const RunOptions& options = {});
// Runs the built ptool binary with `args`.
RunResult run_ptool(const std::vector<std::string>& args, const RunOptions& options = {});
RunResult run_ptool(const std::vector<std::string>& args, std::string input);
// Runs `sh -c SCRIPT`; PTOOL is set in its environment to the built binary.
RunResult run_shell(const std::string& script, const RunOptions& options = {});

// Path of the built ptool and of the source tree.
std::string ptool_bin();
std::string source_dir();

// A fresh directory under $TMPDIR, removed with everything in it on destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::string operator/(std::string_view name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

void write_file(const std::string& path, std::string_view data);
std::string read_file(const std::string& path);
// Deterministic pseudo-random bytes.
std::string random_bytes(size_t n, uint64_t seed);
// Shell-quotes one word.
std::string shell_quote(std::string_view s);
// Waits until `pred` holds or `timeout` passes; returns whether it held.
template <typename Pred>
bool wait_until(Pred pred, std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
// True when /proc/PID exists and is not a zombie.
bool process_alive(int pid);
// Pids of zombie processes whose parent is `ppid`.
std::vector<int> zombie_children(int ppid);

}  // namespace ptool::test

#include <thread>
template <typename Pred>
bool ptool::test::wait_until(Pred pred, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (pred()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred();
}
