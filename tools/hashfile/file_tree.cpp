// hashfile -r's walk: depth first, entries in byte order (file_tree.hpp).
#include "tools/hashfile/file_tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <memory>

namespace ptool {

namespace {

struct DirCloser {
    void operator()(DIR* d) const { ::closedir(d); }
};

void walk(const std::string& dir, const std::string& relative,
          const std::vector<std::string>& excludes, std::vector<TreeItem>& out) {
    std::unique_ptr<DIR, DirCloser> d(::opendir(dir.c_str()));
    if (!d) {
        out.push_back({dir, errno});
        return;
    }
    struct Entry {
        std::string name;
        unsigned char type;
    };
    std::vector<Entry> entries;
    errno = 0;
    while (dirent* e = ::readdir(d.get())) {
        std::string_view name = e->d_name;
        if (name != "." && name != "..") entries.push_back({std::string(name), e->d_type});
    }
    if (errno != 0) out.push_back({dir, errno});
    d.reset();
    // std::string compares as unsigned bytes (char_traits<char>), i.e. byte order.
    std::sort(entries.begin(), entries.end(),
              [](const Entry& a, const Entry& b) { return a.name < b.name; });
    std::string prefix = dir.ends_with('/') ? dir : dir + "/";
    for (const auto& e : entries) {
        std::string path = prefix + e.name;
        std::string rel = relative.empty() ? e.name : relative + "/" + e.name;
        if (!excludes.empty() && excluded(excludes, e.name, rel)) continue;
        unsigned char type = e.type;
        if (type == DT_UNKNOWN || type == DT_LNK) {
            struct stat st;
            bool link = type == DT_LNK;
            if (type == DT_UNKNOWN) {
                if (::lstat(path.c_str(), &st) != 0) {
                    out.push_back({path, errno});
                    continue;
                }
                link = S_ISLNK(st.st_mode);
                type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
            }
            if (link) {
                // A dangling link is reported (the hasher's open will say why).
                type = ::stat(path.c_str(), &st) != 0 || S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
            }
        }
        if (type == DT_DIR)
            walk(path, rel, excludes, out);
        else if (type == DT_REG)
            out.push_back({path, 0});
    }
}

}  // namespace

bool excluded(const std::vector<std::string>& excludes, std::string_view name,
              std::string_view relative) {
    std::string n(name), r(relative);
    for (const auto& glob : excludes) {
        bool by_path = glob.find('/') != std::string::npos;
        if (::fnmatch(glob.c_str(), by_path ? r.c_str() : n.c_str(), by_path ? FNM_PATHNAME : 0) ==
            0)
            return true;
    }
    return false;
}

std::vector<TreeItem> list_file_tree(const std::vector<std::string>& roots,
                                     const std::vector<std::string>& excludes) {
    std::vector<TreeItem> out;
    for (const auto& root : roots) {
        struct stat st;
        if (root != "-" && ::stat(root.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
            walk(root, "", excludes, out);
        else
            out.push_back({root, 0});
    }
    return out;
}

}  // namespace ptool
