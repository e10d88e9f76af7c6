// The Digest interface over OpenSSL, libxxhash, BLAKE2b and BLAKE3 (digest.hpp).
#include "tools/hashfile/digest.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <xxhash.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include "blake3.h"
#include "libcommon/bytes/hex.hpp"
#include "libcommon/core/error.hpp"
#include "tools/hashfile/digest_blake2b.hpp"
#include "tools/hashfile/digest_crc.hpp"
#include "tools/hashfile/digest_xxh3.hpp"

namespace ptool {

namespace {

using E = NameEscaping;
constexpr std::array<DigestInfo, 18> kAlgos = {{
    {DigestAlgo::md5, "md5", "MD5", 16, 64, "MD5", E::coreutils, false},
    {DigestAlgo::sha1, "sha1", "SHA1", 20, 64, "SHA1", E::coreutils, false},
    {DigestAlgo::sha224, "sha224", "SHA224", 28, 64, "SHA224", E::coreutils, false},
    {DigestAlgo::sha256, "sha256", "SHA256", 32, 64, "SHA256", E::coreutils, false},
    {DigestAlgo::sha384, "sha384", "SHA384", 48, 128, "SHA384", E::coreutils, false},
    {DigestAlgo::sha512, "sha512", "SHA512", 64, 128, "SHA512", E::coreutils, false},
    {DigestAlgo::sha3_256, "sha3-256", "SHA3-256", 32, 136, "SHA3-256", E::coreutils, false},
    {DigestAlgo::sha3_512, "sha3-512", "SHA3-512", 64, 72, "SHA3-512", E::coreutils, false},
    {DigestAlgo::blake2b, "blake2b", "BLAKE2b", 64, 128, "BLAKE2B-512", E::coreutils, false},
    {DigestAlgo::blake2s, "blake2s", "BLAKE2s", 32, 64, "BLAKE2S-256", E::coreutils, false},
    {DigestAlgo::blake3, "blake3", "BLAKE3", 32, 64, nullptr, E::b3sum, false},
    {DigestAlgo::xxh64, "xxh64", "XXH64", 8, 64, nullptr, E::newline_only, false},
    {DigestAlgo::xxh3, "xxh3", "XXH3", 8, 64, nullptr, E::newline_only, true},
    {DigestAlgo::xxh128, "xxh128", "XXH128", 16, 64, nullptr, E::newline_only, false},
    {DigestAlgo::sha512_256, "sha512-256", "SHA512-256", 32, 128, "SHA512-256", E::coreutils,
     false},
    {DigestAlgo::crc32, "crc32", "CRC32", 4, 64, nullptr, E::newline_only, false},
    {DigestAlgo::cksum, "cksum", "CKSUM", 4, 64, nullptr, E::newline_only, false},
    {DigestAlgo::xxh32, "xxh32", "XXH32", 4, 64, nullptr, E::newline_only, false},
}};

// Other spellings, after lowercasing: OpenSSL's and Node's (crypto.createHash) names.
constexpr std::pair<std::string_view, DigestAlgo> kAliases[] = {
    {"sha-1", DigestAlgo::sha1},
    {"sha-224", DigestAlgo::sha224},
    {"sha2-224", DigestAlgo::sha224},
    {"sha-256", DigestAlgo::sha256},
    {"sha2-256", DigestAlgo::sha256},
    {"sha-384", DigestAlgo::sha384},
    {"sha2-384", DigestAlgo::sha384},
    {"sha-512", DigestAlgo::sha512},
    {"sha2-512", DigestAlgo::sha512},
    {"sha512/256", DigestAlgo::sha512_256},
    {"sha-512/256", DigestAlgo::sha512_256},
    {"sha2-512/256", DigestAlgo::sha512_256},
    {"sha3_256", DigestAlgo::sha3_256},
    {"sha3_512", DigestAlgo::sha3_512},
    {"blake2b512", DigestAlgo::blake2b},
    {"blake2b-512", DigestAlgo::blake2b},
    {"blake2s256", DigestAlgo::blake2s},
    {"blake2s-256", DigestAlgo::blake2s},
    {"crc32b", DigestAlgo::crc32},
    {"crc", DigestAlgo::cksum},
    {"xxh3-64", DigestAlgo::xxh3},
    {"xxh3_64", DigestAlgo::xxh3},
};

// OpenSSL objects fetched once per process and shared by every thread (they are immutable).
const EVP_MD* evp_md(DigestAlgo algo) {
    static const std::array<EVP_MD*, kAlgos.size()> table = [] {
        std::array<EVP_MD*, kAlgos.size()> t{};
        for (size_t i = 0; i < kAlgos.size(); ++i)
            if (kAlgos[i].evp_name) t[i] = EVP_MD_fetch(nullptr, kAlgos[i].evp_name, nullptr);
        return t;
    }();
    const EVP_MD* md = table[static_cast<size_t>(algo)];
    if (!md) throw Error(std::string(digest_info(algo).name) + ": not available in OpenSSL");
    return md;
}

EVP_MAC* evp_hmac() {
    static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (!mac) throw Error("HMAC: not available in OpenSSL");
    return mac;
}

void store_be32(unsigned char* out, uint32_t v) {
    for (int i = 3; i >= 0; --i, v >>= 8) out[i] = static_cast<unsigned char>(v);
}

}  // namespace

struct Digest::Impl {
    explicit Impl(DigestAlgo a) : algo(a), size(digest_info(a).size) {}
    virtual ~Impl() = default;
    virtual void update(const void* data, size_t len) = 0;
    virtual void finish(unsigned char* out) = 0;  // also resets
    virtual void reset() = 0;
    DigestAlgo algo;
    size_t size;  // output bytes
};

namespace {

class EvpDigest final : public Digest::Impl {
public:
    explicit EvpDigest(DigestAlgo a) : Impl(a), md_(evp_md(a)), ctx_(EVP_MD_CTX_new()) {
        if (!ctx_) throw Error("out of memory");
        reset();
    }
    ~EvpDigest() override { EVP_MD_CTX_free(ctx_); }
    void update(const void* data, size_t len) override { EVP_DigestUpdate(ctx_, data, len); }
    void finish(unsigned char* out) override {
        unsigned int n = 0;
        EVP_DigestFinal_ex(ctx_, out, &n);
        reset();
    }
    void reset() override {
        if (EVP_DigestInit_ex2(ctx_, md_, nullptr) != 1) throw Error("EVP_DigestInit_ex2 failed");
    }

private:
    const EVP_MD* md_;
    EVP_MD_CTX* ctx_;
};

class EvpHmac final : public Digest::Impl {
public:
    EvpHmac(DigestAlgo a, std::string_view key)
        : Impl(a), key_(key), ctx_(EVP_MAC_CTX_new(evp_hmac())) {
        if (!ctx_) throw Error("out of memory");
        evp_md(a);  // a clear error when OpenSSL lacks the digest
        reset();
    }
    ~EvpHmac() override { EVP_MAC_CTX_free(ctx_); }
    void update(const void* data, size_t len) override {
        EVP_MAC_update(ctx_, static_cast<const unsigned char*>(data), len);
    }
    void finish(unsigned char* out) override {
        size_t n = 0;
        EVP_MAC_final(ctx_, out, &n, digest_info(algo).size);
        reset();
    }
    void reset() override {
        char* name = const_cast<char*>(digest_info(algo).evp_name);
        OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, name, 0),
                               OSSL_PARAM_construct_end()};
        // A non-null pointer even for an empty key: HMAC with a zero-length key is valid.
        static const unsigned char empty = 0;
        const auto* key =
            key_.empty() ? &empty : reinterpret_cast<const unsigned char*>(key_.data());
        if (EVP_MAC_init(ctx_, key, key_.size(), params) != 1) throw Error("HMAC init failed");
    }

private:
    std::string key_;
    EVP_MAC_CTX* ctx_;
};

