// Byte <-> text codecs with Node.js Buffer semantics (hex, base64, base64url,
// utf8, latin1, ascii, utf16le), table-driven so bufdump's hot loops and the
// tools' JSON output share one implementation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ptool {

// Node 20's buf.toString('utf8'): the WHATWG UTF-8 decoder, every maximal
// subpart of an ill-formed sequence becomes U+FFFD.
std::string utf8_lossy(std::string_view bytes);
// Same, appended to `out`. With `final` false an incomplete but so far valid
// sequence at the end is not decoded: its length is returned so the caller can
// carry those bytes into the next chunk (0 when everything was consumed).
size_t utf8_lossy_append(std::string& out, std::string_view bytes, bool final = true);

// Buffer.toString('hex'): two lower-case digits a byte (upper with `upper`).
std::string hex_encode(std::string_view bytes, bool upper = false);
// Writes 2*n digits to `out`; returns the end.
char* hex_encode_to(char* out, const unsigned char* bytes, size_t n, bool upper = false);

// Buffer.toString('base64') (padded) or, with `url`, 'base64url' (unpadded).
std::string base64_encode(std::string_view bytes, bool url = false);
// Writes the encoding of n bytes to `out`; returns the end. Padding unless `url`.
char* base64_encode_to(char* out, const unsigned char* bytes, size_t n, bool url = false);
inline size_t base64_encoded_size(size_t n, bool url) {
    return url ? (n / 3) * 4 + (n % 3 ? n % 3 + 1 : 0) : (n + 2) / 3 * 4;
}

}  // namespace ptool
