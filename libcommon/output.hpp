// Buffered output for hot loops (bufdump, hashfile, pstree): one large buffer,
// table-driven formatters write into it, write(2) only when it fills.
// A closed pipe ends ptool quietly as `yes | head` does (SIGPIPE); any other
// write error is thrown, so partial output is never passed off as success.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

namespace ptool {

class OutputBuffer {
public:
    explicit OutputBuffer(int fd, size_t capacity = 256 * 1024);
    OutputBuffer(const OutputBuffer&) = delete;
    OutputBuffer& operator=(const OutputBuffer&) = delete;
    // Does not flush: call flush() so that errors are reported, not swallowed.
    ~OutputBuffer() = default;

    void write(std::string_view s);
    void put(char c) {
        if (len_ == capacity_) drain();
        data_[len_++] = c;
    }
    // Space for at least `n` bytes (n <= capacity); call commit() with what was used.
    char* reserve(size_t n) {
        if (capacity_ - len_ < n) drain();
        return data_.get() + len_;
    }
    void commit(size_t n) { len_ += n; }
    size_t capacity() const { return capacity_; }

    // Writes out everything buffered; throws SysError("write error: why") on failure.
    void flush();
    int fd() const { return fd_; }

private:
    void drain();

    int fd_;
    size_t capacity_;
    size_t len_ = 0;
    std::unique_ptr<char[]> data_;
};

// Called on a write to a stdout whose reader went away: restores SIGPIPE's default
// action and raises it, so the exit status is what shells expect (128+13), silently.
[[noreturn]] void die_of_broken_pipe();

// Writes to an fd reporting errors as OutputBuffer does (EPIPE -> quiet SIGPIPE death).
void write_or_die(int fd, std::string_view s);

enum class ColorMode { automatic, always, never };
// Parses "auto|always|never" (throws UsageError otherwise).
ColorMode parse_color_mode(std::string_view text);
// Color on `fd`: always/never as asked; auto = a terminal and NO_COLOR unset or empty.
bool use_color(ColorMode mode, int fd);

}  // namespace ptool
