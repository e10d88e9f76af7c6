// One small interface over every digest hashfile offers: OpenSSL EVP (md5 ... blake2s),
// libxxhash (xxh64, xxh3, xxh128) and BLAKE3's C implementation, each incremental
// (update/finish/reset) and each usable as an HMAC. On AVX2 CPUs xxh3/xxh128 run xxHash
// built for AVX2 (digest_xxh3.hpp); on x86-64 blake2b runs our own code, scalar or AVX2
// by what is faster on the CPU (digest_blake2b.hpp). crc32 and cksum are ours
// (digest_crc.hpp). BLAKE3's keyed and derive-key modes and BLAKE2b/BLAKE3 output
// lengths other than the default come with DigestParams.
//
// HMAC: the EVP digests use OpenSSL's EVP_MAC "HMAC" (what `openssl dgst -hmac` and
// `openssl mac` compute). xxh64/xxh3/xxh128/blake3 have no HMAC of their own (BLAKE3's
// keyed mode takes exactly 32 key bytes), so they use the generic RFC 2104 construction
// H((K ^ opad) || H((K ^ ipad) || m)) with a 64-byte block; a longer key is first
// replaced by its digest. The same construction over sha256 equals EVP's HMAC (unit-tested).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace ptool {

enum class DigestAlgo {
    md5,
    sha1,
    sha224,
    sha256,
    sha384,
    sha512,
    sha3_256,
    sha3_512,
    blake2b,
    blake2s,
    blake3,
    xxh64,
    xxh3,
    xxh128,
    sha512_256,
    crc32,  // zlib's, as rhash --crc32
    cksum,  // POSIX cksum's CRC (lines "CRC SIZE NAME")
    xxh32,
};

// How a peer tool writes names in its GNU-style lines.
enum class NameEscaping {
    coreutils,  // a name with \, newline or CR: leading '\' and those escaped
    b3sum,      // b3sum 1.2: a name with \ or newline: leading '\', only those two escaped
    // coreutils escapes, only for a name with a newline: -c output lines, and xxh* lines
    // (xxhsum 0.8.1 writes names raw, so its -c reads ours for every other name)
    newline_only,
};

struct DigestInfo {
    DigestAlgo algo;
    std::string_view name;  // as given to -a: "sha256", "blake2b"
    std::string_view tag;   // BSD-style tag: "SHA256", "BLAKE2b", "XXH3"
    size_t size;            // digest bytes
    size_t block_size;      // HMAC block size
    const char* evp_name;   // OpenSSL name, or nullptr when not an EVP digest
    NameEscaping escaping;
    bool bsd_default;  // the peer writes BSD lines by default (xxhsum -H3)
};

// Every algorithm, in the order of the enum.
std::span<const DigestInfo> digest_algos();
const DigestInfo& digest_info(DigestAlgo algo);
// By -a name ("sha256", case-insensitive; "sha3-256", "blake2b"); nullopt when unknown.
std::optional<DigestAlgo> parse_digest_algo(std::string_view name);
// "md5, sha1, ..." for error messages.
std::string digest_algo_list();

// What b3sum and b2sum can change about a digest. A digest of another length is written
// and read like the default one (b2sum -l, b3sum --length).
struct DigestParams {
    std::optional<std::string> hmac_key;
    size_t length = 0;                  // output bytes: blake2b 1..64, blake3 1..kMaxDigestSize
    std::optional<std::string> keyed;   // blake3: exactly 32 key bytes (b3sum --keyed)
    std::optional<std::string> derive;  // blake3: the context (b3sum --derive-key)
    bool plain() const { return !hmac_key && !length && !keyed && !derive; }
};

// Output bytes at most (b3sum --length beyond it is refused: hex lines of 8 KiB).
inline constexpr size_t kMaxDigestSize = 4096;

class Digest {
public:
    // A plain digest, or an HMAC keyed with `hmac_key` when it has a value.
    explicit Digest(DigestAlgo algo, std::optional<std::string_view> hmac_key = std::nullopt);
    // Forces the generic HMAC construction even for EVP digests (tests compare it to EVP).
    static Digest generic_hmac(DigestAlgo algo, std::string_view key);
    // A digest with `params` (throws UsageError when they do not apply to `algo`).
    Digest(DigestAlgo algo, const DigestParams& params);
    Digest(Digest&&) noexcept;
    Digest& operator=(Digest&&) noexcept;
    ~Digest();

    DigestAlgo algo() const;
    size_t size() const;
    void update(const void* data, size_t len);
    void update(std::string_view data) { update(data.data(), data.size()); }
    // Writes size() bytes to `out` and resets for the next message.
    void finish(unsigned char* out);
    // finish() as lowercase hex.
    std::string finish_hex();
    // Starts a new message (discarding anything updated so far).
    void reset();

    struct Impl;

private:
    explicit Digest(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// Reads `fd` to its end in large reads through `buffer` (reused across calls; 256 KiB
// suits the page cache), feeding every digest, with posix_fadvise(SEQUENTIAL) once the
// input proves larger than one read. `progress`, when set, gets the bytes read so far
// after each read. Returns the bytes read, or -1 with errno set.
int64_t digest_fd(int fd, std::span<Digest> digests, std::span<unsigned char> buffer,
                  const std::function<void(uint64_t)>& progress = {});

// Lowercase hex of `bytes`.
std::string to_hex(std::span<const unsigned char> bytes);
// One-shot digest of `data` as hex.
std::string digest_hex(DigestAlgo algo, std::string_view data,
                       std::optional<std::string_view> hmac_key = std::nullopt);

}  // namespace ptool
