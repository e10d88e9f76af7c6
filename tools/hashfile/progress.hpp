// One-line progress on stderr for long jobs: ProgressBar for one large input, and
// ProgressMeter for a whole run (hashfile across files, -c, --tree): bytes done of the
// total, rate, ETA. Redrawn at most ten times a second, erased when done. Callers create
// one when stderr is a terminal, or when asked (--progress; man ptool-hashfile(1)).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace ptool {

class ProgressBar {
public:
    ProgressBar(std::string label, uint64_t total, int fd = 2);
    ProgressBar(const ProgressBar&) = delete;
    ProgressBar& operator=(const ProgressBar&) = delete;
    ~ProgressBar();  // erases the line if anything was drawn
    void update(uint64_t done);

    // "name  42% [========>           ] 420.0 MiB/1.0 GiB" fitted to `width` columns.
    static std::string render(std::string_view label, uint64_t done, uint64_t total, size_t width);

private:
    std::string label_;
    uint64_t total_;
    int fd_;
    bool drawn_ = false;
    std::chrono::steady_clock::time_point start_, last_;
};

// The whole run's progress: workers add() bytes from any thread; one thread draws.
class ProgressMeter {
public:
    ProgressMeter(uint64_t total_bytes, uint64_t total_files, int fd = 2);
    ProgressMeter(const ProgressMeter&) = delete;
    ProgressMeter& operator=(const ProgressMeter&) = delete;
    ~ProgressMeter();  // erases the line if anything was drawn
    void add(uint64_t bytes) { done_.fetch_add(bytes, std::memory_order_relaxed); }
    void file_done() { files_.fetch_add(1, std::memory_order_relaxed); }
    // Redraws when half a second has passed since the start and 100 ms since the last.
    void draw();
    // Erases the line (before other output on the same terminal).
    void erase();

    // " 42% [=====>     ] 420.0 MiB/1.0 GiB  3/10 files  120.0 MiB/s  ETA 0:05" in `width`.
    static std::string render(uint64_t done, uint64_t total, uint64_t files_done, uint64_t files,
                              double seconds, size_t width);

private:
    std::atomic<uint64_t> done_{0}, files_{0};
    uint64_t total_, total_files_;
    int fd_;
    bool drawn_ = false;
    std::chrono::steady_clock::time_point start_, last_;
};

// 1536 -> "1.5 KiB", 3 -> "3 B".
std::string human_size(uint64_t bytes);

}  // namespace ptool
