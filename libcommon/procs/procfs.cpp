// Reading the process table from a procfs root (procfs.hpp).
#include "libcommon/procs/procfs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <memory>

#include "libcommon/core/error.hpp"
#include "libcommon/core/fd.hpp"

namespace ptool {

namespace {

// Parses a decimal number (optionally signed) at the start of `text`, advancing it.
template <typename T>
bool take_number(std::string_view& text, T& value) {
    size_t skip = text.find_first_not_of(' ');
    if (skip == std::string_view::npos) return false;
    text.remove_prefix(skip);
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || (end != text.data() + text.size() && *end != ' ' && *end != '\n'))
        return false;
    text.remove_prefix(static_cast<size_t>(end - text.data()));
    return true;
}

bool skip_field(std::string_view& text) {
    size_t start = text.find_first_not_of(" \n");
    if (start == std::string_view::npos) return false;
    size_t end = text.find_first_of(" \n", start);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end);
    return true;
}

// The next field as a number (left 0 when it is not one); false when there is none.
template <typename T>
bool take_field(std::string_view& text, T& value) {
    std::string_view field = text;
    if (!skip_field(text)) return false;
    if (!take_number(field, value)) value = 0;
    return true;
}

std::optional<pid_t> parse_pid_name(const char* name) {
    pid_t pid = 0;
    const char* end = name + std::char_traits<char>::length(name);
    if (name == end || *name < '0' || *name > '9') return std::nullopt;
    auto [ptr, ec] = std::from_chars(name, end, pid);
    if (ec != std::errc() || ptr != end) return std::nullopt;
    return pid;
}

// The numeric entries of a directory, read with getdents64 into one large buffer
// (a few calls for thousands of processes, where readdir(3) would make dozens).
std::vector<pid_t> read_pid_entries(int dirfd) {
    constexpr size_t kBufferSize = 256 * 1024;
    auto buffer = std::make_unique<char[]>(kBufferSize);
    std::vector<pid_t> pids;
    for (;;) {
        long n = ::syscall(SYS_getdents64, dirfd, buffer.get(), kBufferSize);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;  // an error here means the directory went away: what we have stands
        for (long off = 0; off < n;) {
            auto* entry = reinterpret_cast<struct dirent64*>(buffer.get() + off);
            off += entry->d_reclen;
            if (auto pid = parse_pid_name(entry->d_name)) pids.push_back(*pid);
        }
    }
    std::sort(pids.begin(), pids.end());
    return pids;
}

// One read(2) of a small procfs file into `buffer` (more only when it filled up).
// Returns the bytes read, or -1 (the process is gone or unreadable).
ssize_t read_small_file(int dirfd, const char* path, std::string& buffer, size_t limit,
                        struct stat* st = nullptr) {
    UniqueFd fd(::openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!fd) return -1;
    size_t got = 0;
    size_t cap = limit ? limit : 4096;
    for (;;) {
        if (buffer.size() < got + cap) buffer.resize(got + cap);
        ssize_t n = ::read(fd.get(), buffer.data() + got, cap);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        got += static_cast<size_t>(n);
        if (static_cast<size_t>(n) < cap || (limit && got >= limit)) break;
    }
    if (st && ::fstat(fd.get(), st) < 0) return -1;
    return static_cast<ssize_t>(got);
}

// The first line of PID/attr/current without its last byte, as psmisc shows it
// (empty when there is no security module to answer).
std::string read_security_context(int dirfd, const std::string& path, std::string& buffer) {
    ssize_t n = read_small_file(dirfd, path.c_str(), buffer, 0);
    if (n <= 0) return {};
    std::string_view text(buffer.data(), size_t(n));
    if (size_t newline = text.find('\n'); newline != std::string_view::npos)
        text = text.substr(0, newline + 1);
    text = text.substr(0, text.find('\0'));
    return text.empty() ? std::string() : std::string(text.substr(0, text.size() - 1));
}

// statm's second field, the resident pages: the kernel adds up the same counters,
// the same way, as for status's VmRSS (anon + file + shmem), in a file that costs
// 40% of status to make. 0 for a kernel thread (all zeros) or a malformed line.
uint64_t parse_statm_resident(std::string_view statm) {
    uint64_t pages = 0;
    if (!skip_field(statm) || !take_number(statm, pages)) return 0;
    return pages;
}

