// ptool pstree [OPTIONS] [PID|USER]: the process tree, byte-identical to
// psmisc 23.6 pstree for the same options.
//   -a arguments   -A ASCII   -G VT100   -U UTF-8   -c no compaction
//   -g pgids   -h highlight self   -H PID highlight   -l no truncation
//   -n sort by pid   -p pids   -s parents of PID   -t thread names
//   -T hide threads   -u uid transitions   --json   --proc DIR
#include <CLI/CLI.hpp>
#include <langinfo.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <clocale>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "libcommon/error.hpp"
#include "libcommon/output.hpp"
#include "libcommon/parse.hpp"
#include "libcommon/procfs.hpp"
#include "libcommon/terminfo.hpp"
#include "tools/registry.hpp"

namespace ptool {

namespace {

struct Options {
    bool arguments = false;
    bool ascii = false;
    bool vt100 = false;
    bool unicode = false;
    bool compact_not = false;
    bool pgids = false;
    bool highlight_all = false;
    int highlight_pid = 0;
    bool long_lines = false;
    bool numeric_sort = false;
    bool pids = false;
    bool show_parents = false;
    bool thread_names = false;
    bool hide_threads = false;
    bool uid_changes = false;
    bool json = false;
    std::string proc_root = "/proc";
    std::string target;  // PID or USER
};

int run_pstree(const Options& opts);

}  // namespace

ToolRunner setup_pstree(CLI::App& app) {
    auto opts = std::make_shared<Options>();
    app.set_help_flag("--help", "Print this help message and exit");  // -h is psmisc's
    app.add_flag("-a,--arguments", opts->arguments, "show command line arguments");
    app.add_flag("-A,--ascii", opts->ascii, "use ASCII line drawing characters");
    app.add_flag("-c,--compact-not", opts->compact_not, "don't compact identical subtrees");
    app.add_flag("-g,--show-pgids", opts->pgids, "show process group ids");
    app.add_flag("-G,--vt100", opts->vt100, "use VT100 line drawing characters");
    app.add_flag("-h,--highlight-all", opts->highlight_all,
                 "highlight the current process and its ancestors");
    app.add_option("-H,--highlight-pid", opts->highlight_pid,
                   "highlight this process and its ancestors")
        ->check(CLI::PositiveNumber);
    app.add_flag("-l,--long", opts->long_lines, "don't truncate long lines");
    app.add_flag("-n,--numeric-sort", opts->numeric_sort, "sort output by PID");
    app.add_flag("-p,--show-pids", opts->pids, "show PIDs; implies -c");
    app.add_flag("-s,--show-parents", opts->show_parents, "show parents of the selected process");
    app.add_flag("-t,--thread-names", opts->thread_names, "show full thread names");
    app.add_flag("-T,--hide-threads", opts->hide_threads, "hide threads, show only processes");
    app.add_flag("-u,--uid-changes", opts->uid_changes, "show uid transitions");
    app.add_flag("-U,--unicode", opts->unicode, "use UTF-8 (Unicode) line drawing characters");
    app.add_flag("--json", opts->json, "print the tree as nested JSON");
    app.add_option("--proc", opts->proc_root, "read this procfs root instead of /proc");
    app.add_option("target", opts->target, "start at this PID, or show the trees of this USER");
    return [opts] { return run_pstree(*opts); };
}

namespace {

constexpr int kCommLen = 64;  // psmisc's COMM_LEN; names are kept to COMM_LEN+1 bytes

struct Symbols {
    std::string_view empty_2, branch_2, vert_2, last_2, single_3, first_3;
};
constexpr Symbols kAscii{"  ", "|-", "| ", "`-", "---", "-+-"};
constexpr Symbols kUtf8{"  ", "\u251c\u2500", "\u2502 ", "\u2514\u2500", "\u2500\u2500\u2500",
                        "\u2500\u252c\u2500"};
constexpr Symbols kVt100{"  ",
                         "\033(0\017tq\033(B",
                         "\033(0\017x\033(B ",
                         "\033(0\017mq\033(B",
                         "\033(0\017qqq\033(B",
                         "\033(0\017qwq\033(B"};

// One process or thread, linked as psmisc links its PROC records.
struct Node {
    std::string comm;
    pid_t pid = 0;
    pid_t pgid = 0;
    uid_t uid = 0;
    bool thread = false;
    bool highlight = false;
    int argc = 0;  // -a: -1 when the cmdline is empty (shown in parentheses)
    std::string args;
    std::vector<std::string_view> argv;
    const ProcessInfo* info = nullptr;
    Node* parent = nullptr;
    std::vector<Node*> children;
};

// The process table as a tree with psmisc's rules: a parent not (yet) seen is a
// "?" placeholder; siblings sorted by name then uid (or by pid), ties in the
// order psmisc adds them (each process's threads, then the process, by pid).
class ProcessTree {
public:
    ProcessTree(const std::vector<ProcessInfo>& table, const Options& opts, size_t args_limit)
        : by_pid_(opts.numeric_sort) {
        for (const ProcessInfo& proc : table) {
            for (const ThreadInfo& thread : proc.threads) {
                std::string name = "{" + thread.name.substr(0, kCommLen) + "}";
                Node& node = add(name, thread.tid, proc.pid, proc.pgid, proc.uid, true);
                node.info = &proc;
                if (opts.arguments) set_args(node, name + '\0');
            }
            Node& node = add(proc.comm, proc.pid, proc.ppid, proc.pgid, proc.uid, false);
            node.info = &proc;
            if (proc.cmdline) {
                std::string args = proc.cmdline->substr(0, args_limit);
                if (!args.empty()) args += '\0';
                set_args(node, std::move(args));
            }
        }
    }

