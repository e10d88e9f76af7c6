// ptool pstree [OPTIONS] [PID|USER]: the process tree, byte-identical to
// psmisc 23.6 pstree for the same options.
//   -a arguments   -A ASCII   -G VT100   -U UTF-8   -c no compaction
//   -g pgids   -h highlight self   -H PID highlight   -l no truncation
//   -n sort by pid   -N TYPE trees per namespace   -p pids   -s parents of PID
//   -S namespace transitions   -t thread names   -T hide threads   -u uid transitions
//   -C age colour by age   -Z security context   -V version   --json   --proc DIR
#include <langinfo.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <strings.h>

#include <cctype>
#include <climits>
#include <clocale>
#include <cstdlib>
#include <map>
#include <memory>

#include "libcommon/core/error.hpp"
#include "libcommon/core/fd.hpp"
#include "libcommon/core/output.hpp"
#include "libcommon/core/parse.hpp"
#include "libcommon/procs/procfs.hpp"
#include "tools/pstree/json_tree.hpp"
#include "tools/pstree/proctree.hpp"
#include "tools/pstree/terminfo.hpp"
#include "tools/ptool/ptool.hpp"

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
    bool ns_changes = false;
    int ns_sort = -1;  // -N: an index into kNamespaceNames
    bool color_age = false;
    bool security_context = false;
    bool version = false;
    bool json = false;
    std::vector<std::string> fields;
    std::string proc_root = "/proc";
    std::string target;  // PID or USER
};

int run_pstree(const Options& opts);

}  // namespace

