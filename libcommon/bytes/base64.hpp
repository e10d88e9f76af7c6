// base64 and base64url with Node.js Buffer semantics: Buffer.toString('base64')
// (padded) and 'base64url' (unpadded), and Buffer.from(s, 'base64') reading
// either alphabet. The encoder has SSSE3 and AVX2 paths beside the scalar one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "libcommon/bytes/decoder.hpp"
#include "libcommon/core/cpu.hpp"

namespace ptool {

// Buffer.toString('base64') (padded) or, with `url`, 'base64url' (unpadded).
std::string base64_encode(std::string_view bytes, bool url = false);
// Writes the encoding of n bytes to `out`; returns the end. Padding unless `url`.
// Reads only bytes[0, n); `path` must be available.
char* base64_encode_to(char* out, const unsigned char* bytes, size_t n, bool url = false,
                       SimdPath path = SimdPath::best);
inline size_t base64_encoded_size(size_t n, bool url) {
    return url ? (n / 3) * 4 + (n % 3 ? n % 3 + 1 : 0) : (n + 2) / 3 * 4;
}

// base64 or base64url (both alphabets accepted, as Buffer.from(s, 'base64')),
// whitespace skipped, padding optional but only at the end. With
// `ignore_garbage` (base64 -i) characters outside both alphabets are skipped too.
class Base64Decoder : public ByteDecoder {
public:
    explicit Base64Decoder(bool ignore_garbage = false) : ignore_garbage_(ignore_garbage) {}
    void feed(std::string_view text, std::string& out) override;
    void finish(std::string& out) override;

private:
    bool ignore_garbage_;
    uint32_t acc_ = 0;
    int count_ = 0;     // sextets in acc_
    int padding_ = 0;   // '=' seen
    int pad_base_ = 0;  // sextets before the first '='
    size_t last_line_ = 0, last_column_ = 0;
};

}  // namespace ptool