    // psmisc's fix_orphans: nodes with no known parent go under the root.
    void adopt_orphans(pid_t root_pid) {
        Node& root = find_or_make(root_pid);
        for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
            Node* node = *it;
            if (node->pid == 1 || node->pid == 0 || node->parent) continue;
            add_child(root, *node);
        }
    }

    // Sorts every child list once (psmisc inserts in order; a stable sort is the same).
    void sort_children() {
        for (Node* node : created_)
            std::stable_sort(node->children.begin(), node->children.end(),
                             [this](const Node* a, const Node* b) {
                                 if (by_pid_) return a->pid < b->pid;
                                 int cmp = a->comm.compare(b->comm);
                                 return cmp < 0 || (cmp == 0 && a->uid < b->uid);
                             });
    }

    Node* find(pid_t pid) const {
        auto it = nodes_.find(pid);
        return it == nodes_.end() ? nullptr : it->second;
    }

    // -s: each ancestor keeps only the child on the path to `node`.
    static void trim_to_parents(Node* node) {
        for (; node->parent; node = node->parent) node->parent->children.assign(1, node);
    }

private:
    Node& add(const std::string& comm, pid_t pid, pid_t ppid, pid_t pgid, uid_t uid,
              bool thread) {
        Node& node = find_or_make(pid);
        node.comm = comm.substr(0, kCommLen + 1);
        node.uid = uid;
        node.pgid = pgid;
        node.thread = thread;
        if (pid == ppid) ppid = 0;
        Node& parent = find_or_make(ppid);
        if (pid != 0) add_child(parent, node);
        return node;
    }

    Node& find_or_make(pid_t pid) {
        auto [it, fresh] = nodes_.try_emplace(pid, nullptr);
        if (fresh) {
            Node& node = storage_.emplace_back();
            node.comm = "?";
            node.pid = pid;
            it->second = &node;
            created_.push_back(&node);
        }
        return *it->second;
    }

    static void add_child(Node& parent, Node& child) {
        parent.children.push_back(&child);
        child.parent = &parent;
    }

    // psmisc's set_args, quirks included: the words after argv[0], the last one
    // being what follows the final NUL (so "a\0b\0" gives " b").
    static void set_args(Node& node, std::string args) {
        node.args = std::move(args);
        const std::string& a = node.args;
        size_t size = a.size();
        if (size == 0) {
            node.argc = -1;
            return;
        }
        node.argc = 0;
        for (size_t i = 0; i < size - 1; ++i)
            if (a[i] == '\0') {
                ++node.argc;
                while (a[i] == '\0' && i < size - 1) ++i;
            }
        if (node.argc == 0) return;
        size_t start = a.find('\0') + 1;
        for (int i = 0; i < node.argc; ++i) {
            size_t end = a.find('\0', start);
            node.argv.emplace_back(a.data() + start, end - start);
            start = end + 1;
        }
    }

