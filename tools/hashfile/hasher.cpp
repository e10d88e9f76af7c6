// One read of a file into every digest asked for (hasher.hpp).
#include "tools/hashfile/hasher.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "libcommon/core/fd.hpp"

namespace ptool {

namespace {

constexpr size_t kReadSize = 256 * 1024;

}  // namespace

DigestParams Setup::params_for(DigestAlgo algo, size_t length) const {
    DigestParams p;
    p.hmac_key = params.hmac_key;
    if (algo == DigestAlgo::blake3) {
        p.keyed = params.keyed;
        p.derive = params.derive;
        p.length = length ? length : blake3_length;
    } else if (algo == DigestAlgo::blake2b) {
        p.length = length ? length : blake2b_length;
    }
    return p;
}

FileHasher::FileHasher(const Setup& setup, ProgressMeter* meter, bool draw, bool no_follow)
    : setup_(setup),
      buffer_(static_cast<unsigned char*>(std::aligned_alloc(4096, kReadSize))),
      meter_(meter),
      draw_(draw),
      open_flags_(O_RDONLY | O_CLOEXEC | O_NOCTTY | (no_follow ? O_NOFOLLOW : 0)) {
    if (!buffer_) throw std::bad_alloc();
    for (DigestAlgo a : setup.algos) digests_.emplace_back(a, setup.params_for(a));
}

FileHasher::Result FileHasher::hash(const std::string& path) {
    return hash(path, digests_);
}

FileHasher::Result FileHasher::hash_with(const std::string& path, std::span<const DigestAlgo> algos,
                                         size_t length) {
    // Contexts are kept per (algorithm, length) and moved in and out of one span.
    scratch_.clear();
    for (DigestAlgo a : algos) {
        auto key = std::pair{a, length};
        auto it = by_algo_.find(key);
        if (it == by_algo_.end())
            it = by_algo_.emplace(key, Digest(a, setup_.params_for(a, length))).first;
        scratch_.push_back(std::move(it->second));
    }
    Result r = hash(path, scratch_);
    for (size_t k = 0; k < algos.size(); ++k)
        by_algo_.at(std::pair{algos[k], length}) = std::move(scratch_[k]);
    return r;
}

FileHasher::Result FileHasher::hash(const std::string& path, std::span<Digest> digests) {
    Result r;
    UniqueFd owned;
    int fd = STDIN_FILENO;
    if (path != "-") {
        do owned.reset(::open(path.c_str(), open_flags_));
        while (!owned && errno == EINTR);
        if (!owned) return {errno, 0, {}};
        fd = owned.get();
    }
    std::function<void(uint64_t)> tick;
    uint64_t counted = 0;
    if (meter_)
        tick = [&](uint64_t done) {
            meter_->add(done - counted);
            counted = done;
            if (draw_) meter_->draw();
        };
    int64_t n = digest_fd(fd, digests, {buffer_.get(), kReadSize}, tick);
    if (meter_) meter_->file_done();
    if (n < 0) {
        r.err = errno;
        for (Digest& d : digests) d.reset();
        return r;
    }
    r.size = static_cast<uint64_t>(n);
    for (Digest& d : digests) r.hex.push_back(d.finish_hex());
    return r;
}

}  // namespace ptool
