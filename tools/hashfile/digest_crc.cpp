// zlib's CRC-32 and POSIX cksum's CRC, slicing by eight (digest_crc.hpp).
#include "tools/hashfile/digest_crc.hpp"

#include <array>

namespace ptool {

namespace {

using Tables = std::array<std::array<uint32_t, 256>, 8>;

// t[0] is the byte table; t[k][b] advances t[k-1][b] by one more zero byte.
constexpr Tables reflected_tables() {
    Tables t{};
    for (uint32_t b = 0; b < 256; ++b) {
        uint32_t c = b;
        for (int k = 0; k < 8; ++k) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        t[0][b] = c;
    }
    for (size_t k = 1; k < 8; ++k)
        for (uint32_t b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xff];
    return t;
}

constexpr Tables msb_tables() {
    Tables t{};
    for (uint32_t b = 0; b < 256; ++b) {
        uint32_t c = b << 24;
        for (int k = 0; k < 8; ++k) c = c & 0x80000000u ? (c << 1) ^ 0x04C11DB7u : c << 1;
        t[0][b] = c;
    }
    for (size_t k = 1; k < 8; ++k)
        for (uint32_t b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] << 8) ^ t[0][t[k - 1][b] >> 24];
    return t;
}

constexpr Tables kReflected = reflected_tables();
constexpr Tables kMsb = msb_tables();

uint32_t msb_update(uint32_t crc, const unsigned char* p, size_t len) {
    const auto& t = kMsb;
    for (; len >= 8; p += 8, len -= 8) {
        uint32_t a =
            crc ^ (uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3]);
        crc = t[7][a >> 24] ^ t[6][(a >> 16) & 0xff] ^ t[5][(a >> 8) & 0xff] ^ t[4][a & 0xff] ^
              t[3][p[4]] ^ t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
    }
    for (; len; ++p, --len) crc = (crc << 8) ^ t[0][(crc >> 24) ^ *p];
    return crc;
}

}  // namespace

void Crc32::update(const void* data, size_t len) {
    const auto* p = static_cast<const unsigned char*>(data);
    const auto& t = kReflected;
    uint32_t crc = crc_;
    for (; len >= 8; p += 8, len -= 8) {
        uint32_t a = crc ^ (uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 |
                            uint32_t{p[3]} << 24);
        crc = t[7][a & 0xff] ^ t[6][(a >> 8) & 0xff] ^ t[5][(a >> 16) & 0xff] ^ t[4][a >> 24] ^
              t[3][p[4]] ^ t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
    }
    for (; len; ++p, --len) crc = (crc >> 8) ^ t[0][(crc ^ *p) & 0xff];
    crc_ = crc;
}

void PosixCksum::update(const void* data, size_t len) {
    crc_ = msb_update(crc_, static_cast<const unsigned char*>(data), len);
    length_ += len;
}

uint32_t PosixCksum::value() const {
    unsigned char bytes[8];
    size_t n = 0;
    for (uint64_t v = length_; v; v >>= 8) bytes[n++] = static_cast<unsigned char>(v);
    return ~msb_update(crc_, bytes, n);
}

}  // namespace ptool
