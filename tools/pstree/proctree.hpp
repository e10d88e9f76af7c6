// The process table as psmisc links it into a tree, and psmisc pstree's text
// layout of that tree (box drawing, compaction "N*[name]", threads "{name}",
// truncation at the terminal width), byte for byte.
#pragma once

#include <sys/types.h>

#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "libcommon/core/output.hpp"
#include "libcommon/procs/procfs.hpp"

namespace ptool {

inline constexpr int kCommLen = 64;  // psmisc's COMM_LEN; names are kept to COMM_LEN+1 bytes

// psmisc's line-drawing sets: ASCII (-A), UTF-8 (-U) and VT100 (-G).
struct TreeSymbols {
    std::string_view empty_2, branch_2, vert_2, last_2, single_3, first_3;
};
inline constexpr TreeSymbols kTreeAscii{"  ", "|-", "| ", "`-", "---", "-+-"};
inline constexpr TreeSymbols kTreeUtf8{"  ",           "\u251c\u2500",       "\u2502 ",
                                       "\u2514\u2500", "\u2500\u2500\u2500", "\u2500\u252c\u2500"};
inline constexpr TreeSymbols kTreeVt100{"  ",
                                        "\033(0\017tq\033(B",
                                        "\033(0\017x\033(B ",
                                        "\033(0\017mq\033(B",
                                        "\033(0\017qqq\033(B",
                                        "\033(0\017qwq\033(B"};

// One process or thread, linked as psmisc links its PROC records.
struct ProcNode {
    std::string comm;
    pid_t pid = 0;
    pid_t pgid = 0;
    uid_t uid = 0;
    bool thread = false;
    bool highlight = false;
    int argc = 0;  // -a: -1 when the cmdline is empty (shown in parentheses)
    std::string args;
    std::vector<std::string_view> argv;
    std::string_view security_context;  // -Z: the process's or thread's own
    const ProcessInfo* info = nullptr;  // a thread's is its process's; null for a "?"
    ProcNode* parent = nullptr;
    std::vector<ProcNode*> children;
};

// The process table as a tree with psmisc's rules: a parent not (yet) seen is a
// "?" placeholder; siblings sorted by name then uid (or by pid), ties in the
// order psmisc adds them (each process's threads, then the process, by pid).
class ProcessTree {
public:
    // `args`: keep each cmdline (at most `args_limit` bytes) for -a; `by_pid`: -n.
    ProcessTree(const std::vector<ProcessInfo>& table, bool args, bool by_pid, size_t args_limit);

    // psmisc's fix_orphans: nodes with no known parent go under the root.
    void adopt_orphans(pid_t root_pid);
    // Sorts every child list once (psmisc inserts in order; a stable sort is the same).
    void sort_children();
    ProcNode* find(pid_t pid) const;
    // -s: each ancestor keeps only the child on the path to `node`.
    static void trim_to_parents(ProcNode* node);

    // -N: psmisc's sort_by_namespace. From pid 1 down, each process whose namespace of
    // `type` differs from its parent's (or that has no parent) is cut from its parent
    // and becomes a root of its namespace's group; groups in the order first met.
    struct NamespaceGroup {
        uint64_t inode = 0;
        std::vector<ProcNode*> roots;
    };
    std::vector<NamespaceGroup> group_by_namespace(size_t type);

private:
    ProcNode& add(const std::string& comm, pid_t pid, pid_t ppid, pid_t pgid, uid_t uid,
                  bool thread);
    ProcNode& find_or_make(pid_t pid);
    static void add_child(ProcNode& parent, ProcNode& child);
    static void set_args(ProcNode& node, std::string args);

