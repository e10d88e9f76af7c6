// hashfile -c (check.hpp).
#include "tools/hashfile/check.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include "libcommon/core/error.hpp"
#include "libcommon/core/fd.hpp"
#include "libcommon/core/json.hpp"
#include "libcommon/core/output.hpp"
#include "libcommon/core/report.hpp"
#include "tools/hashfile/checksum.hpp"
#include "tools/hashfile/file_tree.hpp"

namespace ptool {

namespace {

struct CheckCounts {
    uint64_t misformatted = 0, mismatched = 0, unreadable = 0, unlisted = 0;
    bool properly_formatted = false, matched = false;
};

std::string plural(uint64_t n, const char* one, const char* many) {
    return "WARNING: " + std::to_string(n) + " " + (n == 1 ? one : many);
}

// One line of a check file: an entry to verify, or a misformatted line.
struct CheckItem {
    uint64_t line_number = 0;
    std::optional<CheckEntry> entry;
    std::vector<DigestAlgo> algos;  // entry->algo first, then the other algorithms of its length
};

bool same_hex(std::string_view expected, std::string_view actual) {
    return std::equal(expected.begin(), expected.end(), actual.begin(), actual.end(),
                      [](char a, char b) { return std::tolower(a) == b; });
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string normal_path(const std::string& p) {
    std::string n = std::filesystem::path(p).lexically_normal().string();
    return n.empty() ? "." : n;
}

// The deepest directory holding every listed file ("." for names without a directory).
std::string listed_tree(const std::vector<CheckItem>& items) {
    std::optional<std::filesystem::path> common;
    for (const auto& item : items) {
        if (!item.entry || item.entry->file == "-") continue;
        auto dir = std::filesystem::path(normal_path(item.entry->file)).parent_path();
        if (dir.empty()) dir = ".";
        if (!common) {
            common = dir;
            continue;
        }
        std::filesystem::path shared;
        for (auto a = common->begin(), b = dir.begin();
             a != common->end() && b != dir.end() && *a == *b; ++a, ++b)
            shared /= *a;
        common = shared.empty() ? std::filesystem::path(".") : shared;
    }
    return common ? common->string() : ".";
}

class Checker {
public:
    Checker(const CheckSettings& s, const Setup& setup, OutputBuffer& out, Report& report)
        : s_(s), setup_(setup), out_(out), report_(report) {}

    void check_one_file(const std::string& check_file);

private:
    std::vector<CheckItem> parse_items(const std::string& text, bool is_stdin);
    void consume(const CheckItem& item, const FileHasher::Result& r, CheckCounts& c,
                 const std::string& display);
    void report_unlisted(const std::string& check_file, const std::vector<CheckItem>& items,
                         CheckCounts& c);
    void json_record(std::string_view file, std::optional<DigestAlgo> algo, std::string_view status,
                     const std::string* expected, const std::string* actual,
                     std::optional<DigestAlgo> matches = std::nullopt);
    std::string display_name(const std::string& file) const;
    void note(std::string_view message) {
        if (meter_) meter_->erase();
        report_.note(message);
    }

    const CheckSettings& s_;
    const Setup& setup_;
    OutputBuffer& out_;
    Report& report_;
    ProgressMeter* meter_ = nullptr;
};

std::vector<CheckItem> Checker::parse_items(const std::string& text, bool is_stdin) {
    CheckLineParser parser(s_.forced ? std::optional(setup_.algos[0]) : std::nullopt);
    std::vector<CheckItem> items;
    uint64_t line_number = 0;
    for (size_t pos = 0; pos < text.size();) {
        size_t end = text.find('\n', pos);
        end = end == std::string::npos ? text.size() : end + 1;
        std::string_view raw(text.data() + pos, end - pos);
        pos = end;
        ++line_number;
        auto body = check_line_body(raw);
        if (!body) continue;
        CheckItem item;
        item.line_number = line_number;
        item.entry = parser.parse(*body);
        if (item.entry && is_stdin && item.entry->file == "-") item.entry.reset();
        if (item.entry) {
            item.algos.push_back(item.entry->algo);
            // An untagged line's algorithm is a guess from its length: try the others too.
            if (!item.entry->tagged && !s_.forced && !item.entry->length)
                for (DigestAlgo a : algos_of_hex_length(item.entry->hex.size()))
                    if (a != item.entry->algo) item.algos.push_back(a);
        }
        items.push_back(std::move(item));
    }
    return items;
}

std::string Checker::display_name(const std::string& file) const {
    bool escape = !s_.status && name_needs_escape(file, NameEscaping::newline_only);
    std::string line;
    if (escape) {
        line += '\\';
        append_escaped_name(line, file, NameEscaping::newline_only);
    } else {
        line += file;
    }
    return line;
}

void Checker::json_record(std::string_view file, std::optional<DigestAlgo> algo,
                          std::string_view status, const std::string* expected,
                          const std::string* actual, std::optional<DigestAlgo> matches) {
    Json j{{"file", file}};
    j["algo"] = algo ? Json(digest_info(*algo).name) : Json(nullptr);
    j["status"] = status;
    j["expected"] = expected ? Json(*expected) : Json(nullptr);
    j["actual"] = actual ? Json(*actual) : Json(nullptr);
    if (matches) j["matches"] = digest_info(*matches).name;
    std::string line;
    append_json_line(line, j);
    out_.write(line);
}

void Checker::consume(const CheckItem& item, const FileHasher::Result& r, CheckCounts& c,
                      const std::string& display) {
    std::string_view tag = digest_info(setup_.algos[0]).tag;
    if (!item.entry) {
        ++c.misformatted;
        if (s_.warn)
            note(quote_name(display) + ": " + std::to_string(item.line_number) +
                 ": improperly formatted " + std::string(tag) + " checksum line");
        return;
    }
    const CheckEntry& e = *item.entry;
    c.properly_formatted = true;
    std::string expected = lower(e.hex);
    if (r.err) {
        if (s_.ignore_missing && r.err == ENOENT) return;
        if (meter_) meter_->erase();
        report_.warn_errno(quote_name(e.file), r.err);
        ++c.unreadable;
        if (s_.json && !s_.status)
            json_record(e.file, e.algo, r.err == ENOENT ? "missing" : "unreadable", &expected,
                        nullptr);
        else if (!s_.status)
            out_.write(display_name(e.file) + ": FAILED open or read\n");
        return;
    }
    bool same = same_hex(e.hex, r.hex[0]);
    std::optional<DigestAlgo> matches;
    for (size_t k = 1; !same && k < item.algos.size(); ++k)
        if (same_hex(e.hex, r.hex[k])) matches = item.algos[k];
    if (same)
        c.matched = true;
    else
        ++c.mismatched;
    if (s_.status || (same && s_.quiet)) return;
    if (s_.json) {
        json_record(e.file, e.algo, same ? "ok" : "failed", &expected, &r.hex[0], matches);
        return;
    }
    std::string line = display_name(e.file);
    if (same) {
        line += ": OK\n";
    } else if (matches) {
        std::string_view name = digest_info(*matches).name;
        line += ": FAILED (matches " + std::string(name) + "; use -a " + std::string(name) +
                " or --tag lines)\n";
    } else {
        line += ": FAILED\n";
    }
    out_.write(line);
}

// --new: the regular files under the listed tree that no line names.
void Checker::report_unlisted(const std::string& check_file, const std::vector<CheckItem>& items,
                              CheckCounts& c) {
    std::set<std::string> listed;
    for (const auto& item : items)
        if (item.entry) listed.insert(normal_path(item.entry->file));
    struct stat self {};
    bool have_self = check_file != "-" && ::stat(check_file.c_str(), &self) == 0;
    for (const TreeItem& t : list_file_tree({listed_tree(items)}, s_.excludes)) {
        if (t.err || listed.count(normal_path(t.path))) continue;
        struct stat st;
        if (have_self && ::stat(t.path.c_str(), &st) == 0 && st.st_dev == self.st_dev &&
            st.st_ino == self.st_ino)
            continue;
        ++c.unlisted;
        if (s_.status) continue;
        if (s_.json)
            json_record(t.path, std::nullopt, "new", nullptr, nullptr);
        else
            out_.write(display_name(t.path) + ": NEW\n");
    }
}

void Checker::check_one_file(const std::string& check_file) {
    bool is_stdin = check_file == "-";
    std::string display = is_stdin ? "standard input" : check_file;
    std::string text;
    try {
        UniqueFd owned;
        if (!is_stdin) owned = open_file(check_file, O_RDONLY);
        text = read_all(is_stdin ? STDIN_FILENO : owned.get(), "");
    } catch (const SysError& e) {
        if (e.err() == EISDIR)
            report_.warn(quote_name(display) + ": read error");
        else
            report_.warn_errno(quote_name(display), e.err());
        return;
    }
    std::vector<CheckItem> items = parse_items(text, is_stdin);

    unsigned jobs = s_.jobs;
    uint64_t total = 0, files = 0;
    for (const auto& item : items) {
        if (!item.entry) continue;
        ++files;
        if (item.entry->file == "-") jobs = 1;  // one reader of standard input
        struct stat st;
        if (s_.progress && ::stat(item.entry->file.c_str(), &st) == 0 && S_ISREG(st.st_mode))
            total += static_cast<uint64_t>(st.st_size);
    }
    std::optional<ProgressMeter> meter;
    if (s_.progress) meter.emplace(total, files);
    meter_ = meter ? &*meter : nullptr;
    unsigned workers = worker_count(jobs, items.size());
    std::vector<FileHasher> hashers;
    for (unsigned t = 0; t < workers; ++t) hashers.emplace_back(setup_, meter_, workers == 1);

    CheckCounts c;
    run_ordered<FileHasher::Result>(
        items.size(), jobs,
        [&](size_t i, unsigned t) {
            const CheckItem& item = items[i];
            if (!item.entry) return FileHasher::Result{};
            return hashers[t].hash_with(item.entry->file, item.algos, item.entry->length);
        },
        [&](size_t i, const FileHasher::Result& r) { consume(items[i], r, c, display); },
        [&] {
            if (meter_) meter_->draw();
        });
    if (s_.report_new && c.properly_formatted) report_unlisted(check_file, items, c);
    meter.reset();
    meter_ = nullptr;

    if (!c.properly_formatted) {
        report_.warn(quote_name(display) + ": no properly formatted checksum lines found");
    } else if (!s_.status) {
        if (c.misformatted)
            report_.note(plural(c.misformatted, "line is improperly formatted",
                                "lines are improperly formatted"));
        if (c.unreadable)
            report_.note(plural(c.unreadable, "listed file could not be read",
                                "listed files could not be read"));
        if (c.mismatched)
            report_.note(plural(c.mismatched, "computed checksum did NOT match",
                                "computed checksums did NOT match"));
        if (c.unlisted)
            report_.note(
                plural(c.unlisted, "file on disk is not listed", "files on disk are not listed"));
        if (s_.ignore_missing && !c.matched)
            report_.note(quote_name(display) + ": no file was verified");
    }
    out_.flush();
    // A mismatch, or a misformatted line under --strict, fails without a message of its
    // own (the summary above is a note; --status prints nothing at all).
    if (c.mismatched || c.unlisted || (s_.strict && c.misformatted) ||
        (s_.ignore_missing && !c.matched))
        report_.fail();
}

}  // namespace

int check_files(const CheckSettings& settings, const Setup& setup,
                const std::vector<std::string>& files) {
    OutputBuffer out(STDOUT_FILENO);
    Report report(&out);
    Checker checker(settings, setup, out, report);
    for (const auto& f : files) checker.check_one_file(f);
    out.flush();
    return report.exit_status();
}

}  // namespace ptool
