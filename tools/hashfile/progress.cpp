// The progress bar on a terminal stderr (progress.hpp).
#include "tools/hashfile/progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>

#include "libcommon/core/fd.hpp"

namespace ptool {

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
    auto now = std::chrono::steady_clock::now();
    // Nothing for jobs that end within half a second; then ten redraws a second.
    if (now - start_ < std::chrono::milliseconds(500) ||
        now - last_ < std::chrono::milliseconds(100))
        return;
    last_ = now;
    winsize ws{};
    size_t width = ::ioctl(fd_, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 80;
    std::string line(1, '\r');
    line += render(label_, done, total_, width - 1);
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
