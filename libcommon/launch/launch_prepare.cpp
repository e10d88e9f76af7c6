// The parent's half of launching before any process exists: a ChildSpec turned
// into a PreparedChild (environment, PATH candidates, fd mappings, the uid/gid/groups
// to switch to), and the wording of exec failures (bash's "Is a directory", a
// missing #! interpreter). Nothing here runs in the child.
#include "libcommon/launch/launch_prepare.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "libcommon/core/parse.hpp"

extern char** environ;

namespace ptool::launch_detail {

namespace {

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
        // A later K=V wins over an earlier one for the same K. (No structured
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

}  // namespace

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

namespace {

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

}  // namespace

LaunchError exec_failure(const ChildSpec& spec, const std::string& tried, int err) {
    // execve says EACCES for a directory; bash's "Is a directory" is what users expect.
    std::string path = tried;
    if (!spec.cwd.empty() && !path.starts_with("/")) path = spec.cwd + "/" + path;
    if (err == EACCES && is_directory(path)) err = EISDIR;
    // An empty name is shown as '' (as a shell would quote it): "ptool spawn: '': ...".
    return LaunchError(LaunchStep::exec, err, spec.argv[0].empty() ? "''" : spec.argv[0],
                       err == ENOENT ? missing_interpreter(path) : std::string());
}

}  // namespace ptool::launch_detail
