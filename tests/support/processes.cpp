// Helpers for tests of programs that outlive the command that starts them
// (tests/support/processes.hpp).
#include "processes.hpp"

#include <signal.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace ptool::test {

ProcessReaper::~ProcessReaper() {
    for (int pid : pids_) {
        ::kill(pid, SIGKILL);
        wait_until([&] { return !process_alive(pid); });
    }
}

int ProcessReaper::add(int pid) {
    if (pid > 0) pids_.push_back(pid);
    return pid;
}

int ProcessReaper::add_from_file(const std::string& pidfile) {
    std::ifstream f(pidfile);
    int pid = 0;
    f >> pid;
    return add(pid);
}

int parse_pid_line(const std::string& out) {
    REQUIRE(!out.empty());
    REQUIRE(out.back() == '\n');
    REQUIRE(out.find_first_not_of("0123456789") == out.size() - 1);
    return std::stoi(out);
}

std::string wait_for_lines(const std::string& path, size_t lines) {
    std::string text;
    wait_until([&] {
        std::ifstream f(path);
        std::stringstream ss;
        ss << f.rdbuf();
        text = ss.str();
        return static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) >= lines;
    });
    return text;
}

bool pidfile_locked(const std::string& path) {
    if (!std::filesystem::exists(path)) return false;
    return run({"flock", "--nonblock", "--shared", path, "true"}).status != 0;
}

long peak_rss_kib(const std::vector<std::string>& args, RunResult& r) {
    std::vector<std::string> cmd = {"/usr/bin/time", "-f", "%M", ptool_bin()};
    cmd.insert(cmd.end(), args.begin(), args.end());
    r = run(cmd);
    std::string err = r.err;
    while (!err.empty() && err.back() == '\n') err.pop_back();
    return std::stol(err.substr(err.find_last_of('\n') + 1));
}

long stat_field(int pid, int index) {
    std::string text;
    try {  // a process that exits between open and read makes the read fail (ESRCH), and throw
        std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
        text.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    } catch (const std::exception&) {
        return -1;
    }
    auto close = text.rfind(')');
    if (close == std::string::npos) return -1;
    std::istringstream rest(text.substr(close + 2));
    std::string field;
    for (int i = 3; rest >> field; ++i)
        if (i == index) return std::stol(field);
    return -1;
}

std::vector<int> group_members(int pgid) {
    std::vector<int> out;
    for (const auto& e : std::filesystem::directory_iterator("/proc")) {
        std::string name = e.path().filename();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        int pid = std::stoi(name);
        if (stat_field(pid, 5) == pgid && process_alive(pid)) out.push_back(pid);
    }
    return out;
}

long vm_hwm_kb(int pid) {
    std::string status = read_file("/proc/" + std::to_string(pid) + "/status");
    auto at = status.find("VmHWM:");
    return at == std::string::npos ? -1 : std::stol(status.substr(at + 6));
}

}  // namespace ptool::test
