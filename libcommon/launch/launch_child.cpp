// Starting the prepared child: posix_spawn with the signal mask and dispositions
// reset, or fork and the child-side setup (session, fds, cwd, credentials, exec)
// reporting a failed step through a close-on-exec pipe. Everything that runs in the
// fork child is async-signal-safe and allocation-free (fish's postfork rule).
#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "libcommon/launch/launch_prepare.hpp"

namespace ptool::launch_detail {

namespace {

// posix_spawn runs the one path we pick here the way execvp would: the first
// executable candidate, else the first existing one (EACCES), else the first (ENOENT).
const std::string& pick_candidate(const ChildSpec& spec, const PreparedChild& p) {
    if (p.candidates.size() == 1) return p.candidates[0];
    const std::string* existing = nullptr;
    for (const auto& c : p.candidates) {
        std::string path = (!spec.cwd.empty() && !c.starts_with("/")) ? spec.cwd + "/" + c : c;
        struct stat st;
        if (::stat(path.c_str(), &st) < 0) continue;
        if (!S_ISDIR(st.st_mode) && ::access(path.c_str(), X_OK) == 0) return c;
        if (!existing) existing = &c;
    }
    return existing ? *existing : p.candidates[0];
}

}  // namespace

pid_t launch_posix_spawn(const ChildSpec& spec, PreparedChild& p) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    for (const auto& m : p.mappings)
        posix_spawn_file_actions_adddup2(&actions, m.parent_fd, m.child_fd);
    for (int fd = 3; fd <= p.max_target; ++fd)
        if (std::none_of(p.mappings.begin(), p.mappings.end(),
                         [&](const FdMapping& m) { return m.child_fd == fd; }))
            posix_spawn_file_actions_addclose(&actions, fd);
    posix_spawn_file_actions_addclosefrom_np(&actions, p.max_target + 1);
    if (!spec.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, spec.cwd.c_str());

    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    // glibc's sigfillset leaves out its internal signals 32 and 33, and its spawn child
    // then sets them to SIG_IGN, which survives exec; listing them resets them too.
    all.__val[0] |= (1UL << (32 - 1)) | (1UL << (33 - 1));
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (spec.new_session) {
        flags |= POSIX_SPAWN_SETSID;
    } else if (spec.new_process_group) {
        flags |= POSIX_SPAWN_SETPGROUP;
        posix_spawnattr_setpgroup(&attr, 0);
    }
    posix_spawnattr_setflags(&attr, flags);

    const std::string& program = pick_candidate(spec, p);
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, program.c_str(), &actions, &attr, p.argv.data(), p.envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {  // glibc has already reaped the failed child
        if (!spec.cwd.empty())
            if (int err = cwd_problem(spec.cwd))
                throw LaunchError(LaunchStep::chdir, err, cwd_what(spec));
        throw exec_failure(spec, program, rc);
    }
    return pid;
}