// xxh64 and xxh32: the same streaming API at two widths, the digest stored big-endian
// (xxhsum's canonical form).
template <DigestAlgo kAlgo, typename State, typename Hash, State* (*kCreate)(),
          XXH_errorcode (*kFree)(State*), XXH_errorcode (*kReset)(State*, Hash),
          XXH_errorcode (*kUpdate)(State*, const void*, size_t), Hash (*kDigest)(const State*)>
class XxhDigest final : public Digest::Impl {
public:
    XxhDigest() : Impl(kAlgo), state_(kCreate()) {
        if (!state_) throw Error("out of memory");
        reset();
    }
    ~XxhDigest() override { kFree(state_); }
    void update(const void* data, size_t len) override { kUpdate(state_, data, len); }
    void finish(unsigned char* out) override {
        Hash v = kDigest(state_);
        for (size_t i = sizeof v; i-- > 0; v >>= 8) out[i] = static_cast<unsigned char>(v);
        reset();
    }
    void reset() override { kReset(state_, 0); }

private:
    State* state_;
};

using Xxh64Digest = XxhDigest<DigestAlgo::xxh64, XXH64_state_t, XXH64_hash_t, XXH64_createState,
                              XXH64_freeState, XXH64_reset, XXH64_update, XXH64_digest>;
using Xxh32Digest = XxhDigest<DigestAlgo::xxh32, XXH32_state_t, XXH32_hash_t, XXH32_createState,
                              XXH32_freeState, XXH32_reset, XXH32_update, XXH32_digest>;

