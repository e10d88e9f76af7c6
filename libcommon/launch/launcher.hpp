// The one way ptool starts a process: a ChildSpec (argv, environment edits, cwd,
// what each fd becomes, session, credentials, ...) turned into a running Child.
// posix_spawn (glibc: clone(CLONE_VM|CLONE_VFORK)) when the spec allows it, fork
// otherwise; either way exec failure reaches the caller as a LaunchError naming the
// step and errno, the child sees only fds 0-2 plus the ones asked for, and its signal
// dispositions and mask are reset.
#pragma once

#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "libcommon/core/error.hpp"
#include "libcommon/core/fd.hpp"

namespace ptool {

// What one of the child's fds 0..2 becomes.
struct StdioSpec {
    enum class Kind {
        inherit,  // ptool's own fd, unchanged
        null,     // /dev/null (read+write)
        fd,       // a copy of `fd` (owned by the caller, still open after launch)
        file,     // `path` opened with `flags`/`mode` by ptool before the child starts
        pipe,     // a new pipe; ptool's end is in Child::stdio[N] (close-on-exec)
    };
    Kind kind = Kind::inherit;
    int fd = -1;
    std::string path;
    int flags = 0;
    mode_t mode = 0666;

    static StdioSpec inherit() { return {}; }
    static StdioSpec null() { return of(Kind::null); }
    static StdioSpec from_fd(int fd) {
        StdioSpec s = of(Kind::fd);
        s.fd = fd;
        return s;
    }
    static StdioSpec file(std::string path, int flags, mode_t mode = 0666) {
        StdioSpec s = of(Kind::file);
        s.path = std::move(path);
        s.flags = flags;
        s.mode = mode;
        return s;
    }
    static StdioSpec pipe() { return of(Kind::pipe); }

private:
    static StdioSpec of(Kind kind) {
        StdioSpec s;
        s.kind = kind;
        return s;
    }
};

// One extra fd the child gets: ptool's `parent_fd` appears as `child_fd` (>= 3),
// e.g. listening sockets at 3.. for socket activation or an IPC channel end.
struct FdMapping {
    int parent_fd;
    int child_fd;
};

struct ChildSpec {
    std::vector<std::string> argv;     // argv[0] is the program (searched in PATH if search_path)
    std::optional<std::string> argv0;  // the child's argv[0] when not argv[0] itself
    bool search_path = true;           // a name without '/' is looked up in PATH (the child's)

    // Environment: ptool's own (or empty with env_clear), minus env_unset, plus env_set.
    bool env_clear = false;
    std::vector<std::string> env_unset;
    std::vector<std::pair<std::string, std::string>> env_set;
    // Variables set to the child's own pid (LISTEN_PID): written between fork and exec.
    std::vector<std::string> env_own_pid;

    std::string cwd;  // empty: ptool's
    // How a chdir failure names the directory's source, the tool's option ("--cwd"):
    // "--cwd DIR: why"; empty: "DIR: why". The library names no option itself.
    std::string cwd_option;
    StdioSpec stdio[3];
    std::vector<FdMapping> extra_fds;
    int pipe_size = 0;  // > 0: F_SETPIPE_SZ on StdioSpec::pipe pipes (capture throughput)

    bool new_session = false;        // setsid(): no controlling tty, own process group
    bool new_process_group = false;  // setpgid(0, 0): signals can reach the whole group
    std::optional<uid_t> uid;
    std::optional<gid_t> gid;
    std::optional<std::vector<gid_t>> groups;  // supplementary groups (setgroups)
    std::optional<mode_t> umask;
    // PR_SET_PDEATHSIG; 0: none. Note: the kernel sends it when the launching *thread*
    // ends, so launch from a thread that lives as long as the child should.
    int parent_death_signal = 0;

