// Running programs as a user would, for the integration tests (test_support.hpp).
#include "test_support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace ptool::test {

namespace {
// A child that exits without reading all its input must not kill the test with SIGPIPE:
// the write fails with EPIPE instead and the rest of the input is dropped.
[[maybe_unused]] const bool kSigpipeIgnored = [] {
    signal(SIGPIPE, SIG_IGN);
    return true;
}();
}  // namespace

std::string ptool_bin() {
    return PTOOL_BIN;
}
std::string source_dir() {
    return PTOOL_SOURCE_DIR;
}

int spawn_clean(pid_t& pid, const std::vector<std::string>& argv,
                const std::vector<std::string>& env, const posix_spawn_file_actions_t& fa) {
    std::vector<std::string> args = argv, env_strings = env;
    std::vector<char*> argp, envp;
    for (auto& s : args) argp.push_back(s.data());
    argp.push_back(nullptr);
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    int rc = posix_spawnp(&pid, argp[0], &fa, &attr, argp.data(), envp.data());
    posix_spawnattr_destroy(&attr);
    return rc;
}

RunResult run(const std::vector<std::string>& argv, const RunOptions& options) {
    std::map<std::string, std::string> env;
    for (char** e = environ; *e; ++e) {
        std::string_view kv = *e;
        auto eq = kv.find('=');
        if (eq != std::string_view::npos) env[std::string(kv.substr(0, eq))] = kv.substr(eq + 1);
    }
    for (const auto& k : options.unset) env.erase(k);
    for (const auto& [k, v] : options.env) env[k] = v;
    std::vector<std::string> env_strings;
    for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);

    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
        throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    if (!options.cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, options.cwd.c_str());
    pid_t pid;
    int rc = spawn_clean(pid, argv, env_strings, fa);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    close(err[1]);
    if (rc != 0) {
        close(in[1]);
        close(out[0]);
        close(err[0]);
        throw std::runtime_error("cannot run " + argv[0] + ": " + strerror(rc));
    }
    RunResult result;
    size_t written = 0;
    if (options.input.empty()) {
        close(in[1]);
        in[1] = -1;
    } else {
        fcntl(in[1], F_SETFL, O_NONBLOCK);
    }
    auto deadline = std::chrono::steady_clock::now() + options.timeout;
    bool out_open = true, err_open = true;
    char buf[65536];
    while (out_open || err_open) {
        pollfd fds[3];
        int n = 0;
        int out_i = -1, err_i = -1, in_i = -1;
        if (out_open) fds[out_i = n++] = {out[0], POLLIN, 0};
        if (err_open) fds[err_i = n++] = {err[0], POLLIN, 0};
        if (in[1] >= 0) fds[in_i = n++] = {in[1], POLLOUT, 0};
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            result.timed_out = true;
            kill(pid, SIGKILL);
            break;
        }
        int r = poll(fds, n, static_cast<int>(std::min<long long>(left.count(), 1000)));
        if (r < 0 && errno == EINTR) continue;
        auto drain = [&](int idx, int fd, std::string& to, bool& open) {
            if (idx < 0 || !(fds[idx].revents & (POLLIN | POLLHUP | POLLERR))) return;
            ssize_t got = read(fd, buf, sizeof buf);
            if (got > 0)
                to.append(buf, static_cast<size_t>(got));
            else if (got == 0 || errno != EINTR)
                open = false;
        };
        drain(out_i, out[0], result.out, out_open);
        drain(err_i, err[0], result.err, err_open);
        if (in_i >= 0 && (fds[in_i].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t put =
                write(in[1], options.input.data() + written, options.input.size() - written);
            if (put > 0) written += static_cast<size_t>(put);
            if (put < 0 && errno != EAGAIN && errno != EINTR) written = options.input.size();
            if (written == options.input.size()) {
                close(in[1]);
                in[1] = -1;
            }
        }
    }
    if (in[1] >= 0) close(in[1]);
    close(out[0]);
    close(err[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

RunResult run_ptool(const std::vector<std::string>& args, const RunOptions& options) {
    std::vector<std::string> argv{ptool_bin()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, options);
}

RunResult run_ptool(const std::vector<std::string>& args, std::string input) {
    RunOptions options;
    options.input = std::move(input);
    return run_ptool(args, options);
}

RunResult run_shell(const std::string& script, const RunOptions& options) {
    RunOptions with_ptool = options;
    with_ptool.env.emplace("PTOOL", ptool_bin());
    return run({"/bin/sh", "-c", script}, with_ptool);
}

TempDir::TempDir() {
    const char* base = getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/ptool-test.XXXXXX";
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

void write_file(const std::string& path, std::string_view data) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(data.data(), static_cast<std::streamsize>(data.size()));
    if (!f) throw std::runtime_error("cannot write " + path);
}

std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error("cannot read " + path);
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::string random_bytes(size_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::string out(n, '\0');
    for (auto& c : out) c = static_cast<char>(rng() & 0xff);
    return out;
}

std::string shell_quote(std::string_view s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    return out + "'";
}

bool process_alive(int pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(f, line)) return false;
    auto rp = line.rfind(')');
    return rp != std::string::npos && rp + 2 < line.size() && line[rp + 2] != 'Z';
}

std::vector<int> zombie_children(int ppid) {
    std::vector<int> out;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        std::string name = entry.path().filename();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream f(entry.path() / "stat");
        std::string line;
        if (!std::getline(f, line)) continue;
        auto rp = line.rfind(')');
        if (rp == std::string::npos) continue;
        std::istringstream rest(line.substr(rp + 2));
        char state;
        int parent;
        rest >> state >> parent;
        if (state == 'Z' && parent == ppid) out.push_back(std::stoi(name));
    }
    return out;
}

}  // namespace ptool::test
