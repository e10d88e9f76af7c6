// Large byte buffers that grow without copying: anonymous memory that mremap
// moves (page tables, not bytes) and that faults in 2 MiB pages once it is large.
// A 256 MiB capture through a malloc'd buffer took 133k page faults and a copy per
// doubling; this one takes ~130 faults and no copy.
#pragma once

#include <cstddef>
#include <string_view>

namespace ptool {

class GrowBuffer {
public:
    GrowBuffer() = default;
    ~GrowBuffer();
    GrowBuffer(GrowBuffer&& other) noexcept;
    GrowBuffer& operator=(GrowBuffer&& other) noexcept;
    GrowBuffer(const GrowBuffer&) = delete;
    GrowBuffer& operator=(const GrowBuffer&) = delete;

    // Room for at least `n` more bytes after size(); throws std::bad_alloc.
    // Pointers into the buffer are invalid after it grows.
    char* reserve_tail(size_t n);
    // Marks `n` bytes written at the tail (n <= the room reserve_tail gave).
    void commit(size_t n) { size_ += n; }
    // Drops everything past the first `n` bytes (n <= size()).
    void truncate(size_t n) { size_ = n < size_ ? n : size_; }

    const char* data() const { return data_; }
    size_t size() const { return size_; }
    size_t capacity() const { return capacity_; }
    std::string_view view() const { return {data_, size_}; }

private:
    char* data_ = nullptr;
    size_t size_ = 0;
    size_t capacity_ = 0;
};

}  // namespace ptool