std::string path_in(pid_t pid, std::string_view leaf) {
    char digits[16];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, pid);
    std::string path(digits, end);
    path += '/';
    path += leaf;
    return path;
}

// After a read under PID/ failed (errno still set): whether the process is gone,
// exited and reaped since its stat was read (ESRCH, or ENOENT for PID itself),
// rather than that one file being missing (a snapshot without it) or closed to
// us (EACCES). Costs a call only on that failure path.
bool process_vanished(int dirfd, pid_t pid) {
    if (errno == ESRCH) return true;
    if (errno != ENOENT) return false;
    std::string path = path_in(pid, "");
    return ::faccessat(dirfd, path.c_str(), F_OK, 0) != 0 && errno == ENOENT;
}

void read_threads(int dirfd, ProcessInfo& proc, const ProcReadOptions& options,
                  std::string& buffer) {
    std::string task = path_in(proc.pid, "task");
    UniqueFd taskfd(::openat(dirfd, task.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!taskfd) return;
    for (pid_t tid : read_pid_entries(taskfd.get())) {
        if (tid == proc.pid) continue;
        ThreadInfo thread{tid, proc.comm};
        if (options.security_context)
            proc.thread_security_contexts.push_back(
                read_security_context(taskfd.get(), path_in(tid, "attr/current"), buffer));
        if (options.thread_names) {
            std::string stat = path_in(tid, "stat");
            ssize_t n = read_small_file(taskfd.get(), stat.c_str(), buffer, 0);
            if (n > 0) {
                if (auto line = parse_stat_line(std::string_view(buffer.data(), size_t(n))))
                    thread.name = line->comm;
            }
        }
        proc.threads.push_back(std::move(thread));
    }
}

}  // namespace

std::optional<StatLine> parse_stat_line(std::string_view line) {
    StatLine out;
    size_t open = line.find('(');
    size_t close = line.rfind(')');
    if (open == std::string_view::npos || close == std::string_view::npos || close < open)
        return std::nullopt;
    std::string_view head = line.substr(0, open);
    if (!take_number(head, out.pid)) return std::nullopt;
    out.comm = line.substr(open + 1, close - open - 1);
    // As psmisc: the state is the character two after the ')'.
    std::string_view rest = line.substr(close + 1);
    if (rest.size() < 2) return std::nullopt;
    out.state = rest[1];
    rest.remove_prefix(2);
    if (!take_number(rest, out.ppid) || !take_number(rest, out.pgid)) return std::nullopt;
    // session (6), tty_nr (7), fields 8..13, utime (14), stime (15), fields 16..19,
    // num_threads (20), itrealvalue (21), starttime (22), vsize (23), rss (24).
    if (!take_field(rest, out.sid) || !take_field(rest, out.tty_nr)) return std::nullopt;
    for (int field = 8; field <= 13; ++field)
        if (!skip_field(rest)) return std::nullopt;
    if (!take_field(rest, out.utime) || !take_field(rest, out.stime)) return std::nullopt;
    for (int field = 16; field <= 19; ++field)
        if (!skip_field(rest)) return std::nullopt;
    if (!take_field(rest, out.num_threads) || !skip_field(rest)) return std::nullopt;
    if (!take_number(rest, out.start_time)) return std::nullopt;
    if (skip_field(rest)) take_field(rest, out.rss);
    return out;
}

uint64_t read_namespace_inode(int dirfd, pid_t pid, size_t type) {
    std::string path = path_in(pid, "ns/");
    path += kNamespaceNames[type];
    char link[64];
    ssize_t n = ::readlinkat(dirfd, path.c_str(), link, sizeof link);
    if (n <= 0 || size_t(n) >= sizeof link) return 0;
    std::string_view text(link, size_t(n));
    size_t open = text.find(":[");
    if (open == std::string_view::npos || text.back() != ']') return 0;
    uint64_t inode = 0;
    auto [end, ec] = std::from_chars(text.data() + open + 2, text.data() + text.size() - 1, inode);
    if (ec != std::errc() || end != text.data() + text.size() - 1) return 0;
    return inode;
}