    // Forces the fork path even when posix_spawn could do it (tests and benchmarks).
    bool force_fork = false;
};

// The step of starting a child that failed.
enum class LaunchStep : uint8_t {
    prepare,  // in ptool, before the child existed (pipe, open, bad fd)
    fork,
    session,  // setsid / setpgid
    parent_death_signal,
    fds,  // dup2 / close
    umask,
    chdir,
    groups,
    gid,
    uid,
    exec,
};

// Launch failure. Exit status as shells give it: exec ENOENT 127, exec other 126,
// anything before exec 125. Message: "PROGRAM: why" for exec, "[CWD_OPTION ]DIR: why" for chdir.
class LaunchError : public SysError {
public:
    LaunchError(LaunchStep step, int err, std::string_view what, std::string_view note = {});
    LaunchStep step() const { return step_; }

private:
    LaunchStep step_;
};

// How a child ended, as wait4 gives it.
struct ExitStatus {
    int wait_status = 0;
    struct rusage usage {};

    bool exited() const;
    int code() const;    // exit code; -1 when signalled
    int signal() const;  // terminating signal; 0 when exited
    // Exit code as shells report it: code, or 128+signal.
    int shell_status() const;
    std::chrono::milliseconds user_time() const;
    std::chrono::milliseconds system_time() const;
    long max_rss_kb() const { return usage.ru_maxrss; }
    // "exited with status N" or "was killed by SIGNAME", for log lines.
    std::string describe() const;
};

// A running child. Owns it: the destructor SIGKILLs and reaps a child that was neither
// waited for nor released, so no zombie is left on any path (exceptions included).
class Child {
public:
    Child() = default;
    Child(Child&& other) noexcept;
    Child& operator=(Child&& other) noexcept;
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    ~Child();

    pid_t pid() const { return pid_; }
    // pidfd_open(2) of the child (-1 when the kernel lacks it).
    int pidfd() const { return pidfd_.get(); }
    bool running() const { return pid_ > 0 && !reaped_; }
    // Was posix_spawn used (false: fork)?
    bool spawned_fast() const { return fast_; }

    // ptool's ends of StdioSpec::pipe fds (index 0..2), close-on-exec.
    UniqueFd stdio[3];

    // Blocks until the child ends (wait4, EINTR retried).
    ExitStatus wait();
    // Reaps the child if it ended (WNOHANG).
    std::optional<ExitStatus> try_wait();
    // kill(pid, sig); false if already reaped (never signals a recycled pid).
    bool signal(int sig);
    // kill(-pid, sig): the child's process group (the child must lead it).
    bool signal_group(int sig);
    // The group when the child leads one (new_session / new_process_group), else the
    // child: what timeouts and forwarded signals should reach (as timeout(1)).
    bool signal_tree(int sig);
    bool leads_group() const { return group_leader_; }
    // Gives up ownership (detached children): no kill, no wait on destruction.
    pid_t release();
    // Takes ownership of `pid`, which must be a child of this process that no one reaped
    // (one launched before this process re-executed itself; a zombie is fine). Throws
    // Error when it is not one: a pid not proven ours is never owned, so never signalled.
    static Child adopt(pid_t pid, bool group_leader);

private:
    friend Child launch(const ChildSpec& spec);
    void kill_and_reap() noexcept;

    pid_t pid_ = -1;
    UniqueFd pidfd_;
    bool reaped_ = false;
    bool fast_ = false;
    bool group_leader_ = false;  // kill_and_reap signals the whole group
};

// Starts the child; throws LaunchError (or UsageError-free SysError) on failure, after
// reaping whatever was started.
Child launch(const ChildSpec& spec);

// Would launch() use posix_spawn for this spec (rather than fork)?
bool can_use_posix_spawn(const ChildSpec& spec);

// Signals `pid` (not necessarily a child), waits up to `grace` for it to go, then
// SIGKILLs it; through a pidfd, so a recycled pid is never hit. Returns whether it
// is gone.
bool stop_process(pid_t pid, int sig, std::chrono::nanoseconds grace);

// "K=V": throws UsageError "expected NAME=VALUE, got 'TEXT'" when there is no '=' or K
// is empty.
std::pair<std::string, std::string> parse_env_assignment(std::string_view text);

// initgroups(3)'s list for a user: their primary group plus every group naming them.
std::vector<gid_t> user_groups(const std::string& user, gid_t primary);

}  // namespace ptool
