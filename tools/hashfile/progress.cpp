// The progress bar on a terminal stderr (progress.hpp).
#include "tools/hashfile/progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "libcommon/core/fd.hpp"

namespace ptool {

namespace {

using Clock = std::chrono::steady_clock;

// Nothing for jobs that end within half a second; then ten redraws a second. Updates
// `last` when a redraw is due.
bool redraw_due(Clock::time_point start, Clock::time_point& last, Clock::time_point now) {
    if (now - start < std::chrono::milliseconds(500) || now - last < std::chrono::milliseconds(100))
        return false;
    last = now;
    return true;
}

size_t terminal_width(int fd) {
    winsize ws{};
    return ::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 80;
}

}  // namespace

ProgressBar::ProgressBar(std::string label, uint64_t total, int fd)
    : label_(std::move(label)),
      total_(total),
      fd_(fd),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

ProgressBar::~ProgressBar() {
    if (drawn_) write_full(fd_, "\r\033[K");
}

void ProgressBar::update(uint64_t done) {
    if (!redraw_due(start_, last_, Clock::now())) return;
    std::string line(1, '\r');
    line += render(label_, done, total_, terminal_width(fd_) - 1);
    write_full(fd_, line);
    drawn_ = true;
}

std::string ProgressBar::render(std::string_view label, uint64_t done, uint64_t total,
                                size_t width) {
    if (total == 0) total = 1;
    if (done > total) done = total;
    unsigned percent = static_cast<unsigned>(done * 100 / total);
    char pct[8];
    std::snprintf(pct, sizeof pct, "%3u%%", percent);
    std::string tail(1, ' ');
    tail += human_size(done);
    tail += '/';
    tail += human_size(total);
    // Label, percentage, bar and sizes; the label is cut first when the line is narrow.
    size_t bar_width = width > 60 ? 30 : width > 40 ? 10 : 0;
    size_t fixed = 1 + 4 + (bar_width ? bar_width + 3 : 0) + tail.size();
    std::string out(label.substr(0, width > fixed ? width - fixed : 0));
    out += " ";
    out += pct;
    if (bar_width) {
        size_t filled = static_cast<size_t>(done * bar_width / total);
        out += " [";
        out.append(filled, '=');
        if (filled < bar_width) out += '>', out.append(bar_width - filled - 1, ' ');
        out += "]";
    }
    out += tail;
    return out;
}

ProgressMeter::ProgressMeter(uint64_t total_bytes, uint64_t total_files, int fd)
    : total_(total_bytes),
      total_files_(total_files),
      fd_(fd),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

ProgressMeter::~ProgressMeter() {
    erase();
}

void ProgressMeter::erase() {
    if (drawn_) write_full(fd_, "\r\033[K");
    drawn_ = false;
}

void ProgressMeter::draw() {
    auto now = Clock::now();
    if (!redraw_due(start_, last_, now)) return;
    double seconds = std::chrono::duration<double>(now - start_).count();
    std::string line(1, '\r');
    line += render(done_.load(std::memory_order_relaxed), total_,
                   files_.load(std::memory_order_relaxed), total_files_, seconds,
                   terminal_width(fd_) - 1);
    line += "\033[K";
    write_full(fd_, line);
    drawn_ = true;
}

std::string ProgressMeter::render(uint64_t done, uint64_t total, uint64_t files_done,
                                  uint64_t files, double seconds, size_t width) {
    if (done > total) total = done;
    unsigned percent = total ? static_cast<unsigned>(done * 100 / total) : 100;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%3u%%", percent);
    std::string head = buf;
    std::string tail = " " + human_size(done) + "/" + human_size(total);
    if (files > 1)
        tail += "  " + std::to_string(files_done) + "/" + std::to_string(files) + " files";
    double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
    tail += "  " + human_size(static_cast<uint64_t>(rate)) + "/s";
    if (rate > 0 && done < total) {
        auto eta = static_cast<uint64_t>(static_cast<double>(total - done) / rate);
        std::snprintf(buf, sizeof buf, "  ETA %llu:%02llu",
                      static_cast<unsigned long long>(eta / 60),
                      static_cast<unsigned long long>(eta % 60));
        tail += buf;
    }
    // The bar takes what the numbers leave, up to 30 columns; none below 10.
    size_t room = width > head.size() + tail.size() + 3 ? width - head.size() - tail.size() - 3 : 0;
    size_t bar_width = std::min<size_t>(room, 30);
    std::string out = head;
    if (bar_width >= 10) {
        size_t filled = total ? static_cast<size_t>(done * bar_width / total) : bar_width;
        out += " [";
        out.append(filled, '=');
        if (filled < bar_width) out += '>', out.append(bar_width - filled - 1, ' ');
        out += "]";
    }
    out += tail;
    if (out.size() > width) out.resize(width);
    return out;
}

std::string human_size(uint64_t bytes) {
    static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    if (bytes < 1024) return std::to_string(bytes).append(" B");
    double v = static_cast<double>(bytes);
    int u = 0;
    while (v >= 1024 && u < 5) v /= 1024, ++u;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[u]);
    return buf;
}

}  // namespace ptool