namespace {

// After readlink of ns/TYPE gave nothing (errno still set): whether the process
// exited since its stat was read. A link that is there but leads nowhere is a
// zombie's (state Z: reported with none) or one that has just exited; a link not
// there at all is a kernel without the type or a snapshot without it, unless
// PID itself is gone. EACCES (not ours) and unparsable text are not exits.
bool exited_during_ns_read(int dirfd, const ProcessInfo& proc, size_t type) {
    if (errno == ESRCH) return true;
    if (errno != ENOENT) return false;
    std::string path = path_in(proc.pid, "ns/");
    path += kNamespaceNames[type];
    struct stat st {};
    if (::fstatat(dirfd, path.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0)
        return proc.state != 'Z' && proc.state != 'X';
    return process_vanished(dirfd, proc.pid);
}

// The ns/ links asked for; false when the process exited while they were read
// (skip it rather than report some of its namespaces).
bool read_namespaces(int dirfd, ProcessInfo& proc, unsigned types) {
    for (size_t type = 0; type < kNamespaceTypes; ++type) {
        if (!(types & (1u << type))) continue;
        errno = 0;
        proc.namespaces[type] = read_namespace_inode(dirfd, proc.pid, type);
        if (proc.namespaces[type] == 0 && exited_during_ns_read(dirfd, proc, type)) return false;
    }
    return true;
}

}  // namespace

std::vector<ProcessInfo> read_process_table(const ProcReadOptions& options) {
    UniqueFd dirfd = open_file(options.root, O_RDONLY | O_DIRECTORY);
    std::vector<pid_t> pids = read_pid_entries(dirfd.get());
    std::vector<ProcessInfo> table;
    table.reserve(pids.size());
    std::string buffer(8192, '\0');
    const uint64_t page_kb = uint64_t(::sysconf(_SC_PAGESIZE)) / 1024;
    bool any = false;
    for (pid_t pid : pids) {
        std::string path = path_in(pid, "stat");
        struct stat st {};
        ssize_t n = read_small_file(dirfd.get(), path.c_str(), buffer, 0, &st);
        if (n < 0) continue;  // vanished since the directory was read
        any = true;
        auto line = parse_stat_line(std::string_view(buffer.data(), static_cast<size_t>(n)));
        if (!line) continue;
        ProcessInfo proc;
        proc.pid = pid;
        proc.ppid = line->ppid;
        proc.pgid = line->pgid;
        proc.sid = line->sid;
        proc.uid = st.st_uid;
        proc.state = line->state;
        proc.num_threads = line->num_threads;
        proc.tty_nr = line->tty_nr;
        proc.start_time = line->start_time;
        proc.cpu_ticks = line->utime + line->stime;
        proc.rss_pages = line->rss;
        proc.comm = line->comm;  // `line` points into `buffer`: read nothing before this
        if (options.exact_rss) {
            path = path_in(pid, "statm");
            n = read_small_file(dirfd.get(), path.c_str(), buffer, 0);
            if (n < 0 && process_vanished(dirfd.get(), pid)) continue;
            if (n > 0)
                proc.rss_kb =
                    parse_statm_resident(std::string_view(buffer.data(), size_t(n))) * page_kb;
        }
        // a process that exits while its links are read is left out
        if (options.namespaces && !read_namespaces(dirfd.get(), proc, options.namespaces)) continue;
        if (options.security_context)
            proc.security_context =
                read_security_context(dirfd.get(), path_in(pid, "attr/current"), buffer);
        if (options.threads && proc.num_threads != 1)
            read_threads(dirfd.get(), proc, options, buffer);
        if (options.cmdline) {
            path = path_in(pid, "cmdline");
            n = read_small_file(dirfd.get(), path.c_str(), buffer, options.cmdline_limit);
            if (n < 0) continue;
            proc.cmdline.emplace(buffer.data(), static_cast<size_t>(n));
        }
        table.push_back(std::move(proc));
    }
    if (!any) throw Error(options.root + ": no processes found (is procfs mounted there?)");
    return table;
}

}  // namespace ptool