class Xxh3Digest final : public Digest::Impl {
public:
    explicit Xxh3Digest(DigestAlgo a)
        : Impl(a),
          kernel_(xxh3_kernels(a == DigestAlgo::xxh128).front()),
          state_(XXH3_createState()) {
        if (!state_) throw Error("out of memory");
        reset();
    }
    ~Xxh3Digest() override { XXH3_freeState(state_); }
    void update(const void* data, size_t len) override { kernel_.update(state_, data, len); }
    void finish(unsigned char* out) override {
        kernel_.digest(state_, out);
        reset();
    }
    void reset() override { kernel_.reset(state_); }

private:
    const Xxh3Kernel& kernel_;
    XXH3_state_t* state_;
};

class Blake2bDigest final : public Digest::Impl {
public:
    explicit Blake2bDigest(size_t length = Blake2b::kDigestSize) : Impl(DigestAlgo::blake2b) {
        size = length;
        state_.set_digest_size(length);
    }
    void update(const void* data, size_t len) override { state_.update(data, len); }
    void finish(unsigned char* out) override { state_.finish(out); }
    void reset() override { state_.reset(); }

private:
    Blake2b state_;
};

class Blake3Digest final : public Digest::Impl {
public:
    explicit Blake3Digest(const DigestParams& p = {}) : Impl(DigestAlgo::blake3) {
        if (p.length) size = p.length;
        if (p.keyed)
            blake3_hasher_init_keyed(&hasher_, reinterpret_cast<const uint8_t*>(p.keyed->data()));
        else if (p.derive)
            blake3_hasher_init_derive_key_raw(&hasher_, p.derive->data(), p.derive->size());
        else
            blake3_hasher_init(&hasher_);
    }
    void update(const void* data, size_t len) override {
        blake3_hasher_update(&hasher_, data, len);
    }
    void finish(unsigned char* out) override {
        blake3_hasher_finalize(&hasher_, out, size);
        reset();
    }
    void reset() override { blake3_hasher_reset(&hasher_); }

private:
    blake3_hasher hasher_;
};

template <typename Crc, DigestAlgo kAlgo>
class CrcDigest final : public Digest::Impl {
public:
    CrcDigest() : Impl(kAlgo) {}
    void update(const void* data, size_t len) override { crc_.update(data, len); }
    void finish(unsigned char* out) override {
        store_be32(out, crc_.value());
        reset();
    }
    void reset() override { crc_.reset(); }

private:
    Crc crc_;
};

std::unique_ptr<Digest::Impl> make_plain(DigestAlgo algo) {
    switch (algo) {
        case DigestAlgo::blake2b:
            if (Blake2b::available()) return std::make_unique<Blake2bDigest>();
            return std::make_unique<EvpDigest>(algo);
        case DigestAlgo::blake3: return std::make_unique<Blake3Digest>();
        case DigestAlgo::xxh64: return std::make_unique<Xxh64Digest>();
        case DigestAlgo::xxh3:
        case DigestAlgo::xxh128: return std::make_unique<Xxh3Digest>(algo);
        case DigestAlgo::xxh32: return std::make_unique<Xxh32Digest>();
        case DigestAlgo::crc32: return std::make_unique<CrcDigest<Crc32, DigestAlgo::crc32>>();
        case DigestAlgo::cksum: return std::make_unique<CrcDigest<PosixCksum, DigestAlgo::cksum>>();
        default: return std::make_unique<EvpDigest>(algo);
    }
}

// RFC 2104 over any digest: H((K ^ opad) || H((K ^ ipad) || m)).
class GenericHmac final : public Digest::Impl {
public:
    GenericHmac(DigestAlgo a, std::string_view key) : Impl(a), inner_(make_plain(a)) {
        const DigestInfo& info = digest_info(a);
        std::vector<unsigned char> k(info.block_size, 0);
        if (key.size() > info.block_size) {
            inner_->update(key.data(), key.size());
            inner_->finish(k.data());
        } else {
            std::memcpy(k.data(), key.data(), key.size());
        }
        ipad_.resize(k.size());
        opad_.resize(k.size());
        for (size_t i = 0; i < k.size(); ++i) {
            ipad_[i] = k[i] ^ 0x36;
            opad_[i] = k[i] ^ 0x5c;
        }
        reset();
    }
    void update(const void* data, size_t len) override { inner_->update(data, len); }
    void finish(unsigned char* out) override {
        unsigned char inner_digest[kMaxDigestSize];
        inner_->finish(inner_digest);
        inner_->update(opad_.data(), opad_.size());
        inner_->update(inner_digest, digest_info(algo).size);
        inner_->finish(out);
        reset();
    }
    void reset() override {
        inner_->reset();
        inner_->update(ipad_.data(), ipad_.size());
    }

private:
    std::unique_ptr<Digest::Impl> inner_;
    std::vector<unsigned char> ipad_, opad_;
};

}  // namespace

