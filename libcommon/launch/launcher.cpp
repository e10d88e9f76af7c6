#include "libcommon/launch/launcher.hpp"

#include <fcntl.h>
#include <grp.h>
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

#include "libcommon/core/parse.hpp"

extern char** environ;

namespace ptool {

namespace {

// Everything the child needs, built before fork/posix_spawn so that the fork child
// only reads it: no allocation, no locks between fork and exec (fish's postfork rule).
struct PreparedChild {
    std::vector<std::string> candidates;  // program paths to try, in PATH order
    std::vector<char*> candidate_ptrs;
    std::vector<std::string> argv_strings;
    std::vector<char*> argv;
    std::vector<std::string> env_strings;
    std::vector<char*> envp;
    std::vector<size_t> own_pid_slots;  // indexes into env_strings; digits go after '='
    std::vector<FdMapping> mappings;    // parent fd (> max_target) -> child fd
    std::vector<UniqueFd> owned_fds;    // opened files, /dev/null, high copies
    int max_target = 2;
    // The identity the child takes (build_identity): when set_identity, groups, gid
    // and uid are all set, so nothing of ptool's own (root's groups) is kept.
    bool set_identity = false;
    bool privileged = false;  // ptool runs as root: a failed setgroups is fatal
    std::vector<gid_t> groups;
    gid_t gid = 0;
    std::string identity;  // "user NAME" / "uid N" / "gid N", for launch errors
    Child child;           // receives the parent ends of pipes
};

struct ChildFailure {
    int step;
    int err;
};

std::string_view env_name(std::string_view entry) {
    return entry.substr(0, std::min(entry.find('='), entry.size()));
}

bool is_directory(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

void build_environment(const ChildSpec& spec, PreparedChild& p) {
    auto edited = [&](std::string_view name) {
        for (const auto& n : spec.env_unset)
            if (n == name) return true;
        for (const auto& kv : spec.env_set)
            if (kv.first == name) return true;
        for (const auto& n : spec.env_own_pid)
            if (n == name) return true;
        return false;
    };
    if (!spec.env_clear)
        for (char** e = environ; e && *e; ++e)
            if (!edited(env_name(*e))) p.env_strings.emplace_back(*e);
    for (const auto& kv : spec.env_set) {
        // A later --env K=V wins over an earlier one for the same K. (No structured
        // binding: clang 14, which builds the fuzzers, cannot capture one in a lambda.)
        const std::string& name = kv.first;
        std::string entry = name + "=" + kv.second;
        auto same = std::find_if(p.env_strings.begin(), p.env_strings.end(),
                                 [&](const std::string& s) { return env_name(s) == name; });
        if (same != p.env_strings.end())
            *same = std::move(entry);
        else
            p.env_strings.push_back(std::move(entry));
    }
    for (const auto& name : spec.env_own_pid) {
        p.own_pid_slots.push_back(p.env_strings.size());
        p.env_strings.push_back(name + "=" + std::string(24, '\0'));
    }
    for (auto& s : p.env_strings) p.envp.push_back(s.data());
    p.envp.push_back(nullptr);
}

// The paths execvp would try, using the child's PATH (as libuv does), not ptool's.
void build_candidates(const ChildSpec& spec, PreparedChild& p) {
    const std::string& program = spec.argv[0];
    if (!spec.search_path || program.find('/') != std::string::npos || program.empty()) {
        p.candidates.push_back(program);
    } else {
        std::string path = "/usr/local/bin:/usr/bin:/bin";
        for (const auto& s : p.env_strings)
            if (env_name(s) == "PATH") path = s.substr(5);
        size_t start = 0;
        for (;;) {
            size_t colon = path.find(':', start);
            std::string dir =
                path.substr(start, colon == std::string::npos ? colon : colon - start);
            p.candidates.push_back((dir.empty() ? "." : dir) + "/" + program);
            if (colon == std::string::npos) break;
            start = colon + 1;
        }
    }
    for (auto& c : p.candidates) p.candidate_ptrs.push_back(c.data());
}

void add_mapping(PreparedChild& p, int parent_fd, int child_fd) {
    p.mappings.push_back({parent_fd, child_fd});
    p.max_target = std::max(p.max_target, child_fd);
}

void check_fd(int fd) {
    if (fd < 0 || ::fcntl(fd, F_GETFD) < 0)
        throw LaunchError(LaunchStep::prepare, EBADF, "fd " + std::to_string(fd));
}

void build_fds(const ChildSpec& spec, PreparedChild& p) {
    int null_fd = -1;
    for (int i = 0; i < 3; ++i) {
        const StdioSpec& s = spec.stdio[i];
        switch (s.kind) {
            case StdioSpec::Kind::inherit: break;
            case StdioSpec::Kind::null:
                if (null_fd < 0) {
                    p.owned_fds.push_back(open_file("/dev/null", O_RDWR));
                    null_fd = p.owned_fds.back().get();
                }
                add_mapping(p, null_fd, i);
                break;
            case StdioSpec::Kind::fd:
                check_fd(s.fd);
                add_mapping(p, s.fd, i);
                break;
            case StdioSpec::Kind::file: {
                int fd = ::open(s.path.c_str(), s.flags | O_CLOEXEC, s.mode);
                if (fd < 0) throw LaunchError(LaunchStep::prepare, errno, s.path);
                p.owned_fds.emplace_back(fd);
                add_mapping(p, fd, i);
                break;
            }
            case StdioSpec::Kind::pipe: {
                Pipe pipe;
                try {
                    pipe = make_pipe();
                } catch (const SysError& e) {
                    throw LaunchError(LaunchStep::prepare, e.err(), "pipe");
                }
                // Best effort: a smaller pipe still works, only slower.
                if (spec.pipe_size > 0) ::fcntl(pipe.read.get(), F_SETPIPE_SZ, spec.pipe_size);
                UniqueFd& child_end = i == 0 ? pipe.read : pipe.write;
                add_mapping(p, child_end.get(), i);
                p.owned_fds.push_back(std::move(child_end));
                p.child.stdio[i] = std::move(i == 0 ? pipe.write : pipe.read);
                break;
            }
        }
    }
    for (const auto& m : spec.extra_fds) {
        check_fd(m.parent_fd);
        if (m.child_fd < 3)
            throw LaunchError(LaunchStep::prepare, EINVAL, "fd " + std::to_string(m.child_fd));
        add_mapping(p, m.parent_fd, m.child_fd);
    }
    // Sources are moved above every target, so no dup2 can clobber a later source and
    // dup2 never gets src == dst (which would leave FD_CLOEXEC set).
    for (auto& m : p.mappings) {
        if (m.parent_fd <= p.max_target) {
            int high = ::fcntl(m.parent_fd, F_DUPFD_CLOEXEC, p.max_target + 1);
            if (high < 0) throw LaunchError(LaunchStep::prepare, errno, "fcntl");
            p.owned_fds.emplace_back(high);
            m.parent_fd = high;
        }
    }
}

// Changing uid or gid always sets the supplementary groups explicitly: initgroups'
// list for a user with a passwd entry, else exactly the gid; never ptool's (root's).
void build_identity(const ChildSpec& spec, PreparedChild& p) {
    if (!spec.uid && !spec.gid && !spec.groups) return;
    p.set_identity = true;
    p.privileged = ::geteuid() == 0;
    std::optional<UserInfo> user;
    if (spec.uid) user = lookup_user(std::to_string(*spec.uid));
    if (spec.gid) {
        p.gid = *spec.gid;
    } else if (user && user->gid != static_cast<gid_t>(-1)) {
        p.gid = user->gid;  // the primary group
    } else if (spec.uid) {
        throw UsageError("uid " + std::to_string(*spec.uid) +
                         " has no passwd entry, so no primary group: name a group too");
    } else {
        p.gid = ::getegid();  // groups alone
    }
    if (spec.groups)
        p.groups = *spec.groups;
    else if (user && !user->name.empty())
        p.groups = user_groups(user->name, p.gid);
    else
        p.groups = {p.gid};
    if (user && !user->name.empty())
        p.identity = "user " + user->name;
    else if (spec.uid)
        p.identity = "uid " + std::to_string(*spec.uid);
    else
        p.identity = "gid " + std::to_string(p.gid);
}

PreparedChild prepare(const ChildSpec& spec) {
    if (spec.argv.empty()) throw LaunchError(LaunchStep::prepare, EINVAL, "empty command");
    PreparedChild p;
    build_environment(spec, p);
    build_candidates(spec, p);
    p.argv_strings = spec.argv;
    if (spec.argv0) p.argv_strings[0] = *spec.argv0;
    for (auto& s : p.argv_strings) p.argv.push_back(s.data());
    p.argv.push_back(nullptr);
    build_fds(spec, p);
    build_identity(spec, p);
    return p;
}

// What a chdir failure names: "--cwd DIR" (the tool's option) or "DIR".
std::string cwd_what(const ChildSpec& spec) {
    return spec.cwd_option.empty() ? spec.cwd : spec.cwd_option + " " + spec.cwd;
}

// A reason to believe the cwd cannot be entered (used to tell posix_spawn's chdir
// failure from its exec failure: both come back as one errno).
int cwd_problem(const std::string& cwd) {
    struct stat st;
    if (::stat(cwd.c_str(), &st) < 0) return errno;
    if (!S_ISDIR(st.st_mode)) return ENOTDIR;
    if (::access(cwd.c_str(), X_OK) < 0) return errno;
    return 0;
}

// execve's ENOENT for a file that exists means its #! interpreter is missing
// (bash: "bad interpreter"): " (its #! interpreter /x is missing)", else "".
std::string missing_interpreter(const std::string& path) {
    if (path.find('/') == std::string::npos) return {};
    UniqueFd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!file) return {};
    char head[256] = {};
    ssize_t n = read_full(file.get(), head, sizeof head - 1);
    std::string_view line(head, n > 0 ? static_cast<size_t>(n) : 0);
    if (!line.starts_with("#!")) return {};
    line.remove_prefix(std::min(line.find_first_not_of(" \t", 2), line.size()));
    line = line.substr(0, line.find_first_of(" \t\n"));
    return " (its #! interpreter " + std::string(line) + " is missing)";
}

LaunchError exec_failure(const ChildSpec& spec, const std::string& tried, int err) {
    // execve says EACCES for a directory; bash's "Is a directory" is what users expect.
    std::string path = tried;
    if (!spec.cwd.empty() && !path.starts_with("/")) path = spec.cwd + "/" + path;
    if (err == EACCES && is_directory(path)) err = EISDIR;
    // An empty name is shown as '' (as a shell would quote it): "ptool spawn: '': ...".
    return LaunchError(LaunchStep::exec, err, spec.argv[0].empty() ? "''" : spec.argv[0],
                       err == ENOENT ? missing_interpreter(path) : std::string());
}

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

}  // namespace

namespace {

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
