// psmisc pstree's tree building and text layout (proctree.hpp).
#include "tools/pstree/proctree.hpp"

#include <algorithm>

#include "libcommon/core/parse.hpp"

namespace ptool {

ProcessTree::ProcessTree(const std::vector<ProcessInfo>& table, bool args, bool by_pid,
                         size_t args_limit)
    : by_pid_(by_pid) {
    for (const ProcessInfo& proc : table) {
        for (size_t i = 0; i < proc.threads.size(); ++i) {
            const ThreadInfo& thread = proc.threads[i];
            std::string name = "{" + thread.name.substr(0, kCommLen) + "}";
            ProcNode& node = add(name, thread.tid, proc.pid, proc.pgid, proc.uid, true);
            node.info = &proc;
            if (i < proc.thread_security_contexts.size())
                node.security_context = proc.thread_security_contexts[i];
            if (args) set_args(node, name + '\0');
        }
        ProcNode& node = add(proc.comm, proc.pid, proc.ppid, proc.pgid, proc.uid, false);
        node.info = &proc;
        node.security_context = proc.security_context;
        if (proc.cmdline) {
            std::string args = proc.cmdline->substr(0, args_limit);
            if (!args.empty()) args += '\0';
            set_args(node, std::move(args));
        }
    }
}

void ProcessTree::adopt_orphans(pid_t root_pid) {
    ProcNode& root = find_or_make(root_pid);
    for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
        ProcNode* node = *it;
        if (node->pid == 1 || node->pid == 0 || node->parent) continue;
        add_child(root, *node);
    }
}

void ProcessTree::sort_children() {
    for (ProcNode* node : created_)
        std::stable_sort(node->children.begin(), node->children.end(),
                         [this](const ProcNode* a, const ProcNode* b) {
                             if (by_pid_) return a->pid < b->pid;
                             int cmp = a->comm.compare(b->comm);
                             return cmp < 0 || (cmp == 0 && a->uid < b->uid);
                         });
}

ProcNode* ProcessTree::find(pid_t pid) const {
    auto it = nodes_.find(pid);
    return it == nodes_.end() ? nullptr : it->second;
}

void ProcessTree::trim_to_parents(ProcNode* node) {
    for (; node->parent; node = node->parent) node->parent->children.assign(1, node);
}

std::vector<ProcessTree::NamespaceGroup> ProcessTree::group_by_namespace(size_t type) {
    std::vector<NamespaceGroup> groups;
    auto visit = [&](auto& self, ProcNode* node) -> void {
        uint64_t inode = node_namespace(node, type);
        if (!node->parent || node_namespace(node->parent, type) != inode) {
            auto it = std::find_if(groups.begin(), groups.end(),
                                   [&](const NamespaceGroup& g) { return g.inode == inode; });
            if (it == groups.end()) it = groups.insert(groups.end(), NamespaceGroup{inode, {}});
            it->roots.push_back(node);
            if (node->parent) {
                auto& siblings = node->parent->children;
                siblings.erase(std::find(siblings.begin(), siblings.end(), node));
                node->parent = nullptr;
            }
        }
        std::vector<ProcNode*> kids = node->children;  // a child may leave the list
        for (ProcNode* child : kids) self(self, child);
    };
    if (ProcNode* init = find(1)) visit(visit, init);
    return groups;
}

ProcNode& ProcessTree::add(const std::string& comm, pid_t pid, pid_t ppid, pid_t pgid, uid_t uid,
                           bool thread) {
    ProcNode& node = find_or_make(pid);
    node.comm = comm.substr(0, kCommLen + 1);
    node.uid = uid;
    node.pgid = pgid;
    node.thread = thread;
    if (pid == ppid) ppid = 0;
    ProcNode& parent = find_or_make(ppid);
    if (pid != 0) add_child(parent, node);
    return node;
}

ProcNode& ProcessTree::find_or_make(pid_t pid) {
    auto [it, fresh] = nodes_.try_emplace(pid, nullptr);
    if (fresh) {
        ProcNode& node = storage_.emplace_back();
        node.comm = "?";
        node.pid = pid;
        it->second = &node;
        created_.push_back(&node);
    }
    return *it->second;
}

void ProcessTree::add_child(ProcNode& parent, ProcNode& child) {
    parent.children.push_back(&child);
    child.parent = &parent;
}

