// hashfile — file digests (sha256sum, b3sum, xxhsum, cksum, rhash, openssl dgst)
//
//   ptool hashfile [OPTIONS] [FILE...]      no FILE or "-": standard input
//   -a, --algo ALGO       md5 sha1 sha224 sha256 (default) sha384 sha512 sha3-256 sha3-512
//                         blake2b blake2s blake3 xxh64 xxh3 xxh128 sha512-256 crc32 cksum
//                         xxh32 (any case; SHA-256 style too); repeat for several digests
//                         in one read (per file, one line per algo in the order given)
//   --tag                 BSD lines "SHA256 (NAME) = HEX"
//   -b, --binary / -t, --text   the '*' marker of GNU lines, as coreutils
//   -l, --length N        blake2b: bits (b2sum -l); blake3: bytes (b3sum --length)
//   --keyed, --derive-key CONTEXT   b3sum's keyed (key on stdin) and derive-key modes
//   -z, --zero            NUL line ends, names not escaped
//   --json                JSON lines {"file","algo","digest","size"}
//   -r, --recursive       descend into directories (depth first, entries in byte order)
//   --exclude GLOB        leave out what -r, --tree or --new would visit (repeatable)
//   --files-from FILE     more names from FILE ("-": stdin), one a line, or NUL with -0
//   --tree                one digest for each DIR (a Merkle tree: tree_digest.hpp)
//   -j, --jobs N          hash N files at once (default: CPUs; never more threads than
//                         files, nor than 256); output stays in input order
//   --hmac-key KEY, --hmac-key-file F    HMAC with the chosen algorithm
//   --progress, --no-progress   the run's progress on stderr (default: on a terminal)
//   --update SUMS         rewrite SUMS, hashing only files changed since (update.hpp)
//   -c, --check           verify sums listed in FILEs (GNU, BSD or cksum lines): check.hpp
//   --quiet --status --warn --strict --ignore-missing    as sha256sum -c; --json, --new
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>

#include "libcommon/core/error.hpp"
#include "libcommon/core/fd.hpp"
#include "libcommon/core/json.hpp"
#include "libcommon/core/output.hpp"
#include "libcommon/core/report.hpp"
#include "tools/hashfile/check.hpp"
#include "tools/hashfile/checksum.hpp"
#include "tools/hashfile/file_tree.hpp"
#include "tools/hashfile/hasher.hpp"
#include "tools/hashfile/tree_digest.hpp"
#include "tools/hashfile/update.hpp"
#include "tools/ptool/ptool.hpp"

