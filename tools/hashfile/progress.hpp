// A one-line progress bar on stderr for long jobs (hashfile on a large file): redrawn at
// most ten times a second, erased when done. Callers create one only when stderr is a
// terminal (man ptool-hashfile(1): progress only on a terminal stderr).
#pragma once

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

// 1536 -> "1.5 KiB", 3 -> "3 B".
std::string human_size(uint64_t bytes);

}  // namespace ptool
