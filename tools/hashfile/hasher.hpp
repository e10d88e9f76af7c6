// The machinery every hashfile mode shares: the digests chosen on the command line
// (Setup), a per-thread FileHasher that reads a file once into all of them, and
// run_ordered, which hashes on N threads and hands results back in input order (the
// output of -j N is that of -j 1), feeding the run's progress meter while it waits.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "tools/hashfile/digest.hpp"
#include "tools/hashfile/progress.hpp"

namespace ptool {

// Threads at most, whatever -j says: each holds a read buffer, and past the
// disks' queue depth more threads only add memory (-j 20000 was 250 MB).
inline constexpr unsigned kMaxJobs = 256;

struct Setup {
    std::vector<DigestAlgo> algos;  // never empty
    DigestParams params;            // hmac_key, keyed, derive (length: below)
    size_t blake2b_length = 0;      // bytes, from -l BITS
    size_t blake3_length = 0;       // bytes, from --length
    bool binary = false;            // --binary: "HEX *NAME"
    bool no_name_stdin = false;     // no FILE given: cksum writes no name
    // `params` as they apply to `algo` (a length only to its algorithm; `length` when
    // nonzero overrides it, for -c lines of another length).
    DigestParams params_for(DigestAlgo algo, size_t length = 0) const;
};

class FileHasher {
public:
    // `meter`: bytes read are added to it; drawn from here only when `draw` (one thread).
    // `no_follow`: a path that is a symlink fails with ELOOP (--tree lists links apart).
    FileHasher(const Setup& setup, ProgressMeter* meter, bool draw, bool no_follow = false);

    struct Result {
        int err = 0;
        uint64_t size = 0;
        std::vector<std::string> hex;  // one per algo
    };

    // Every algorithm of the setup.
    Result hash(const std::string& path);
    // For --check: `algos` in one read, each `length` bytes when nonzero.
    Result hash_with(const std::string& path, std::span<const DigestAlgo> algos, size_t length);

private:
    struct Free {
        void operator()(unsigned char* p) const { std::free(p); }
    };
    Result hash(const std::string& path, std::span<Digest> digests);

    const Setup& setup_;
    // Page-aligned: the kernel's copy into it runs on whole cache lines.
    std::unique_ptr<unsigned char, Free> buffer_;
    std::vector<Digest> digests_;
    std::map<std::pair<DigestAlgo, size_t>, Digest> by_algo_;
    std::vector<Digest> scratch_;
    ProgressMeter* meter_;
    bool draw_;
    int open_flags_;
};

// Threads run_ordered starts for `items` with -j `jobs`.
inline unsigned worker_count(unsigned jobs, size_t items) {
    return static_cast<unsigned>(std::max<size_t>(1, std::min<size_t>({jobs, items, kMaxJobs})));
}

// produce(i, worker) for every i < n on worker_count(jobs, n) threads, consume(i, result)
// on this thread in order of i; `idle` runs about ten times a second while it waits.
// A thread that cannot be created (EAGAIN: a process or memory limit) is not fatal: the
// ones that run take every item, and with none this thread produces them.
template <typename Result, typename Produce, typename Consume>
void run_ordered(size_t n, unsigned jobs, Produce produce, Consume consume,
                 const std::function<void()>& idle = {}) {
    jobs = worker_count(jobs, n);
    if (jobs <= 1) {
        for (size_t i = 0; i < n; ++i) {
            Result r = produce(i, 0u);
            consume(i, r);
        }
        return;
    }
    std::vector<std::optional<Result>> results(n);
    std::mutex mutex;
    std::condition_variable ready;
    std::atomic<size_t> next{0};
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    auto work = [&](unsigned t) {
        for (size_t i; !stop && (i = next++) < n;) {
            Result r = produce(i, t);
            std::lock_guard lock(mutex);
            results[i] = std::move(r);
            ready.notify_one();
        }
    };
    for (unsigned t = 0; t < jobs; ++t) {
        try {
            threads.emplace_back(work, t);
        } catch (const std::system_error&) {
            break;
        }
    }
    if (threads.empty()) work(0);
    try {
        for (size_t i = 0; i < n; ++i) {
            std::unique_lock lock(mutex);
            while (!results[i]) {
                ready.wait_for(lock, std::chrono::milliseconds(100));
                if (idle && !results[i]) {
                    lock.unlock();
                    idle();
                    lock.lock();
                }
            }
            Result r = std::move(*results[i]);
            results[i].reset();
            lock.unlock();
            consume(i, r);
        }
    } catch (...) {
        stop = true;
        for (auto& t : threads) t.join();
        throw;
    }
    for (auto& t : threads) t.join();
}

}  // namespace ptool
