// hashfile --update (update.hpp).
#include "tools/hashfile/update.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>

#include "libcommon/core/error.hpp"
#include "libcommon/core/fd.hpp"
#include "libcommon/core/report.hpp"
#include "tools/hashfile/checksum.hpp"
#include "tools/hashfile/file_tree.hpp"

namespace ptool {

namespace {

constexpr std::string_view kStateHeader = "# ptool hashfile --update state 1\n";

struct FileState {
    uint64_t size = 0;
    int64_t mtime_ns = 0;
    std::vector<DigestAlgo> algos;  // of the file's lines, in order (untagged lines guess)
};

// One listed file: its lines in SUMS (raw, without the newline) and what they say.
struct Listed {
    std::string name;
    std::vector<std::string> raw;
    std::vector<CheckEntry> entries;
    std::vector<std::string> fresh;  // rewritten lines, when re-hashed
    bool hash = false;
};

std::optional<std::string> read_optional(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!fd) {
        if (errno == ENOENT) return std::nullopt;
        throw SysError(path, errno);
    }
    return read_all(fd.get(), path);
}

std::vector<std::string_view> lines_of(std::string_view text) {
    std::vector<std::string_view> out;
    for (size_t pos = 0; pos < text.size();) {
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        out.push_back(text.substr(pos, end - pos));
        pos = end + 1;
    }
    return out;
}

// "SIZE MTIME_NS ALGO[,ALGO...] NAME" lines; a name with a backslash, newline or CR is
// escaped with a leading '\' as in checksum lines.
std::map<std::string, FileState> read_state(const std::string& text) {
    std::map<std::string, FileState> state;
    for (std::string_view line : lines_of(text)) {
        if (line.empty() || line[0] == '#') continue;
        bool escaped = line[0] == '\\';
        if (escaped) line.remove_prefix(1);
        size_t a = line.find(' '), b = a == std::string_view::npos ? a : line.find(' ', a + 1);
        size_t c = b == std::string_view::npos ? b : line.find(' ', b + 1);
        if (c == std::string_view::npos) continue;
        FileState st;
        try {
            st.size = std::stoull(std::string(line.substr(0, a)));
            st.mtime_ns = std::stoll(std::string(line.substr(a + 1, b - a - 1)));
        } catch (const std::exception&) {
            continue;
        }
        for (std::string_view algos = line.substr(b + 1, c - b - 1); !algos.empty();) {
            size_t comma = std::min(algos.find(','), algos.size());
            if (auto algo = parse_digest_algo(algos.substr(0, comma))) st.algos.push_back(*algo);
            algos.remove_prefix(std::min(comma + 1, algos.size()));
        }
        b = c;
        auto name = escaped ? unescape_name(line.substr(b + 1))
                            : std::optional(std::string(line.substr(b + 1)));
        if (name) state[*name] = st;
    }
    return state;
}

void append_state_line(std::string& out, const std::string& name, const struct stat& st,
                       const std::vector<CheckEntry>& entries) {
    bool escape = name.find_first_of("\\\n\r") != std::string::npos;
    if (escape) out += '\\';
    out += std::to_string(st.st_size) + " " +
           std::to_string(int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec) + " ";
    for (size_t j = 0; j < entries.size(); ++j) {
        if (j) out += ',';
        out += digest_info(entries[j].algo).name;
    }
    out += ' ';
    if (escape)
        append_escaped_name(out, name, NameEscaping::coreutils);
    else
        out += name;
    out += '\n';
}

void write_atomically(const std::string& path, std::string_view text) {
    std::string tmp = path + ".tmp";
    {
        UniqueFd fd = open_file(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
        write_full(fd.get(), text);
        if (::fsync(fd.get()) != 0) throw SysError(tmp, errno);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) throw SysError(path, errno);
}

int64_t mtime_ns(const struct stat& st) {
    return int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
}

}  // namespace

int update_sums(const UpdateSettings& s, const Setup& setup,
                const std::vector<std::string>& files) {
    Report report;
    std::string state_path = s.sums + ".state";
    std::string sums_text = read_optional(s.sums).value_or("");
    auto state_text = read_optional(state_path);
    std::map<std::string, FileState> state = read_state(state_text.value_or(""));
    int64_t state_written = 0;
    struct stat sst;
    if (state_text && ::stat(state_path.c_str(), &sst) == 0) state_written = mtime_ns(sst);

    // SUMS's lines by file, in order; lines that are not checksum lines stay where they are.
    CheckLineParser parser(s.forced ? std::optional(setup.algos[0]) : std::nullopt);
    std::vector<Listed> listed;
    std::map<std::string, size_t> index;
    std::vector<DigestAlgo> seen_algos;
    for (std::string_view raw : lines_of(sums_text)) {
        auto body = check_line_body(raw);
        std::optional<CheckEntry> e;
        if (body) e = parser.parse(*body);
        if (!e) {
            listed.push_back({"", {std::string(raw)}, {}, {}, false});
            continue;
        }
        auto [it, added] = index.emplace(e->file, listed.size());
        if (added) listed.push_back({e->file, {}, {}, {}, false});
        listed[it->second].raw.emplace_back(raw);
        listed[it->second].entries.push_back(std::move(*e));
    }
    // Untagged lines guessed their algorithm from their length; the sidecar knows it.
    for (Listed& l : listed) {
        auto known = state.find(l.name);
        if (l.entries.empty() || known == state.end() ||
            known->second.algos.size() != l.entries.size())
            continue;
        for (size_t j = 0; j < l.entries.size(); ++j)
            if (!l.entries[j].tagged && !s.forced) l.entries[j].algo = known->second.algos[j];
    }
    for (const Listed& l : listed)
        for (const auto& e : l.entries)
            if (std::find(seen_algos.begin(), seen_algos.end(), e.algo) == seen_algos.end())
                seen_algos.push_back(e.algo);
    std::vector<DigestAlgo> new_algos = s.forced || seen_algos.empty() ? setup.algos : seen_algos;

    // Names from the command line that SUMS does not list yet.
    std::vector<TreeItem> named =
        s.recursive ? list_file_tree(files, s.excludes) : std::vector<TreeItem>{};
    if (!s.recursive)
        for (const auto& f : files) named.push_back({f, 0});
    for (const auto& item : named) {
        if (item.err) {
            report.warn_errno(quote_name(item.path), item.err);
            continue;
        }
        if (index.count(item.path)) continue;
        index.emplace(item.path, listed.size());
        Listed l{item.path, {}, {}, {}, true};
        for (DigestAlgo a : new_algos) l.entries.push_back({a, "", item.path, false, 0});
        listed.push_back(std::move(l));
    }

    // What changed since the sidecar was written, and what is gone.
    std::vector<struct stat> stats(listed.size());
    std::vector<size_t> to_hash;
    std::vector<char> gone(listed.size(), 0);
    for (size_t i = 0; i < listed.size(); ++i) {
        Listed& l = listed[i];
        if (l.entries.empty()) continue;
        if (::stat(l.name.c_str(), &stats[i]) != 0) {
            if (errno == ENOENT) {
                gone[i] = 1;
                continue;
            }
            report.warn_errno(quote_name(l.name), errno);
            continue;  // kept as it was
        }
        auto known = state.find(l.name);
        bool same = known != state.end() && known->second.size == uint64_t(stats[i].st_size) &&
                    known->second.mtime_ns == mtime_ns(stats[i]) &&
                    mtime_ns(stats[i]) < state_written;
        if (l.hash || !same) to_hash.push_back(i);
    }

    unsigned workers = worker_count(s.jobs, to_hash.size());
    std::vector<FileHasher> hashers;
    for (unsigned t = 0; t < workers; ++t) hashers.emplace_back(setup, nullptr, false);
    run_ordered<FileHasher::Result>(
        to_hash.size(), s.jobs,
        [&](size_t k, unsigned t) {
            Listed& l = listed[to_hash[k]];
            std::vector<DigestAlgo> algos;
            for (const auto& e : l.entries) algos.push_back(e.algo);
            return hashers[t].hash_with(l.name, algos, l.entries[0].length);
        },
        [&](size_t k, const FileHasher::Result& r) {
            size_t i = to_hash[k];
            Listed& l = listed[i];
            if (r.err) {
                if (r.err == ENOENT) {
                    gone[i] = 1;
                } else {
                    report.warn_errno(quote_name(l.name), r.err);
                    if (l.raw.empty()) gone[i] = 1;  // a new file that cannot be read
                }
                return;
            }
            bool several = l.entries.size() > 1;
            for (size_t j = 0; j < l.entries.size(); ++j) {
                const CheckEntry& e = l.entries[j];
                std::string line;
                if (e.algo == DigestAlgo::cksum) {
                    std::string_view name = l.name;
                    append_cksum_line(line, r.hex[j], r.size, &name, '\n');
                } else {
                    bool bsd = s.tag || e.tagged ||
                               (several && ambiguous_untagged(e.algo, r.hex[j].size()));
                    append_checksum_line(line, digest_info(e.algo), r.hex[j], l.name, bsd, '\n',
                                         setup.binary);
                }
                line.pop_back();
                l.fresh.push_back(std::move(line));
            }
        });

    std::string sums_out, state_out(kStateHeader);
    for (size_t i = 0; i < listed.size(); ++i) {
        const Listed& l = listed[i];
        if (gone[i]) continue;
        for (const auto& line : l.fresh.empty() ? l.raw : l.fresh) sums_out += line + "\n";
        if (!l.entries.empty() && (!l.fresh.empty() || state.count(l.name)))
            append_state_line(state_out, l.name, stats[i], l.entries);
    }
    write_atomically(s.sums, sums_out);
    write_atomically(state_path, state_out);
    return report.exit_status();
}

}  // namespace ptool
