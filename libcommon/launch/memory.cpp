// GrowBuffer: mremap-grown anonymous memory for large captures (memory.hpp).
#include "libcommon/launch/memory.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <new>
#include <utility>

namespace ptool {

namespace {

constexpr size_t kPage = 4096;
constexpr size_t kHugePage = 2 << 20;
constexpr size_t kFirst = 256 * 1024;  // small outputs: one mapping, a few pages touched

}  // namespace

GrowBuffer::~GrowBuffer() {
    if (data_) ::munmap(data_, capacity_);
}

GrowBuffer::GrowBuffer(GrowBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      capacity_(std::exchange(other.capacity_, 0)) {}

GrowBuffer& GrowBuffer::operator=(GrowBuffer&& other) noexcept {
    if (this != &other) {
        if (data_) ::munmap(data_, capacity_);
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
        capacity_ = std::exchange(other.capacity_, 0);
    }
    return *this;
}

char* GrowBuffer::reserve_tail(size_t n) {
    if (capacity_ - size_ >= n) return data_ + size_;
    if (n > SIZE_MAX / 4 - size_) throw std::bad_alloc();
    size_t wanted = std::max({size_ + n, capacity_ * 2, kFirst});
    wanted = (wanted + kPage - 1) & ~(kPage - 1);
    void* p =
        data_ ? ::mremap(data_, capacity_, wanted, MREMAP_MAYMOVE)
              : ::mmap(nullptr, wanted, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    data_ = static_cast<char*>(p);
    capacity_ = wanted;
    // Where transparent huge pages are madvise-only (Debian's default), ask for them.
    if (capacity_ >= 4 * kHugePage) ::madvise(data_, capacity_, MADV_HUGEPAGE);
    return data_ + size_;
}

}  // namespace ptool
