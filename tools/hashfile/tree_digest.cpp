// hashfile --tree's walk and Merkle digest (tree_digest.hpp).
#include "tools/hashfile/tree_digest.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "tools/hashfile/file_tree.hpp"

namespace ptool {

namespace {

struct Node {
    std::string path;  // as opened: root + "/" + relative
    std::string name;  // the entry's name in its directory
    char type = 'o';
    uint64_t size = 0;
    size_t parent = 0;             // index of the directory holding it (the root: itself)
    std::vector<size_t> children;  // directories: entries in byte order
    size_t file_index = 0;         // files: index into the list hashed in parallel
    std::vector<std::string> hex;  // the node digest, per algorithm
};

struct DirCloser {
    void operator()(DIR* d) const { ::closedir(d); }
};

class TreeWalk {
public:
    TreeWalk(const std::vector<std::string>& excludes, TreeDigest& result)
        : excludes_(excludes), result_(result) {}

    // Lists directory nodes_[index] and everything under it; false on the first error.
    bool list(size_t index, const std::string& relative) {
        std::unique_ptr<DIR, DirCloser> d(::opendir(nodes[index].path.c_str()));
        if (!d) return fail(nodes[index].path);
        std::vector<std::string> names;
        errno = 0;
        while (dirent* e = ::readdir(d.get())) {
            std::string_view name = e->d_name;
            if (name != "." && name != "..") names.emplace_back(name);
        }
        if (errno != 0) return fail(nodes[index].path);
        d.reset();
        std::sort(names.begin(), names.end());
        std::string prefix =
            nodes[index].path.ends_with('/') ? nodes[index].path : nodes[index].path + "/";
        for (auto& name : names) {
            std::string rel = relative.empty() ? name : relative + "/" + name;
            if (!excludes_.empty() && excluded(excludes_, name, rel)) continue;
            Node n;
            n.path = prefix + name;
            n.name = std::move(name);
            n.parent = index;
            struct stat st;
            if (::lstat(n.path.c_str(), &st) != 0) return fail(n.path);
            if (S_ISREG(st.st_mode)) {
                n.type = 'f';
                n.file_index = files.size();
                files.push_back(nodes.size());
            } else if (S_ISDIR(st.st_mode)) {
                n.type = 'd';
            } else if (S_ISLNK(st.st_mode)) {
                n.type = 'l';
            }
            nodes.push_back(std::move(n));
            size_t child = nodes.size() - 1;
            nodes[index].children.push_back(child);
            if (nodes[child].type == 'd' && !list(child, rel)) return false;
        }
        nodes[index].size = nodes[index].children.size();
        return true;
    }

    bool fail(const std::string& path) {
        result_.err = errno;
        result_.what = path;
        return false;
    }

    std::vector<Node> nodes;
    std::vector<size_t> files;  // indexes of the regular files, in walk order

private:
    const std::vector<std::string>& excludes_;
    TreeDigest& result_;
};

void append_be64(std::string& out, uint64_t v) {
    for (int i = 7; i >= 0; --i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

std::string raw_digest(const std::string& hex) {
    std::string out(hex.size() / 2, '\0');
    for (size_t i = 0; i < out.size(); ++i)
        out[i] = static_cast<char>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
    return out;
}

}  // namespace

TreeDigest digest_tree(const std::string& root, const Setup& setup, unsigned jobs,
                       const std::vector<std::string>& excludes, bool progress) {
    TreeDigest result;
    TreeWalk walk(excludes, result);
    struct stat st;
    if (::stat(root.c_str(), &st) != 0) {
        walk.fail(root);
        return result;
    }
    if (!S_ISDIR(st.st_mode)) {
        result.err = ENOTDIR;
        result.what = root;
        return result;
    }
    walk.nodes.push_back({root, "", 'd', 0, 0, {}, 0, {}});
    if (!walk.list(0, "")) return result;
    auto& nodes = walk.nodes;

    uint64_t total = 0;
    for (size_t i : walk.files) total += nodes[i].size;
    std::optional<ProgressMeter> meter;
    if (progress) meter.emplace(total, walk.files.size());
    ProgressMeter* m = meter ? &*meter : nullptr;
    unsigned workers = worker_count(jobs, walk.files.size());
    std::vector<FileHasher> hashers;
    for (unsigned t = 0; t < workers; ++t) hashers.emplace_back(setup, m, workers == 1, true);
    run_ordered<FileHasher::Result>(
        walk.files.size(), jobs,
        [&](size_t i, unsigned t) { return hashers[t].hash(nodes[walk.files[i]].path); },
        [&](size_t i, FileHasher::Result& r) {
            Node& n = nodes[walk.files[i]];
            if (r.err && !result.err) result.err = r.err, result.what = n.path;
            n.size = r.size;  // what was read, should the file have changed since lstat
            result.bytes += r.size;
            n.hex = std::move(r.hex);
        },
        [&] {
            if (m) m->draw();
        });
    meter.reset();
    if (result.err) return result;

    std::vector<Digest> digests;
    for (DigestAlgo a : setup.algos) digests.emplace_back(a, setup.params_for(a));
    auto finish_all = [&] {
        std::vector<std::string> hex;
        for (Digest& d : digests) hex.push_back(d.finish_hex());
        return hex;
    };
    // Children come after their directory in `nodes`: backwards, every child is done first.
    for (size_t i = nodes.size(); i-- > 0;) {
        Node& n = nodes[i];
        if (n.type == 'l') {
            std::string target(4096, '\0');
            ssize_t len = ::readlink(n.path.c_str(), target.data(), target.size());
            if (len < 0) {
                walk.fail(n.path);
                return result;
            }
            target.resize(static_cast<size_t>(len));
            n.size = target.size();
            for (Digest& d : digests) d.update(target);
            n.hex = finish_all();
        } else if (n.type == 'o') {
            n.hex = finish_all();
        } else if (n.type == 'd') {
            for (size_t k = 0; k < digests.size(); ++k) {
                std::string records;
                for (size_t c : n.children) {
                    const Node& child = nodes[c];
                    records += child.type;
                    append_be64(records, child.name.size());
                    records += child.name;
                    append_be64(records, child.size);
                    records += raw_digest(child.hex[k]);
                }
                digests[k].update(records);
            }
            n.hex = finish_all();
        }
    }
    result.hex = std::move(nodes[0].hex);
    return result;
}

}  // namespace ptool