    bool by_pid_;
    std::deque<Node> storage_;
    std::vector<Node*> created_;
    std::unordered_map<pid_t, Node*> nodes_;
};

// psmisc's output routines: every byte counted in columns as UTF-8 characters,
// the line cut at the width with a '+' in the last column.
class TreeWriter {
public:
    TreeWriter(OutputBuffer& out, const Options& opts, const Symbols& sym, int width,
               std::pair<std::string, std::string> bold)
        : out_(out), opts_(opts), sym_(sym), output_width_(width), trunc_(!opts.long_lines),
          compact_(!opts.compact_not && !opts.pids), bold_(std::move(bold)) {}

    void dump_tree(Node* current, int level, int rep, bool leaf, bool last, uid_t prev_uid,
                   int closing);

    void put_raw(char c) { out_.put(c); }

private:
    void out_char(char c) {
        if (charlen_ == 0) {
            auto u = static_cast<unsigned char>(c);
            charlen_ = (u & 0x80) == 0 ? 1 : (u & 0xe0) == 0xc0 ? 2 : (u & 0xf0) == 0xe0 ? 3
                       : (u & 0xf8) == 0xf0                       ? 4
                                                                  : 1;
            ++cur_x_;
        }
        --charlen_;
        if (!trunc_ || cur_x_ <= output_width_) out_.put(c);
        else if (cur_x_ == output_width_ + 1) out_.put('+');
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
    bool tree_equal(const Node* a, const Node* b) const;
    const std::string& user_label(uid_t uid);

    OutputBuffer& out_;
    const Options& opts_;
    const Symbols& sym_;
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

bool TreeWriter::tree_equal(const Node* a, const Node* b) const {
    if (a->comm != b->comm) return false;
    if (opts_.uid_changes && a->uid != b->uid) return false;
    if (a->children.size() != b->children.size()) return false;
    for (size_t i = 0; i < a->children.size(); ++i)
        if (!tree_equal(a->children[i], b->children[i])) return false;
    return true;
}

const std::string& TreeWriter::user_label(uid_t uid) {
    auto [it, fresh] = users_.try_emplace(uid);
    if (fresh) it->second = user_name(uid).value_or("");
    return it->second;
}

void TreeWriter::dump_tree(Node* current, int level, int rep, bool leaf, bool last,
                           uid_t prev_uid, int closing) {
    if (!current) return;
    if (!leaf)
        for (int lvl = 0; lvl < level; ++lvl) {
            for (int i = width_[size_t(lvl)] + 1; i; --i) out_char(' ');
            out_string(lvl == level - 1 ? (last ? sym_.last_2 : sym_.branch_2)
                                        : (more_[size_t(lvl) + 1] ? sym_.vert_2 : sym_.empty_2));
        }
    int add = 0;
    if (rep >= 2) {
        add = out_int(rep) + 2;
        out_string("*[");
    }
    if (current->highlight && !bold_.first.empty()) put_bold(bold_.first);
    const bool print_args = opts_.arguments;
    int info = print_args ? 1 : 0;
    if (print_args && current->argc < 0) out_char('(');
    int comm_len = out_args(current->comm);
    int offset = cur_x_;
    if (opts_.pids) {
        out_char(info++ ? ',' : '(');
        out_int(current->pid);
    }
    if (opts_.pgids) {
        out_char(info++ ? ',' : '(');
        out_int(current->pgid);
    }
    if (opts_.uid_changes && prev_uid != current->uid) {
        out_char(info++ ? ',' : '(');
        if (const std::string& name = user_label(current->uid); !name.empty()) out_string(name);
        else out_int(current->uid);
    }
    if ((print_args && current->argc < 0) || (!print_args && info)) out_char(')');
    if (current->highlight && !bold_.second.empty()) put_bold(bold_.second);
    if (print_args) {
        for (int i = 0; i < current->argc; ++i) {
            if (i < current->argc - 1) out_char(' ');  // the last word is the one after the final NUL
            std::string_view arg = current->argv[size_t(i)];
            int len = 0;
            for (char c : arg) len += c >= ' ' && c <= '~' ? 1 : 4;
            if (cur_x_ + len <= output_width_ - (i == current->argc - 1 ? 0 : 4) || !trunc_) {
                out_args(arg);
            } else {
                out_string("...");
                break;
            }
        }
    }
    if (print_args || current->children.empty()) {
        while (closing--) out_char(']');
        out_newline();
    }
    if (width_.size() <= size_t(level)) {
        width_.resize(size_t(level) + 1);
        more_.resize(size_t(level) + 2);
    }
    more_[size_t(level)] = !last;

    std::vector<Node*>& kids = current->children;
    std::vector<char> removed(kids.size(), 0);
    auto next_alive = [&](size_t i) {
        for (++i; i < kids.size(); ++i)
            if (!removed[i]) return i;
        return kids.size();
    };
    // Removes the later siblings equal to kids[i]; returns how many.
    auto compact_after = [&](size_t i) {
        int count = 0;
        for (size_t j = i + 1; j < kids.size(); ++j) {
            if (removed[j]) continue;
            // Siblings are sorted by name unless -n: equal ones are adjacent.
            if (!opts_.numeric_sort && kids[j]->comm != kids[i]->comm) break;
            if (tree_equal(kids[i], kids[j])) {
                removed[j] = 1;
                ++count;
            }
        }
        return count;
    };

    if (print_args) {
        width_[size_t(level)] = 1 + (comm_len > 1 ? 0 : -1);
        for (size_t i = 0; i < kids.size(); i = next_alive(i)) {
            if (compact_ && kids[i]->thread) {
                int count = compact_after(i);
                // `closing` is -1 here, spent by the loop above (as in psmisc).
                dump_tree(kids[i], level + 1, count + 1, false, next_alive(i) == kids.size(),
                          current->uid, closing + (count ? 2 : 1));
            } else {
                dump_tree(kids[i], level + 1, 1, false, next_alive(i) == kids.size(),
                          current->uid, 0);
            }
        }
        return;
    }
    width_[size_t(level)] = comm_len + cur_x_ - offset + add;
    if (cur_x_ >= output_width_ && trunc_) {
        out_string(sym_.first_3);
        out_string("+");
        out_newline();
        return;
    }
    for (size_t i = 0; i < kids.size(); i = next_alive(i)) {
        int count = compact_ ? compact_after(i) : 0;
        bool is_last = next_alive(i) == kids.size();
        if (i == 0) out_string(is_last ? sym_.single_3 : sym_.first_3);
        dump_tree(kids[i], level + 1, count + 1, i == 0, is_last, current->uid,
                  closing + (count ? 1 : 0));
    }
}

// psmisc's get_output_width: $COLUMNS (strtol base 0), the terminal, or 132.
int output_width() {
    if (const char* env = std::getenv("COLUMNS"); env && *env) {
        char* end = nullptr;
        long t = std::strtol(env, &end, 0);
        if (!*end && t > 0 && t < 0x7fffffffL) return static_cast<int>(t);
    }
    struct winsize ws {};
    if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) >= 0 && ws.ws_col) return ws.ws_col;
    return 132;
}

bool utf8_terminal() {
    if (!::isatty(STDOUT_FILENO)) return false;
    std::string saved = std::setlocale(LC_CTYPE, nullptr);
    bool utf8 = std::setlocale(LC_CTYPE, "") && std::string_view(nl_langinfo(CODESET)) == "UTF-8";
    std::setlocale(LC_CTYPE, saved.c_str());
    return utf8;
}

// --json: the same tree, uncompacted; threads listed by tid with their own names.
nlohmann::ordered_json to_json(const Node* node, std::map<uid_t, std::string>& users) {
    nlohmann::ordered_json j;
    const ProcessInfo* info = node->info && !node->thread ? node->info : nullptr;
    j["pid"] = node->pid;
    j["ppid"] = info ? info->ppid : 0;
    j["name"] = node->comm;
    auto& cmdline = j["cmdline"] = nlohmann::ordered_json::array();
    if (info && info->cmdline) {
        std::string_view rest = *info->cmdline;
        while (!rest.empty()) {
            size_t end = std::min(rest.find('\0'), rest.size());
            cmdline.push_back(std::string(rest.substr(0, end)));
            rest.remove_prefix(std::min(end + 1, rest.size()));
        }
    }
    auto [it, fresh] = users.try_emplace(node->uid);
    if (fresh) it->second = user_name(node->uid).value_or(std::to_string(node->uid));
    j["user"] = it->second;
    j["state"] = std::string(1, info ? info->state : '?');
    auto& threads = j["threads"] = nlohmann::ordered_json::array();
    if (info)
        for (const ThreadInfo& thread : info->threads)
            threads.push_back({{"tid", thread.tid}, {"name", thread.name}});
    auto& children = j["children"] = nlohmann::ordered_json::array();
    for (const Node* child : node->children)
        if (!child->thread) children.push_back(to_json(child, users));
    return j;
}

// Subtrees owned by `uid`, outermost first (psmisc's dump_by_user order).
void collect_user_roots(Node* node, uid_t uid, std::vector<Node*>& roots) {
    if (!node) return;
    if (node->uid == uid) {
        roots.push_back(node);
        return;
    }
    for (Node* child : node->children) collect_user_roots(child, uid, roots);
}

int run_pstree(const Options& opts) {
    pid_t pid = -1;
    std::optional<UserInfo> user;
    if (!opts.target.empty()) {
        if (std::isdigit(static_cast<unsigned char>(opts.target[0]))) {
            auto n = parse_int(opts.target);
            if (!n || *n > 0x7fffffff) throw UsageError("not a process id: '" + opts.target + "'");
            pid = static_cast<pid_t>(*n);
        } else {
            user = lookup_user(opts.target);
        }
    }
    std::pair<std::string, std::string> bold;
    pid_t highlight = opts.highlight_pid;
    if (opts.highlight_all && highlight)
        throw UsageError("-h and -H cannot be used together");
    if (opts.highlight_pid) {
        const char* term = std::getenv("TERM");
        if (!term) throw Error("TERM is not set");
        auto caps = terminal_bold(term);
        if (!caps) throw Error(std::string("TERM=") + term + ": can't get terminal capabilities");
        bold = *caps;
    } else if (opts.highlight_all) {
        const char* term = std::getenv("TERM");
        if (auto caps = term ? terminal_bold(term) : std::nullopt) {
            bold = *caps;
            highlight = ::getpid();
        }
    }

    int width = output_width();
    bool trunc = !opts.long_lines && !opts.json;
    ProcReadOptions read;
    read.root = opts.proc_root;
    read.cmdline = opts.arguments || opts.json;
    // psmisc reads one screen width of a cmdline (8 KiB with -l).
    size_t args_limit = trunc ? size_t(width) : 8192;
    read.cmdline_limit = opts.json ? 0 : args_limit + 1;
    read.threads = !opts.hide_threads;
    read.thread_names = opts.thread_names || opts.json;
    std::vector<ProcessInfo> table = read_process_table(read);

    struct stat st {};
    pid_t root_pid = ::stat((opts.proc_root + "/0").c_str(), &st) == 0 ? 0 : 1;
    ProcessTree tree(table, opts, opts.json ? std::string::npos : args_limit);
    tree.adopt_orphans(root_pid);
    tree.sort_children();
    for (Node* node = highlight ? tree.find(highlight) : nullptr; node; node = node->parent)
        node->highlight = true;
    if (opts.show_parents && pid >= 0) {
        Node* child = tree.find(pid);
        if (!child) throw Error("process " + std::to_string(pid) + " not found");
        ProcessTree::trim_to_parents(child);
        pid = -1;
    }
    if (pid < 0) pid = root_pid;

    std::vector<Node*> roots;
    if (user) collect_user_roots(tree.find(root_pid), user->uid, roots);
    else if (Node* root = tree.find(pid)) roots.push_back(root);
    if (user && roots.empty()) throw Error("no processes found for user '" + opts.target + "'");

    OutputBuffer out(STDOUT_FILENO);
    if (opts.json) {
        std::map<uid_t, std::string> users;
        nlohmann::ordered_json doc;
        if (user) {
            doc = nlohmann::ordered_json::array();
            for (Node* root : roots) doc.push_back(to_json(root, users));
        } else if (!roots.empty()) {
            doc = to_json(roots.front(), users);
        }
        if (!roots.empty() || user)
            out.write(doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
        out.flush();
        return exit_code::ok;
    }
    const Symbols& sym = opts.unicode  ? kUtf8
                         : opts.vt100  ? kVt100
                         : opts.ascii  ? kAscii
                         : utf8_terminal() ? kUtf8
                                           : kAscii;
    TreeWriter writer(out, opts, sym, width, bold);
    for (size_t i = 0; i < roots.size(); ++i) {
        if (i) writer.put_raw('\n');
        writer.dump_tree(roots[i], 0, 1, true, true, user ? user->uid : 0, 0);
    }
    out.flush();
    return exit_code::ok;
}

}  // namespace

}  // namespace ptool