    bool by_pid_;
    std::deque<ProcNode> storage_;
    std::vector<ProcNode*> created_;
    std::unordered_map<pid_t, ProcNode*> nodes_;
};

// The namespace inode of `node` (0 for a "?" placeholder or an unread link).
inline uint64_t node_namespace(const ProcNode* node, size_t type) {
    return node->info ? node->info->namespaces[type] : 0;
}

// How TreeWriter lays the tree out: pstree's -a -p -g -u -S -Z -C age -n,
// compaction (not -c and not -p), truncation at `width` (not -l), the
// line-drawing set, and the terminal's bold on/off strings for highlighted
// processes.
struct TreeStyle {
    bool arguments = false;
    bool pids = false;
    bool pgids = false;
    bool uid_changes = false;
    bool ns_changes = false;
    bool security_context = false;
    bool color_age = false;
    double uptime = 0;  // -C age: seconds since boot, and the clock's ticks per second
    double ticks_per_second = 100;
    bool numeric_sort = false;
    bool compact = true;
    bool truncate = true;
    int width = 132;
    const TreeSymbols* symbols = &kTreeAscii;
    std::pair<std::string, std::string> bold;
};

// psmisc's output routines: every byte counted in columns as UTF-8 characters,
// the line cut at the width with a '+' in the last column.
class TreeWriter {
public:
    TreeWriter(OutputBuffer& out, TreeStyle style)
        : out_(out),
          style_(std::move(style)),
          sym_(*style_.symbols),
          output_width_(style_.width),
          trunc_(style_.truncate),
          compact_(style_.compact),
          bold_(style_.bold) {}

    void dump_tree(ProcNode* current, int level, int rep, bool leaf, bool last, uid_t prev_uid,
                   int closing);

    void put_raw(char c) { out_.put(c); }
    // Text counted in columns as the tree is (psmisc writes -N's headers so: their
    // width is taken from the first line that follows).
    void put_counted(std::string_view s) { out_string(s); }

private:
    void out_char(char c) {
        if (charlen_ == 0) {
            auto u = static_cast<unsigned char>(c);
            charlen_ = (u & 0x80) == 0      ? 1
                       : (u & 0xe0) == 0xc0 ? 2
                       : (u & 0xf0) == 0xe0 ? 3
                       : (u & 0xf8) == 0xf0 ? 4
                                            : 1;
            ++cur_x_;
        }
        --charlen_;
        if (!trunc_ || cur_x_ <= output_width_)
            out_.put(c);
        else if (cur_x_ == output_width_ + 1)
            out_.put('+');
    }
    void out_string(std::string_view s) {
        for (char c : s) out_char(c);
    }
    // psmisc's out_int: 0 prints no digits at all, yet counts one.
    int out_int(long x) {
        int digits = 0;
        long div = 1;
        for (; x / div; div *= 10) ++digits;
        for (div /= 10; div; div /= 10) out_char(static_cast<char>('0' + (x / div) % 10));
        return digits ? digits : 1;
    }
    int out_args(std::string_view s) {
        int count = 0;
        for (char c : s) {
            if (c == '\\') {
                out_string("\\\\");
                count += 2;
            } else if (c >= ' ' && c <= '~') {
                out_char(c);
                ++count;
            } else {
                auto u = static_cast<unsigned char>(c);
                char oct[4] = {'\\', char('0' + (u >> 6)), char('0' + ((u >> 3) & 7)),
                               char('0' + (u & 7))};
                out_string(std::string_view(oct, 4));
                count += 4;
            }
        }
        return count;
    }
    void out_newline() {
        out_.put('\n');
        cur_x_ = 1;
    }
    void put_bold(const std::string& s) { out_.write(s); }
    bool tree_equal(const ProcNode* a, const ProcNode* b) const;
    // The labels -S, -Z add inside the parentheses; `info` counts what is there already.
    void out_ns_changes(const ProcNode* current, int& info);
    void out_security_context(const ProcNode* current, int& info);
    const char* age_color(const ProcNode* current) const;
    const std::string& user_label(uid_t uid);

    OutputBuffer& out_;
    const TreeStyle style_;
    const TreeSymbols& sym_;
    int output_width_;
    bool trunc_;
    bool compact_;
    std::pair<std::string, std::string> bold_;
    int cur_x_ = 1;
    int charlen_ = 0;
    std::vector<int> width_;
    std::vector<char> more_;
    std::map<uid_t, std::string> users_;
};

// Subtrees owned by `uid`, outermost first (psmisc's dump_by_user order).
void collect_user_roots(ProcNode* node, uid_t uid, std::vector<ProcNode*>& roots);

}  // namespace ptool