namespace ptool {

namespace {

struct Options {
    std::vector<DigestAlgo> algos;  // empty: sha256
    std::vector<std::string> files;
    bool tag = false;
    bool text = false;
    bool binary = false;
    std::optional<uint64_t> length;
    bool keyed = false;
    std::optional<std::string> derive_key;
    bool zero = false;
    bool json = false;
    bool recursive = false;
    std::vector<std::string> excludes;
    std::optional<std::string> files_from;
    bool null = false;
    bool tree = false;
    std::optional<uint64_t> jobs;
    std::optional<std::string> hmac_key;
    std::optional<std::string> hmac_key_file;
    bool progress = false;
    bool no_progress = false;
    std::optional<std::string> update;
    bool check = false;
    bool quiet = false;
    bool status = false;
    bool warn = false;
    bool strict = false;
    bool ignore_missing = false;
    bool report_new = false;
};

int run_hashfile(const Options& opts);

constexpr uint64_t kMaxJobsOption = 1 << 20;

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
    t.flag("-b,--binary", "GNU lines marked binary: HEX *NAME", o.binary);
    t.flag("-t,--text", "GNU lines marked text: HEX  NAME (the default)", o.text);
    t.count("-l,--length", "N", "Digest length: bits for blake2b (b2sum), bytes for blake3 (b3sum)",
            o.length, 1 << 20);
    t.flag("--keyed", "blake3 keyed mode, the 32-byte key read from standard input", o.keyed);
    t.string("--derive-key", "CONTEXT", "blake3 key derivation with this context", o.derive_key);
    t.flag("-z,--zero", "End lines with NUL, do not escape names", o.zero);
    t.flag("--json", "JSON lines {\"file\",\"algo\",\"digest\",\"size\"}", o.json);
    t.flag("-r,--recursive", "Hash the files under directories", o.recursive);
    // One value per --exclude: a repeatable option without a delimiter would take the
    // FILEs after it as more globs (CLI11's vector default); no glob holds a newline.
    t.list("--exclude", "GLOB", "Leave out names or paths matching GLOB (-r, --tree, --new)",
           o.excludes)
        .split_on('\n');
    t.path("--files-from", "FILE", "Read more file names from FILE (-: standard input)",
           o.files_from);
    t.flag("-0,--null", "With --files-from: names end with NUL, not newline", o.null);
    t.flag("--tree", "One digest for each directory, of everything under it", o.tree);
    t.count("-j,--jobs", "N", "Files hashed in parallel (default: CPUs)", o.jobs, kMaxJobsOption);
    t.string("--hmac-key", "KEY", "HMAC with this key", o.hmac_key);
    t.path("--hmac-key-file", "FILE", "HMAC with this file's bytes as key", o.hmac_key_file);
    t.flag("--progress", "Show the run's progress on standard error", o.progress);
    t.flag("--no-progress", "No progress, even on a terminal", o.no_progress);
    t.path("--update", "SUMS", "Rewrite SUMS, re-hashing only files that changed", o.update);
    t.flag("-c,--check", "Verify the sums listed in FILEs", o.check);
    t.flag("--quiet", "With -c: do not print OK lines", o.quiet);
    t.flag("--status", "With -c: print nothing, exit status only", o.status);
    t.flag("--warn", "With -c: warn about improperly formatted lines", o.warn);
    t.flag("--strict", "With -c: fail on improperly formatted lines", o.strict);
    t.flag("--ignore-missing", "With -c: skip missing files", o.ignore_missing);
    t.flag("--new", "With -c: report files under the listed tree that are not listed",
           o.report_new);
    t.positional("files", "Files (default: standard input)", o.files);
}

bool has_algo(const Setup& setup, DigestAlgo algo) {
    return std::find(setup.algos.begin(), setup.algos.end(), algo) != setup.algos.end();
}

// -l N in each peer's unit: bits for blake2b (b2sum -l), bytes for blake3 (b3sum --length).
void apply_length(const Options& opts, Setup& setup) {
    if (!opts.length || *opts.length == 0) return;
    bool b2 = has_algo(setup, DigestAlgo::blake2b), b3 = has_algo(setup, DigestAlgo::blake3);
    if (b2 && b3)
        throw UsageError("--length: ambiguous with both blake2b (bits) and blake3 (bytes)");
    if (b2) {
        if (*opts.length % 8 || *opts.length > 512)
            throw UsageError("--length: blake2b takes a multiple of 8 bits up to 512");
        setup.blake2b_length = *opts.length / 8;
    } else if (b3) {
        if (*opts.length > kMaxDigestSize)
            throw UsageError("--length: blake3 takes up to " + std::to_string(kMaxDigestSize) +
                             " bytes");
        setup.blake3_length = *opts.length;
    } else {
        throw UsageError("--length is for blake2b (bits) and blake3 (bytes)");
    }
}

Setup make_setup(const Options& opts) {
    Setup setup;
    setup.algos = opts.algos;
    if (setup.algos.empty()) setup.algos.push_back(DigestAlgo::sha256);
    if (opts.hmac_key && opts.hmac_key_file)
        throw UsageError("--hmac-key and --hmac-key-file are mutually exclusive");
    if (opts.hmac_key) setup.params.hmac_key = *opts.hmac_key;
    if (opts.hmac_key_file) setup.params.hmac_key = read_file(*opts.hmac_key_file);
    apply_length(opts, setup);
    if ((opts.keyed || opts.derive_key) && !has_algo(setup, DigestAlgo::blake3))
        throw UsageError("--keyed and --derive-key are for -a blake3");
    if (opts.keyed && opts.derive_key)
        throw UsageError("--keyed and --derive-key are mutually exclusive");
    if ((opts.keyed || opts.derive_key) && setup.params.hmac_key)
        throw UsageError("--keyed and --derive-key do not go with an HMAC key");
    if (opts.keyed) {
        // b3sum --keyed: exactly 32 raw bytes on standard input; the files are named.
        if ((opts.files.empty() && !opts.files_from) || opts.files_from == "-" ||
            std::count(opts.files.begin(), opts.files.end(), "-"))
            throw UsageError("--keyed reads the key from standard input: name the files");
        setup.params.keyed = read_all(STDIN_FILENO, "standard input");
        if (setup.params.keyed->size() != 32)
            throw Error("--keyed: the key on standard input must be exactly 32 bytes, not " +
                        std::to_string(setup.params.keyed->size()));
    }
    setup.params.derive = opts.derive_key;
    setup.binary = opts.binary;
    setup.no_name_stdin = opts.files.empty() && !opts.files_from;
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
    only_check(opts.report_new, "--new");
    if (opts.check && (opts.tag || opts.recursive || opts.tree || opts.update))
        throw UsageError("--tag, -r, --tree and --update are meaningless when verifying checksums");
    if (opts.check && (opts.text || opts.binary))
        throw UsageError(
            "the --binary and --text options are meaningless when verifying checksums");
    if (opts.check && opts.algos.size() > 1) throw UsageError("--check takes at most one -a");
    if (opts.text && opts.binary) throw UsageError("--text and --binary are mutually exclusive");
    if (opts.tag && opts.text) throw UsageError("--tag does not support --text mode");
    if (opts.progress && opts.no_progress)
        throw UsageError("--progress and --no-progress are mutually exclusive");
    if (opts.null && !opts.files_from) throw UsageError("-0 goes with --files-from");
    if (!opts.excludes.empty() && !opts.recursive && !opts.tree && !opts.report_new && !opts.update)
        throw UsageError("--exclude is meaningful only with -r, --tree, --new or --update");
    if (opts.tree && (opts.recursive || opts.update))
        throw UsageError("--tree does not go with -r or --update");
}

// --files-from: names one a line (empty lines skipped), or NUL-terminated with -0.
std::vector<std::string> read_names(const std::string& from, bool nul) {
    std::string text;
    if (from == "-") {
        text = read_all(STDIN_FILENO, "standard input");
    } else {
        UniqueFd fd = open_file(from, O_RDONLY);
        text = read_all(fd.get(), from);
    }
    std::vector<std::string> names;
    char sep = nul ? '\0' : '\n';
    for (size_t pos = 0; pos < text.size();) {
        size_t end = text.find(sep, pos);
        if (end == std::string::npos) end = text.size();
        if (end > pos) names.emplace_back(text, pos, end - pos);
        pos = end + 1;
    }
    return names;
}

// ---- hashing ----

void emit_result(OutputBuffer& out, const Options& opts, const Setup& setup,
                 const std::string& name, const FileHasher::Result& r, std::string& line) {
    line.clear();
    bool several = setup.algos.size() > 1;
    char delim = opts.zero ? '\0' : '\n';
    for (size_t k = 0; k < setup.algos.size(); ++k) {
        const DigestInfo& info = digest_info(setup.algos[k]);
        if (opts.json) {
            append_json_line(
                line,
                Json{{"file", name}, {"algo", info.name}, {"digest", r.hex[k]}, {"size", r.size}});
        } else if (info.algo == DigestAlgo::cksum) {
            std::string_view shown = name;
            append_cksum_line(line, r.hex[k], r.size, setup.no_name_stdin ? nullptr : &shown,
                              delim);
        } else {
            // Several algorithms: a line that -c would read as another algorithm is tagged.
            bool bsd = opts.tag || (several && ambiguous_untagged(info.algo, r.hex[k].size()));
            append_checksum_line(line, info, r.hex[k], name, bsd, delim, setup.binary);
        }
    }
    out.write(line);
}

bool want_progress(const Options& opts) {
    if (opts.progress) return true;
    return !opts.no_progress && ::isatty(STDERR_FILENO) == 1;
}

// Hashes `items` on `jobs` threads; results are written strictly in input order.
int hash_items(const Options& opts, const Setup& setup, const std::vector<TreeItem>& items,
               unsigned jobs) {
    OutputBuffer out(STDOUT_FILENO);
    Report report(&out);
    std::optional<ProgressMeter> meter;
    if (want_progress(opts)) {
        uint64_t total = 0;
        for (const auto& item : items) {
            struct stat st;
            if (!item.err && item.path != "-" && ::stat(item.path.c_str(), &st) == 0 &&
                S_ISREG(st.st_mode))
                total += static_cast<uint64_t>(st.st_size);
        }
        meter.emplace(total, items.size());
    }
    ProgressMeter* m = meter ? &*meter : nullptr;
    unsigned workers = worker_count(jobs, items.size());
    std::vector<FileHasher> hashers;
    for (unsigned t = 0; t < workers; ++t) hashers.emplace_back(setup, m, workers == 1);
    std::string line;
    run_ordered<FileHasher::Result>(
        items.size(), jobs,
        [&](size_t i, unsigned t) {
            return items[i].err ? FileHasher::Result{} : hashers[t].hash(items[i].path);
        },
        [&](size_t i, const FileHasher::Result& r) {
            const TreeItem& item = items[i];
            if (item.err || r.err) {
                if (m) m->erase();
                report.warn_errno(quote_name(item.path), item.err ? item.err : r.err);
                return;
            }
            emit_result(out, opts, setup, item.path, r, line);
        },
        [&] {
            if (m) m->draw();
        });
    meter.reset();
    out.flush();
    return report.exit_status();
}

// --tree: one line (per algorithm) for each directory.
int hash_trees(const Options& opts, const Setup& setup, const std::vector<std::string>& roots,
               unsigned jobs) {
    OutputBuffer out(STDOUT_FILENO);
    Report report(&out);
    std::string line;
    for (const auto& root : roots) {
        TreeDigest d = digest_tree(root, setup, jobs, opts.excludes, want_progress(opts));
        if (d.err) {
            report.warn_errno(quote_name(d.what), d.err);
            continue;
        }
        emit_result(out, opts, setup, root, {0, d.bytes, d.hex}, line);
    }
    out.flush();
    return report.exit_status();
}

unsigned job_count(const Options& opts) {
    uint64_t asked = opts.jobs.value_or(0);
    return asked ? static_cast<unsigned>(std::min<uint64_t>(asked, kMaxJobs))
                 : std::max(1u, std::thread::hardware_concurrency());
}

int run_hashfile(const Options& opts) {
    check_option_combinations(opts);
    Setup setup = make_setup(opts);
    std::vector<std::string> files = opts.files;
    if (opts.files_from) {
        auto more = read_names(*opts.files_from, opts.null);
        files.insert(files.end(), more.begin(), more.end());
    } else if (files.empty() && !opts.update) {
        files.push_back("-");
    }
    unsigned jobs = job_count(opts);
    if (opts.check) {
        CheckSettings cs;
        cs.forced = !opts.algos.empty();
        cs.quiet = opts.quiet, cs.status = opts.status, cs.warn = opts.warn;
        cs.strict = opts.strict, cs.ignore_missing = opts.ignore_missing;
        cs.json = opts.json, cs.report_new = opts.report_new;
        cs.progress = want_progress(opts);
        cs.jobs = jobs;
        cs.excludes = opts.excludes;
        return check_files(cs, setup, files);
    }
    if (opts.tree) return hash_trees(opts, setup, files, jobs);
    if (opts.update) {
        UpdateSettings us{*opts.update,   !opts.algos.empty(), opts.tag,
                          opts.recursive, opts.excludes,       jobs};
        return update_sums(us, setup, files);
    }
    std::vector<TreeItem> items;
    if (opts.recursive)
        items = list_file_tree(files, opts.excludes);
    else
        for (const auto& f : files) items.push_back({f, 0});
    // Standard input read by two threads at once would be split between them.
    if (std::count(files.begin(), files.end(), "-") > 1) jobs = 1;
    return hash_items(opts, setup, items, jobs);
}

}  // namespace

const ToolEntry hashfile_tool{"hashfile", "file digests (sha256sum, b3sum, xxhsum, openssl dgst)",
                              tool_main<Options, declare_hashfile, run_hashfile>};

}  // namespace ptool