namespace {

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

void declare_pstree(cli::OptionTable& t, Options& o) {
    t.help_long_only();  // -h is psmisc's
    t.flag("-a,--arguments", "show command line arguments", o.arguments);
    t.flag("-A,--ascii", "use ASCII line drawing characters", o.ascii);
    t.flag("-c,--compact-not", "don't compact identical subtrees", o.compact_not);
    t.custom("-C,--color", "TYPE", "color process by attribute (age)", cli::Kind::choice,
             [&o](std::string_view text) {
                 // psmisc takes the word in any case
                 if (text.size() != 3 || ::strncasecmp(text.data(), "age", 3) != 0)
                     throw UsageError("must be 'age'");
                 o.color_age = true;
             });
    t.flag("-g,--show-pgids", "show process group ids", o.pgids);
    t.flag("-G,--vt100", "use VT100 line drawing characters", o.vt100);
    t.flag("-h,--highlight-all", "highlight the current process and its ancestors",
           o.highlight_all);
    t.integer("-H,--highlight-pid", "PID", "highlight this process and its ancestors",
              o.highlight_pid, 1, INT_MAX);
    t.flag("-l,--long", "don't truncate long lines", o.long_lines);
    t.flag("-n,--numeric-sort", "sort output by PID", o.numeric_sort);
    std::vector<std::pair<std::string, int>> ns_types;
    for (size_t i = 0; i < kNamespaceTypes; ++i)
        ns_types.emplace_back(std::string(kNamespaceNames[i]), int(i));
    t.choice("-N,--ns-sort", "TYPE", "show one tree per namespace of this type", o.ns_sort,
             std::move(ns_types));
    t.flag("-p,--show-pids", "show PIDs; implies -c", o.pids);
    t.flag("-s,--show-parents", "show parents of the selected process", o.show_parents);
    t.flag("-S,--ns-changes", "show namespace transitions", o.ns_changes);
    t.flag("-t,--thread-names", "show full thread names", o.thread_names);
    t.flag("-T,--hide-threads", "hide threads, show only processes", o.hide_threads);
    t.flag("-u,--uid-changes", "show uid transitions", o.uid_changes);
    t.flag("-U,--unicode", "use UTF-8 (Unicode) line drawing characters", o.unicode);
    t.flag("-V", "print the version in psmisc's shape and exit (--version: ptool's)", o.version);
    t.flag("-Z,--security-context", "show security attributes", o.security_context);
    t.flag("--json", "print the tree as nested JSON", o.json);
    t.list("--fields", "LIST", "--json: these fields of each process (all: every one)", o.fields)
        .split_on(',');
    t.path("--proc", "DIR", "read this procfs root instead of /proc", o.proc_root);
    t.positional("target", "start at this PID, or show the trees of this USER", o.target)
        .complete_as(cli::Complete::pid);
}

// psmisc reads the age of each process against /proc/uptime's first number.
double read_uptime(const std::string& proc_root) {
    std::string text = read_file(proc_root + "/uptime");
    char* end = nullptr;
    double seconds = std::strtod(text.c_str(), &end);
    if (end == text.c_str()) throw Error(proc_root + "/uptime: not a number of seconds");
    return seconds;
}

int run_pstree(const Options& opts) {
    if (opts.version) {
        // psmisc's first line in its shape, "NAME (PACKAGE) VERSION"; on stdout as
        // ptool --version
        write_or_die(STDOUT_FILENO, "pstree (ptool) " PTOOL_VERSION "\n");
        return exit_code::ok;
    }
    if (opts.ns_sort >= 0) {
        // psmisc checks the kernel has the type with its own /proc/PID/ns link
        struct stat st {};
        std::string type(kNamespaceNames[size_t(opts.ns_sort)]);
        if (::stat(("/proc/self/ns/" + type).c_str(), &st) != 0)
            throw Error("-N " + type + ": procfs file for the namespace not available");
    }
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
    if (opts.highlight_all && highlight) throw UsageError("-h and -H cannot be used together");
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

    // --fields implies --json
    const bool json = opts.json || !opts.fields.empty();
    JsonFields fields = opts.fields.empty() ? kDefaultJsonFields : parse_json_fields(opts.fields);
    auto wants = [&](JsonField f) { return json && (fields & json_field_bit(f)); };
    int width = output_width();
    bool trunc = !opts.long_lines && !json;
    ProcReadOptions read;
    read.root = opts.proc_root;
    read.cmdline = opts.arguments || wants(JsonField::cmdline);
    // psmisc reads one screen width of a cmdline (8 KiB with -l).
    size_t args_limit = trunc ? size_t(width) : 8192;
    read.cmdline_limit = json ? 0 : args_limit + 1;
    read.threads = !opts.hide_threads && (!json || wants(JsonField::threads));
    read.thread_names = opts.thread_names || json;
    if (opts.ns_changes || wants(JsonField::namespaces))
        read.namespaces = (1u << kNamespaceTypes) - 1;
    if (opts.ns_sort >= 0) read.namespaces |= 1u << opts.ns_sort;
    read.security_context = opts.security_context && !json;
    read.exact_rss = wants(JsonField::rss_kb);
    std::vector<ProcessInfo> table = read_process_table(read);

    struct stat st {};
    pid_t root_pid = ::stat((opts.proc_root + "/0").c_str(), &st) == 0 ? 0 : 1;
    ProcessTree tree(table, opts.arguments, opts.numeric_sort,
                     json ? std::string::npos : args_limit);
    tree.adopt_orphans(root_pid);
    tree.sort_children();
    for (ProcNode* node = highlight ? tree.find(highlight) : nullptr; node; node = node->parent)
        node->highlight = true;
    if (opts.show_parents && pid >= 0) {
        ProcNode* child = tree.find(pid);
        if (!child) throw Error("process " + std::to_string(pid) + " not found");
        ProcessTree::trim_to_parents(child);
        pid = -1;
    }
    if (pid < 0) pid = root_pid;

    std::vector<ProcNode*> roots;
    if (user)
        collect_user_roots(tree.find(root_pid), user->uid, roots);
    else if (ProcNode* root = tree.find(pid))
        roots.push_back(root);
    if (user && roots.empty() && opts.ns_sort < 0)
        throw Error("no processes found for user '" + opts.target + "'");

    OutputBuffer out(STDOUT_FILENO);
    if (json) {
        JsonTreeWriter writer(fields, out);
        if (user) {  // an array of trees, empty or not
            out.put('[');
            for (size_t i = 0; i < roots.size(); ++i) {
                if (i) out.put(',');
                writer.write_tree(roots[i]);
            }
            out.write("]\n");
        } else if (!roots.empty()) {
            writer.write_tree(roots.front());
            out.put('\n');
        }
        out.flush();
        return exit_code::ok;
    }
    TreeStyle style;
    style.arguments = opts.arguments;
    style.pids = opts.pids;
    style.pgids = opts.pgids;
    style.uid_changes = opts.uid_changes;
    style.ns_changes = opts.ns_changes;
    style.security_context = opts.security_context;
    style.color_age = opts.color_age;
    if (opts.color_age) {
        style.uptime = read_uptime(opts.proc_root);
        style.ticks_per_second = double(::sysconf(_SC_CLK_TCK));
    }
    style.numeric_sort = opts.numeric_sort;
    style.compact = !opts.compact_not && !opts.pids;
    style.truncate = !opts.long_lines;
    style.width = width;
    style.symbols = opts.unicode      ? &kTreeUtf8
                    : opts.vt100      ? &kTreeVt100
                    : opts.ascii      ? &kTreeAscii
                    : utf8_terminal() ? &kTreeUtf8
                                      : &kTreeAscii;
    style.bold = bold;
    TreeWriter writer(out, std::move(style));
    if (opts.ns_sort >= 0) {
        // psmisc starts at pid 1 whatever PID or USER says
        for (const auto& group : tree.group_by_namespace(size_t(opts.ns_sort))) {
            writer.put_counted("[" + std::to_string(group.inode) + "]\n");
            for (ProcNode* root : group.roots) writer.dump_tree(root, 0, 1, true, true, 0, 0);
        }
        out.flush();
        return exit_code::ok;
    }
    for (size_t i = 0; i < roots.size(); ++i) {
        if (i) writer.put_raw('\n');
        writer.dump_tree(roots[i], 0, 1, true, true, user ? user->uid : 0, 0);
    }
    out.flush();
    return exit_code::ok;
}

}  // namespace

const ToolEntry pstree_tool{"pstree", "show the process tree (psmisc pstree)",
                            tool_main<Options, declare_pstree, run_pstree>};

}  // namespace ptool
