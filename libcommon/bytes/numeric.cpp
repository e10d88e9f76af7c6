// The values of bufdump --as (numeric.hpp): each read with memcpy and a byte
// swap when the order is not the machine's, then std::to_chars.
#include "libcommon/bytes/numeric.hpp"

#include <bit>
#include <charconv>
#include <cstring>

namespace ptool {

size_t number_size(NumberType t) {
    switch (t) {
        case NumberType::none: return 1;
        case NumberType::u8:
        case NumberType::i8: return 1;
        case NumberType::u16:
        case NumberType::i16: return 2;
        case NumberType::u32:
        case NumberType::i32:
        case NumberType::f32: return 4;
        case NumberType::u64:
        case NumberType::i64:
        case NumberType::f64: return 8;
    }
    return 1;
}

size_t number_width(NumberType t) {
    switch (t) {
        case NumberType::none: return 0;
        case NumberType::u8: return 3;    // 255
        case NumberType::i8: return 4;    // -128
        case NumberType::u16: return 5;   // 65535
        case NumberType::i16: return 6;   // -32768
        case NumberType::u32: return 10;  // 4294967295
        case NumberType::i32: return 11;  // -2147483648
        case NumberType::u64: return 20;  // 18446744073709551615
        case NumberType::i64: return 20;  // -9223372036854775808
        case NumberType::f32: return 15;  // -1.17549435e-38
        case NumberType::f64: return 24;  // -2.2250738585072014e-308
    }
    return 0;
}

size_t numbers_length(const NumberColumns& c, size_t columns) {
    if (c.type == NumberType::none) return 0;
    return columns / number_size(c.type) * (number_width(c.type) + 1);
}

namespace {

template <typename U>
U load(const unsigned char* p, bool big_endian) {
    U v;
    std::memcpy(&v, p, sizeof v);
    if constexpr (sizeof(U) > 1) {
        if (big_endian != (std::endian::native == std::endian::big)) {
            if constexpr (sizeof(U) == 2) v = __builtin_bswap16(v);
            if constexpr (sizeof(U) == 4) v = __builtin_bswap32(v);
            if constexpr (sizeof(U) == 8) v = __builtin_bswap64(v);
        }
    }
    return v;
}

template <typename T, typename U>
T value_at(const unsigned char* p, bool big_endian) {
    return std::bit_cast<T>(load<U>(p, big_endian));
}

template <typename T>
char* put_value(char* o, T v, size_t width) {
    char digits[32];
    auto r = std::to_chars(digits, digits + sizeof digits, v);
    size_t len = static_cast<size_t>(r.ptr - digits);
    *o++ = ' ';
    if (len < width) {
        std::memset(o, ' ', width - len);
        o += width - len;
    }
    std::memcpy(o, digits, len);
    return o + len;
}

template <typename T, typename U>
char* put_all(char* o, const unsigned char* bytes, size_t n, bool big_endian, size_t width) {
    for (size_t i = 0; i + sizeof(U) <= n; i += sizeof(U))
        o = put_value(o, value_at<T, U>(bytes + i, big_endian), width);
    return o;
}

}  // namespace

char* format_numbers(char* o, const unsigned char* bytes, size_t n, const NumberColumns& c) {
    size_t w = number_width(c.type);
    bool be = c.big_endian;
    switch (c.type) {
        case NumberType::none: return o;
        case NumberType::u8: return put_all<uint8_t, uint8_t>(o, bytes, n, be, w);
        case NumberType::i8: return put_all<int8_t, uint8_t>(o, bytes, n, be, w);
        case NumberType::u16: return put_all<uint16_t, uint16_t>(o, bytes, n, be, w);
        case NumberType::i16: return put_all<int16_t, uint16_t>(o, bytes, n, be, w);
        case NumberType::u32: return put_all<uint32_t, uint32_t>(o, bytes, n, be, w);
        case NumberType::i32: return put_all<int32_t, uint32_t>(o, bytes, n, be, w);
        case NumberType::u64: return put_all<uint64_t, uint64_t>(o, bytes, n, be, w);
        case NumberType::i64: return put_all<int64_t, uint64_t>(o, bytes, n, be, w);
        case NumberType::f32: return put_all<float, uint32_t>(o, bytes, n, be, w);
        case NumberType::f64: return put_all<double, uint64_t>(o, bytes, n, be, w);
    }
    return o;
}

}  // namespace ptool
