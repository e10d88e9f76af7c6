// The parent side of launching: launch() prepares the child (launch_prepare.cpp),
// starts it by posix_spawn or fork (launch_child.cpp) and hands back a Child, the
// handle that signals, waits for and reaps it; ExitStatus and LaunchError say how
// it ended or why it never ran.
#include "libcommon/launch/launcher.hpp"

#include <grp.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "libcommon/core/parse.hpp"
#include "libcommon/launch/launch_prepare.hpp"

namespace ptool {

using namespace launch_detail;

namespace {

int exit_status_for(LaunchStep step, int err) {
    if (step != LaunchStep::exec) return exit_code::launch_failed;
    return err == ENOENT || err == ENOTDIR ? exit_code::not_found : exit_code::not_executable;
}

const char* step_prefix(LaunchStep step) {
    switch (step) {
        case LaunchStep::session: return "setsid: ";
        case LaunchStep::parent_death_signal: return "prctl: ";
        case LaunchStep::fds: return "dup2: ";
        case LaunchStep::groups: return "setgroups: ";
        case LaunchStep::gid: return "setgid: ";
        case LaunchStep::uid: return "setuid: ";
        default: return "";
    }
}

// Identity steps name whom ptool tried to become, then the operation: "user root: setgroups".
std::string launch_what(LaunchStep step, std::string_view what) {
    std::string prefix = step_prefix(step);
    if (step == LaunchStep::groups || step == LaunchStep::gid || step == LaunchStep::uid)
        return std::string(what) + ": " + prefix.substr(0, prefix.size() - 2);
    return prefix + std::string(what);
}

}  // namespace

LaunchError::LaunchError(LaunchStep step, int err, std::string_view what, std::string_view note)
    : SysError(launch_what(step, what), err, exit_status_for(step, err), note), step_(step) {}

bool ExitStatus::exited() const {
    return WIFEXITED(wait_status);
}
int ExitStatus::code() const {
    return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
}
int ExitStatus::signal() const {
    return WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : 0;
}
std::string ExitStatus::describe() const {
    return exited() ? "exited with status " + std::to_string(code())
                    : "was killed by " + signal_name(signal());
}
int ExitStatus::shell_status() const {
    return exited() ? code() : exit_code::signal_base + signal();
}
std::chrono::milliseconds ExitStatus::user_time() const {
    return std::chrono::milliseconds(usage.ru_utime.tv_sec * 1000 + usage.ru_utime.tv_usec / 1000);
}
std::chrono::milliseconds ExitStatus::system_time() const {
    return std::chrono::milliseconds(usage.ru_stime.tv_sec * 1000 + usage.ru_stime.tv_usec / 1000);
}

Child::Child(Child&& other) noexcept
    : stdio{std::move(other.stdio[0]), std::move(other.stdio[1]), std::move(other.stdio[2])},
      pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::move(other.pidfd_)),
      reaped_(other.reaped_),
      fast_(other.fast_),
      group_leader_(other.group_leader_) {}

Child& Child::operator=(Child&& other) noexcept {
    if (this != &other) {
        kill_and_reap();
        for (int i = 0; i < 3; ++i) stdio[i] = std::move(other.stdio[i]);
        pid_ = std::exchange(other.pid_, -1);
        pidfd_ = std::move(other.pidfd_);
        reaped_ = other.reaped_;
        fast_ = other.fast_;
        group_leader_ = other.group_leader_;
    }
    return *this;
}

Child::~Child() {
    kill_and_reap();
}

void Child::kill_and_reap() noexcept {
    if (!running()) return;
    if (group_leader_) signal_group(SIGKILL);
    signal(SIGKILL);
    try {
        wait();
    } catch (const SysError&) {  // ECHILD: someone else reaped it; nothing left to do
    }
}

ExitStatus Child::wait() {
    ExitStatus st;
    if (!running()) return st;
    while (::wait4(pid_, &st.wait_status, 0, &st.usage) < 0) {
        if (errno != EINTR) throw SysError("wait4", errno);
    }
    reaped_ = true;
    pidfd_.reset();
    return st;
}

std::optional<ExitStatus> Child::try_wait() {
    if (!running()) return std::nullopt;
    ExitStatus st;
    pid_t r;
    while ((r = ::wait4(pid_, &st.wait_status, WNOHANG, &st.usage)) < 0) {
        if (errno != EINTR) throw SysError("wait4", errno);
    }
    if (r == 0) return std::nullopt;
    reaped_ = true;
    pidfd_.reset();
    return st;
}

bool Child::signal(int sig) {
    if (!running()) return false;
    if (pidfd_) return ::syscall(SYS_pidfd_send_signal, pidfd_.get(), sig, nullptr, 0) == 0;
    return ::kill(pid_, sig) == 0;
}

bool Child::signal_group(int sig) {
    if (!running()) return false;
    return ::kill(-pid_, sig) == 0;
}

bool Child::signal_tree(int sig) {
    if (group_leader_ && signal_group(sig)) return true;
    return signal(sig);
}

pid_t Child::release() {
    pid_t pid = pid_;
    pid_ = -1;
    pidfd_.reset();
    return pid;
}

Child Child::adopt(pid_t pid, bool group_leader) {
    siginfo_t info{};
    if (pid <= 0 ||
        ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0)
        throw Error("pid " + std::to_string(pid) + " is not a child of this process");
    Child child;
    child.pid_ = pid;
    child.group_leader_ = group_leader;
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd >= 0) child.pidfd_.reset(pidfd);
    return child;
}

bool can_use_posix_spawn(const ChildSpec& spec) {
    return !spec.force_fork && !spec.uid && !spec.gid && !spec.groups && !spec.umask &&
           spec.parent_death_signal == 0 && spec.env_own_pid.empty();
}

Child launch(const ChildSpec& spec) {
    PreparedChild p = prepare(spec);
    Child child = std::move(p.child);
    child.fast_ = can_use_posix_spawn(spec);
    child.pid_ = child.fast_ ? launch_posix_spawn(spec, p) : launch_fork(spec, p);
    child.group_leader_ = spec.new_session || spec.new_process_group;
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, child.pid_, 0));
    if (pidfd >= 0) child.pidfd_.reset(pidfd);  // pidfd_open fds are close-on-exec
    return child;
}

std::pair<std::string, std::string> parse_env_assignment(std::string_view text) {
    size_t eq = text.find('=');
    if (eq == std::string_view::npos || eq == 0)
        throw UsageError("expected NAME=VALUE, got '" + std::string(text) + "'");
    return {std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

std::vector<gid_t> user_groups(const std::string& user, gid_t primary) {
    int n = 32;
    std::vector<gid_t> groups(static_cast<size_t>(n));
    while (::getgrouplist(user.c_str(), primary, groups.data(), &n) < 0)
        groups.resize(static_cast<size_t>(n));
    groups.resize(static_cast<size_t>(n));
    return groups;
}

bool stop_process(pid_t pid, int sig, std::chrono::nanoseconds grace) {
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!pidfd) {
        if (errno == ESRCH) return true;
        throw SysError("pid " + std::to_string(pid), errno);
    }
    auto send = [&](int s) {
        if (::syscall(SYS_pidfd_send_signal, pidfd.get(), s, nullptr, 0) < 0 && errno != ESRCH)
            throw SysError("kill pid " + std::to_string(pid), errno);
    };
    send(sig);
    if (wait_readable(pidfd.get(), grace)) return true;
    send(SIGKILL);
    return wait_readable(pidfd.get(), std::chrono::seconds(5));
}

}  // namespace ptool
