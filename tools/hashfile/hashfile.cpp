// hashfile — file digests (sha256sum, b3sum, xxhsum, openssl dgst)
//
//   ptool hashfile [OPTIONS] [FILE...]      no FILE or "-": standard input
//   -a, --algo ALGO       md5 sha1 sha224 sha256 (default) sha384 sha512 sha3-256 sha3-512
//                         blake2b blake2s blake3 xxh64 xxh3 xxh128; repeat for several
//                         digests in one read (per file, one line per algo in the order given)
//   --tag                 BSD lines "SHA256 (NAME) = HEX"
//   -z, --zero            NUL line ends, names not escaped
//   --json                JSON lines {"file","algo","digest","size"}
//   -r, --recursive       descend into directories (depth first, entries in byte order)
//   -j, --jobs N          hash N files at once (default: CPUs; never more threads than
//                         files, nor than 256); output stays in input order
//   --hmac-key KEY, --hmac-key-file F    HMAC with the chosen algorithm
//   -c, --check           verify sums listed in FILEs (GNU or BSD lines)
//   --quiet --status --warn --strict --ignore-missing    as sha256sum -c
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <system_error>
#include <thread>

#include "libcommon/core/error.hpp"
#include "libcommon/core/fd.hpp"
#include "libcommon/core/json.hpp"
#include "libcommon/core/output.hpp"
#include "libcommon/core/parse.hpp"
#include "libcommon/core/report.hpp"
#include "tools/hashfile/checksum.hpp"
#include "tools/hashfile/digest.hpp"
#include "tools/hashfile/file_tree.hpp"
#include "tools/hashfile/progress.hpp"
#include "tools/ptool.hpp"

namespace ptool {

namespace {

struct Options {
    std::vector<DigestAlgo> algos;  // empty: sha256
    std::vector<std::string> files;
    bool tag = false;
    bool zero = false;
    bool json = false;
    bool recursive = false;
    std::optional<uint64_t> jobs;
    std::optional<std::string> hmac_key;
    std::optional<std::string> hmac_key_file;
    bool check = false;
    bool quiet = false;
    bool status = false;
    bool warn = false;
    bool strict = false;
    bool ignore_missing = false;
};

int run_hashfile(const Options& opts);

}  // namespace

namespace {

constexpr size_t kReadSize = 256 * 1024;
// Threads at most, whatever -j says: each holds a read buffer, and past the
// disks' queue depth more threads only add memory (-j 20000 was 250 MB).
constexpr unsigned kMaxJobs = 256;
constexpr uint64_t kMaxJobsOption = 1 << 20;
constexpr uint64_t kProgressMinSize = 64ull << 20;

struct Setup {
    std::vector<DigestAlgo> algos;
    std::optional<std::string> key;
};

// One per thread: its read buffer and digest contexts, reused for every file.
class FileHasher {
public:
    FileHasher(const Setup& setup, bool progress)
        : buffer_(static_cast<unsigned char*>(std::aligned_alloc(4096, kReadSize))),
          progress_(progress) {
        if (!buffer_) throw std::bad_alloc();
        for (DigestAlgo a : setup.algos) digests_.emplace_back(a, setup.key);
    }

    struct Result {
        int err = 0;
        uint64_t size = 0;
        std::vector<std::string> hex;  // one per algo
    };

    Result hash(const std::string& path) { return hash(path, digests_); }

    // For --check: one digest of `algo` (the algorithm may change from line to line).
    Result hash_one(const std::string& path, DigestAlgo algo,
                    const std::optional<std::string>& key) {
        auto it = by_algo_.find(algo);
        if (it == by_algo_.end()) it = by_algo_.emplace(algo, Digest(algo, key)).first;
        return hash(path, {&it->second, 1});
    }

private:
    struct Free {
        void operator()(unsigned char* p) const { std::free(p); }
    };
    // Page-aligned: the kernel's copy into it runs on whole cache lines.
    std::unique_ptr<unsigned char, Free> buffer_;
    Result hash(const std::string& path, std::span<Digest> digests) {
        Result r;
        UniqueFd owned;
        int fd = STDIN_FILENO;
        if (path != "-") {
            do owned.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
            while (!owned && errno == EINTR);
            if (!owned) return {errno, 0, {}};
            fd = owned.get();
        }
        std::optional<ProgressBar> bar;
        struct stat st;
        if (progress_ && ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
            static_cast<uint64_t>(st.st_size) >= kProgressMinSize)
            bar.emplace(path, static_cast<uint64_t>(st.st_size));
        std::function<void(uint64_t)> tick;
        if (bar) tick = [&](uint64_t done) { bar->update(done); };
        int64_t n = digest_fd(fd, digests, {buffer_.get(), kReadSize}, tick);
        if (n < 0) {
            r.err = errno;
            for (Digest& d : digests) d.reset();
            return r;
        }
        r.size = static_cast<uint64_t>(n);
        for (Digest& d : digests) r.hex.push_back(d.finish_hex());
        return r;
    }