std::span<const DigestInfo> digest_algos() {
    return kAlgos;
}

const DigestInfo& digest_info(DigestAlgo algo) {
    return kAlgos[static_cast<size_t>(algo)];
}

std::optional<DigestAlgo> parse_digest_algo(std::string_view name) {
    std::string lower(name);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (const auto& info : kAlgos)
        if (info.name == lower) return info.algo;
    for (const auto& [alias, algo] : kAliases)
        if (alias == lower) return algo;
    return std::nullopt;
}

std::string digest_algo_list() {
    std::string out;
    for (const auto& info : kAlgos) {
        if (!out.empty()) out += ", ";
        out += info.name;
    }
    return out;
}

Digest::Digest(DigestAlgo algo, std::optional<std::string_view> hmac_key) {
    if (!hmac_key)
        impl_ = make_plain(algo);
    else if (digest_info(algo).evp_name)
        impl_ = std::make_unique<EvpHmac>(algo, *hmac_key);
    else
        impl_ = std::make_unique<GenericHmac>(algo, *hmac_key);
}

Digest::Digest(DigestAlgo algo, const DigestParams& p) {
    if (p.plain()) {
        impl_ = make_plain(algo);
        return;
    }
    std::string_view name = digest_info(algo).name;
    if (p.hmac_key) {
        if (p.length || p.keyed || p.derive)
            throw UsageError("an HMAC key does not go with --length, --keyed or --derive-key");
        *this = Digest(algo, std::optional<std::string_view>(*p.hmac_key));
        return;
    }
    if ((p.keyed || p.derive) && algo != DigestAlgo::blake3)
        throw UsageError("--keyed and --derive-key are blake3's; not for " + std::string(name));
    if (p.keyed && p.keyed->size() != BLAKE3_KEY_LEN)
        throw UsageError("--keyed: the key must be exactly 32 bytes");
    if (algo == DigestAlgo::blake3) {
        if (p.length > kMaxDigestSize)
            throw UsageError("--length: at most " + std::to_string(kMaxDigestSize) +
                             " bytes for blake3");
        impl_ = std::make_unique<Blake3Digest>(p);
    } else if (algo == DigestAlgo::blake2b && p.length) {
        if (p.length > Blake2b::kDigestSize)
            throw UsageError("--length: at most 512 bits for blake2b");
        if (p.length == Blake2b::kDigestSize)
            impl_ = make_plain(algo);
        else if (Blake2b::available())
            impl_ = std::make_unique<Blake2bDigest>(p.length);
        else
            throw Error("blake2b: lengths other than 512 bits need x86-64");
    } else if (p.length && p.length != digest_info(algo).size) {
        throw UsageError("--length: " + std::string(name) + " has a fixed length");
    } else {
        impl_ = make_plain(algo);
    }
}

Digest::Digest(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Digest Digest::generic_hmac(DigestAlgo algo, std::string_view key) {
    return Digest(std::make_unique<GenericHmac>(algo, key));
}

Digest::Digest(Digest&&) noexcept = default;
Digest& Digest::operator=(Digest&&) noexcept = default;
Digest::~Digest() = default;

DigestAlgo Digest::algo() const {
    return impl_->algo;
}
size_t Digest::size() const {
    return impl_->size;
}
void Digest::update(const void* data, size_t len) {
    impl_->update(data, len);
}
void Digest::finish(unsigned char* out) {
    impl_->finish(out);
}
void Digest::reset() {
    impl_->reset();
}

std::string Digest::finish_hex() {
    unsigned char out[kMaxDigestSize];
    finish(out);
    return to_hex({out, size()});
}

int64_t digest_fd(int fd, std::span<Digest> digests, std::span<unsigned char> buffer,
                  const std::function<void(uint64_t)>& progress) {
    uint64_t total = 0;
    bool advised = false;
    for (;;) {
        ssize_t n = ::read(fd, buffer.data(), buffer.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (n == 0) return static_cast<int64_t>(total);
        for (Digest& d : digests) d.update(buffer.data(), static_cast<size_t>(n));
        total += static_cast<uint64_t>(n);
        if (!advised && static_cast<size_t>(n) == buffer.size()) {
            // Only for inputs past one read: a small file gets no extra syscall.
            ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
            advised = true;
        }
        if (progress) progress(total);
    }
}

std::string to_hex(std::span<const unsigned char> bytes) {
    std::string out(bytes.size() * 2, '\0');
    hex_encode_to(out.data(), bytes.data(), bytes.size());
    return out;
}

std::string digest_hex(DigestAlgo algo, std::string_view data,
                       std::optional<std::string_view> hmac_key) {
    Digest d(algo, hmac_key);
    d.update(data);
    return d.finish_hex();
}

}  // namespace ptool