namespace {

// ---- fork path: everything below until launch_fork runs in the child ----

[[noreturn]] void child_fail(int error_fd, LaunchStep step, int err) {
    ChildFailure f{static_cast<int>(step), err};
    ssize_t ignored = ::write(error_fd, &f, sizeof f);
    (void)ignored;
    ::_exit(exit_code::launch_failed);
}

void format_pid(char* out, pid_t pid) {
    char digits[24];
    int n = 0;
    auto v = static_cast<unsigned long>(pid);
    do {
        digits[n++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) *out++ = digits[--n];
    *out = '\0';
}

[[noreturn]] void run_child(const ChildSpec& spec, PreparedChild& p, int error_fd, pid_t parent) {
    struct sigaction dfl;
    std::memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);  // EINVAL: ignored

    if (spec.new_session) {
        if (::setsid() < 0) child_fail(error_fd, LaunchStep::session, errno);
    } else if (spec.new_process_group) {
        if (::setpgid(0, 0) < 0) child_fail(error_fd, LaunchStep::session, errno);
    }
    if (spec.parent_death_signal) {
        if (::prctl(PR_SET_PDEATHSIG, spec.parent_death_signal) < 0)
            child_fail(error_fd, LaunchStep::parent_death_signal, errno);
        if (::getppid() != parent) ::kill(::getpid(), spec.parent_death_signal);  // already gone
    }
    for (const auto& m : p.mappings)
        if (::dup2(m.parent_fd, m.child_fd) < 0) child_fail(error_fd, LaunchStep::fds, errno);
    for (int fd = 3; fd <= p.max_target; ++fd) {
        bool target = false;
        for (const auto& m : p.mappings) target |= m.child_fd == fd;
        if (!target) ::close(fd);
    }
    // Close-on-exec rather than close: the error pipe must live until exec.
    if (::syscall(SYS_close_range, p.max_target + 1, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
        for (int fd = p.max_target + 1; fd < 65536; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    if (spec.umask) ::umask(*spec.umask);
    if (!spec.cwd.empty() && ::chdir(spec.cwd.c_str()) < 0)
        child_fail(error_fd, LaunchStep::chdir, errno);
    // Raw syscalls: glibc's set*id wrappers synchronise threads that the child lacks.
    if (p.set_identity) {
        // Unprivileged, setgroups always fails and setresgid/setresuid decide; as root
        // a failure would leave root's groups, so it is fatal.
        if (::syscall(SYS_setgroups, p.groups.size(), p.groups.data()) < 0 &&
            (p.privileged || errno != EPERM))
            child_fail(error_fd, LaunchStep::groups, errno);
        if (::syscall(SYS_setresgid, p.gid, p.gid, p.gid) < 0)
            child_fail(error_fd, LaunchStep::gid, errno);
        if (spec.uid && ::syscall(SYS_setresuid, *spec.uid, *spec.uid, *spec.uid) < 0)
            child_fail(error_fd, LaunchStep::uid, errno);
    }
    pid_t self = ::getpid();
    for (size_t slot : p.own_pid_slots) {
        std::string& entry = p.env_strings[slot];
        format_pid(entry.data() + entry.find('=') + 1, self);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);

    // execvp's rules: skip missing candidates, remember EACCES, stop at other errors.
    int err = ENOENT;
    bool denied = false;
    for (char* path : p.candidate_ptrs) {
        ::execve(path, p.argv.data(), p.envp.data());
        err = errno;
        if (err == EACCES)
            denied = true;
        else if (err != ENOENT && err != ENOTDIR && err != ESTALE)
            break;
    }
    if (denied && (err == ENOENT || err == ENOTDIR || err == ESTALE)) err = EACCES;
    child_fail(error_fd, LaunchStep::exec, err);
}

}  // namespace

pid_t launch_fork(const ChildSpec& spec, PreparedChild& p) {
    Pipe errors = make_pipe();
    int error_fd = ::fcntl(errors.write.get(), F_DUPFD_CLOEXEC, p.max_target + 1);
    if (error_fd < 0) throw LaunchError(LaunchStep::prepare, errno, "fcntl");
    errors.write.reset(error_fd);

    // All signals blocked across fork: no handler of ptool's may run in the child
    // before its dispositions are reset.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid == 0) run_child(spec, p, error_fd, parent);
    int fork_err = errno;
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    if (pid < 0) throw LaunchError(LaunchStep::fork, fork_err, "fork");
    errors.write.reset();

    ChildFailure failure{};
    ssize_t n;
    do {
        n = ::read(errors.read.get(), &failure, sizeof failure);
    } while (n < 0 && errno == EINTR);
    if (n == static_cast<ssize_t>(sizeof failure)) {
        int status;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        auto step = static_cast<LaunchStep>(failure.step);
        if (step == LaunchStep::exec)
            throw exec_failure(spec, p.candidates.size() == 1 ? p.candidates[0] : spec.argv[0],
                               failure.err);
        if (step == LaunchStep::chdir) throw LaunchError(step, failure.err, cwd_what(spec));
        if (step == LaunchStep::groups || step == LaunchStep::gid || step == LaunchStep::uid)
            throw LaunchError(step, failure.err, p.identity);
        throw LaunchError(step, failure.err, spec.argv[0]);
    }
    return pid;
}

}  // namespace ptool::launch_detail