    std::vector<Digest> digests_;
    std::map<DigestAlgo, Digest> by_algo_;
    bool progress_;
};

void declare_hashfile(cli::OptionTable& t, Options& o) {
    t.custom("-a,--algo", "ALGO", "Digest algorithm (repeatable): " + digest_algo_list(),
             cli::Kind::choice,
             [&o](std::string_view name) {
                 auto algo = parse_digest_algo(name);
                 if (!algo)
                     throw UsageError("unknown algorithm '" + std::string(name) +
                                      "' (valid: " + digest_algo_list() + ")");
                 o.algos.push_back(*algo);
             })
        .repeat()
        .split_on(',')
        .complete_words(digest_algo_list());
    t.flag("--tag", "BSD-style lines: SHA256 (NAME) = HEX", o.tag);
    t.flag("-z,--zero", "End lines with NUL, do not escape names", o.zero);
    t.flag("--json", "JSON lines {\"file\",\"algo\",\"digest\",\"size\"}", o.json);
    t.flag("-r,--recursive", "Hash the files under directories", o.recursive);
    t.count("-j,--jobs", "N", "Files hashed in parallel (default: CPUs)", o.jobs, kMaxJobsOption);
    t.string("--hmac-key", "KEY", "HMAC with this key", o.hmac_key);
    t.path("--hmac-key-file", "FILE", "HMAC with this file's bytes as key", o.hmac_key_file);
    t.flag("-c,--check", "Verify the sums listed in FILEs", o.check);
    t.flag("--quiet", "With -c: do not print OK lines", o.quiet);
    t.flag("--status", "With -c: print nothing, exit status only", o.status);
    t.flag("--warn", "With -c: warn about improperly formatted lines", o.warn);
    t.flag("--strict", "With -c: fail on improperly formatted lines", o.strict);
    t.flag("--ignore-missing", "With -c: skip missing files", o.ignore_missing);
    t.positional("files", "Files (default: standard input)", o.files);
}

Setup make_setup(const Options& opts) {
    Setup setup;
    setup.algos = opts.algos;
    if (setup.algos.empty()) setup.algos.push_back(DigestAlgo::sha256);
    if (opts.hmac_key && opts.hmac_key_file)
        throw UsageError("--hmac-key and --hmac-key-file are mutually exclusive");
    if (opts.hmac_key) setup.key = *opts.hmac_key;
    if (opts.hmac_key_file) setup.key = read_file(*opts.hmac_key_file);
    return setup;
}

void check_option_combinations(const Options& opts) {
    auto only_check = [&](bool set, const char* name) {
        if (set && !opts.check)
            throw UsageError(std::string("the ") + name +
                             " option is meaningful only when verifying checksums");
    };
    only_check(opts.quiet, "--quiet");
    only_check(opts.status, "--status");
    only_check(opts.warn, "--warn");
    only_check(opts.strict, "--strict");
    only_check(opts.ignore_missing, "--ignore-missing");
    if (opts.check && (opts.tag || opts.json || opts.recursive))
        throw UsageError("--tag, --json and -r are meaningless when verifying checksums");
    if (opts.check && opts.algos.size() > 1) throw UsageError("--check takes at most one -a");
}

// ---- hashing ----

void emit_result(OutputBuffer& out, const Options& opts, const Setup& setup,
                 const std::string& name, const FileHasher::Result& r, std::string& line) {
    line.clear();
    for (size_t k = 0; k < setup.algos.size(); ++k) {
        const DigestInfo& info = digest_info(setup.algos[k]);
        if (opts.json) {
            append_json_line(
                line,
                Json{{"file", name}, {"algo", info.name}, {"digest", r.hex[k]}, {"size", r.size}});
        } else {
            append_checksum_line(line, info, r.hex[k], name, opts.tag, opts.zero ? '\0' : '\n');
        }
    }
    out.write(line);
}

// Hashes `items` on `jobs` threads; results are written strictly in input order.
int hash_items(const Options& opts, const Setup& setup, const std::vector<TreeItem>& items,
               unsigned jobs) {
    OutputBuffer out(STDOUT_FILENO);
    Report report(&out);
    std::string line;
    auto emit = [&](const TreeItem& item, const FileHasher::Result& r) {
        if (item.err || r.err) {
            report.warn_errno(quote_name(item.path), item.err ? item.err : r.err);
            return;
        }
        emit_result(out, opts, setup, item.path, r, line);
    };

    if (jobs <= 1 || items.size() <= 1) {
        FileHasher hasher(setup, ::isatty(STDERR_FILENO) == 1);
        for (const auto& item : items)
            emit(item, item.err ? FileHasher::Result{} : hasher.hash(item.path));
        out.flush();
        return report.exit_status();
    }

    jobs = static_cast<unsigned>(std::min<size_t>({jobs, items.size(), kMaxJobs}));
    std::vector<FileHasher> hashers;
    for (unsigned t = 0; t < jobs; ++t) hashers.emplace_back(setup, false);
    std::vector<FileHasher::Result> results(items.size());
    std::vector<char> done(items.size(), 0);
    std::mutex mutex;
    std::condition_variable ready;
    std::atomic<size_t> next{0};
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    auto work = [&](unsigned t) {
        for (size_t i; !stop && (i = next++) < items.size();) {
            FileHasher::Result r;
            if (!items[i].err) r = hashers[t].hash(items[i].path);
            std::lock_guard lock(mutex);
            results[i] = std::move(r);
            done[i] = 1;
            ready.notify_one();
        }
    };
    // A thread that cannot be created (EAGAIN: a process or memory limit) is not
    // fatal: the ones that run take all the files, and with none this one hashes.
    for (unsigned t = 0; t < jobs; ++t) {
        try {
            threads.emplace_back(work, t);
        } catch (const std::system_error&) {
            break;
        }
    }
    if (threads.empty()) work(0);
    try {
        for (size_t i = 0; i < items.size(); ++i) {
            std::unique_lock lock(mutex);
            ready.wait(lock, [&] { return done[i] != 0; });
            FileHasher::Result r = std::move(results[i]);
            lock.unlock();
            emit(items[i], r);
        }
        out.flush();
    } catch (...) {
        stop = true;
        for (auto& t : threads) t.join();
        throw;
    }
    for (auto& t : threads) t.join();
    return report.exit_status();
}

// ---- checking ----

struct CheckCounts {
    uint64_t misformatted = 0, mismatched = 0, unreadable = 0;
    bool properly_formatted = false, matched = false;
};

std::string plural(uint64_t n, const char* one, const char* many) {
    return "WARNING: " + std::to_string(n) + " " + (n == 1 ? one : many);
}

// Verifies the sums listed in `check_file`; whatever fails the run goes to `report`.
void check_one_file(const Options& opts, const Setup& setup, const std::string& check_file,
                    FileHasher& hasher, OutputBuffer& out, Report& report) {
    bool is_stdin = check_file == "-";
    std::string display = is_stdin ? "standard input" : check_file;
    std::string text;
    try {
        UniqueFd owned;
        if (!is_stdin) owned = open_file(check_file, O_RDONLY);
        text = read_all(is_stdin ? STDIN_FILENO : owned.get(), "");
    } catch (const SysError& e) {
        if (e.err() == EISDIR)
            report.warn(quote_name(display) + ": read error");
        else
            report.warn_errno(quote_name(display), e.err());
        return;
    }
    CheckLineParser parser(setup.algos.size() == 1 && !opts.algos.empty()
                               ? std::optional(setup.algos[0])
                               : std::nullopt);
    std::string_view tag = digest_info(setup.algos[0]).tag;
    CheckCounts c;
    std::string line;
    uint64_t line_number = 0;
    for (size_t pos = 0; pos < text.size();) {
        size_t end = text.find('\n', pos);
        end = end == std::string::npos ? text.size() : end + 1;
        std::string_view raw(text.data() + pos, end - pos);
        pos = end;
        ++line_number;
        auto body = check_line_body(raw);
        if (!body) continue;
        auto entry = parser.parse(*body);
        if (!entry || (is_stdin && entry->file == "-")) {
            ++c.misformatted;
            if (opts.warn)
                report.note(quote_name(display) + ": " + std::to_string(line_number) +
                            ": improperly formatted " + std::string(tag) + " checksum line");
            continue;
        }
        c.properly_formatted = true;
        bool escape = !opts.status && name_needs_escape(entry->file, NameEscaping::newline_only);
        line.clear();
        if (escape) line += '\\';
        if (escape)
            append_escaped_name(line, entry->file, NameEscaping::newline_only);
        else
            line += entry->file;
        auto r = hasher.hash_one(entry->file, entry->algo, setup.key);
        if (r.err) {
            if (opts.ignore_missing && r.err == ENOENT) continue;
            report.warn_errno(quote_name(entry->file), r.err);
            ++c.unreadable;
            if (!opts.status) out.write(line + ": FAILED open or read\n");
            continue;
        }
        bool same = std::equal(entry->hex.begin(), entry->hex.end(), r.hex[0].begin(),
                               r.hex[0].end(), [](char a, char b) { return std::tolower(a) == b; });
        if (same)
            c.matched = true;
        else
            ++c.mismatched;
        if (!opts.status && (!same || !opts.quiet))
            out.write(line + (same ? ": OK\n" : ": FAILED\n"));
    }
    if (!c.properly_formatted) {
        report.warn(quote_name(display) + ": no properly formatted checksum lines found");
    } else if (!opts.status) {
        if (c.misformatted)
            report.note(plural(c.misformatted, "line is improperly formatted",
                               "lines are improperly formatted"));
        if (c.unreadable)
            report.note(plural(c.unreadable, "listed file could not be read",
                               "listed files could not be read"));
        if (c.mismatched)
            report.note(plural(c.mismatched, "computed checksum did NOT match",
                               "computed checksums did NOT match"));
        if (opts.ignore_missing && !c.matched)
            report.note(quote_name(display) + ": no file was verified");
    }
    out.flush();
    // A mismatch, or a misformatted line under --strict, fails without a message of its
    // own (the summary above is a note; --status prints nothing at all).
    if (c.mismatched || (opts.strict && c.misformatted) || (opts.ignore_missing && !c.matched))
        report.fail();
}

int check_files(const Options& opts, const Setup& setup, const std::vector<std::string>& files) {
    OutputBuffer out(STDOUT_FILENO);
    FileHasher hasher(setup, false);
    Report report(&out);
    for (const auto& f : files) check_one_file(opts, setup, f, hasher, out, report);
    out.flush();
    return report.exit_status();
}

int run_hashfile(const Options& opts) {
    check_option_combinations(opts);
    Setup setup = make_setup(opts);
    std::vector<std::string> files = opts.files;
    if (files.empty()) files.push_back("-");
    if (opts.check) return check_files(opts, setup, files);
    std::vector<TreeItem> items;
    if (opts.recursive)
        items = list_file_tree(files);
    else
        for (const auto& f : files) items.push_back({f, 0});
    uint64_t asked = opts.jobs.value_or(0);
    unsigned jobs = asked ? static_cast<unsigned>(std::min<uint64_t>(asked, kMaxJobs))
                          : std::max(1u, std::thread::hardware_concurrency());
    // Standard input read by two threads at once would be split between them.
    if (std::count(files.begin(), files.end(), "-") > 1) jobs = 1;
    return hash_items(opts, setup, items, jobs);
}

}  // namespace

const ToolEntry hashfile_tool{"hashfile", "file digests (sha256sum, b3sum, xxhsum, openssl dgst)",
                              tool_main<Options, declare_hashfile, run_hashfile>};

}  // namespace ptool