// psmisc's set_args, quirks included: the words after argv[0], the last one
// being what follows the final NUL (so "a\0b\0" gives " b").
void ProcessTree::set_args(ProcNode& node, std::string args) {
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

bool TreeWriter::tree_equal(const ProcNode* a, const ProcNode* b) const {
    if (a->comm != b->comm) return false;
    if (style_.uid_changes && a->uid != b->uid) return false;
    if (style_.ns_changes)
        for (size_t type = 0; type < kNamespaceTypes; ++type)
            if (node_namespace(a, type) != node_namespace(b, type)) return false;
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

void TreeWriter::out_ns_changes(const ProcNode* current, int& info) {
    if (!current->parent) return;
    for (size_t type = 0; type < kNamespaceTypes; ++type) {
        uint64_t mine = node_namespace(current, type);
        uint64_t parents = node_namespace(current->parent, type);
        if (mine == 0 || parents == 0 || mine == parents) continue;
        out_char(info++ ? ',' : '(');
        out_string(kNamespaceNames[type]);
    }
}

// psmisc's out_scontext: the context between a backquote and a quote, unescaped.
void TreeWriter::out_security_context(const ProcNode* current, int& info) {
    out_char(info++ ? ',' : '(');
    out_char('`');
    out_string(current->security_context);
    out_char('\'');
}

// psmisc's colours by age: green under a minute, yellow under an hour, then red.
const char* TreeWriter::age_color(const ProcNode* current) const {
    double age = 0;  // a "?" placeholder counts as new
    if (current->info)
        age = style_.uptime - double(current->info->start_time) / style_.ticks_per_second;
    int seconds = age < 0 ? 0 : static_cast<int>(age);
    return seconds < 60 ? "\033[32m" : seconds < 3600 ? "\033[33m" : "\033[31m";
}

void TreeWriter::dump_tree(ProcNode* current, int level, int rep, bool leaf, bool last,
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
    if (style_.color_age) out_.write(age_color(current));
    if (current->highlight && !bold_.first.empty()) put_bold(bold_.first);
    const bool print_args = style_.arguments;
    int info = print_args ? 1 : 0;
    if (print_args && current->argc < 0) out_char('(');
    int comm_len = out_args(current->comm);
    int offset = cur_x_;
    if (style_.pids) {
        out_char(info++ ? ',' : '(');
        out_int(current->pid);
    }
    if (style_.pgids) {
        out_char(info++ ? ',' : '(');
        out_int(current->pgid);
    }
    if (style_.uid_changes && prev_uid != current->uid) {
        out_char(info++ ? ',' : '(');
        if (const std::string& name = user_label(current->uid); !name.empty())
            out_string(name);
        else
            out_int(current->uid);
    }
    if (style_.ns_changes) out_ns_changes(current, info);
    if (style_.security_context) out_security_context(current, info);
    if ((print_args && current->argc < 0) || (!print_args && info)) out_char(')');
    if (current->highlight && !bold_.second.empty()) put_bold(bold_.second);
    if (print_args) {
        for (int i = 0; i < current->argc; ++i) {
            if (i < current->argc - 1)
                out_char(' ');  // the last word is the one after the final NUL
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
    if (style_.color_age) out_.write("\033[0m");
    // -Z lays the tree out as -a does: one line per process, only threads merged.
    const bool line_each = print_args || style_.security_context;
    if (line_each || current->children.empty()) {
        while (closing--) out_char(']');
        out_newline();
    }
    if (width_.size() <= size_t(level)) {
        width_.resize(size_t(level) + 1);
        more_.resize(size_t(level) + 2);
    }
    more_[size_t(level)] = !last;

    std::vector<ProcNode*>& kids = current->children;
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
            if (!style_.numeric_sort && kids[j]->comm != kids[i]->comm) break;
            if (tree_equal(kids[i], kids[j])) {
                removed[j] = 1;
                ++count;
            }
        }
        return count;
    };

    if (line_each) {
        width_[size_t(level)] = (print_args ? 1 : 0) + (comm_len > 1 ? 0 : -1);
        for (size_t i = 0; i < kids.size(); i = next_alive(i)) {
            if (compact_ && kids[i]->thread) {
                int count = compact_after(i);
                // `closing` is -1 here, spent by the loop above (as in psmisc).
                dump_tree(kids[i], level + 1, count + 1, false, next_alive(i) == kids.size(),
                          current->uid, closing + (count ? 2 : 1));
            } else {
                dump_tree(kids[i], level + 1, 1, false, next_alive(i) == kids.size(), current->uid,
                          0);
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
void collect_user_roots(ProcNode* node, uid_t uid, std::vector<ProcNode*>& roots) {
    if (!node) return;
    if (node->uid == uid) {
        roots.push_back(node);
        return;
    }
    for (ProcNode* child : node->children) collect_user_roots(child, uid, roots);
}

}  // namespace ptool
