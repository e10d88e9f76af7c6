// bufdump --as: a line's bytes read as numbers (u8 ... i64, f32, f64, little- or
// big-endian), written as columns after xxd's text column — the words view
// hexyl#104 asks for, which no peer offers alongside the hex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ptool {

enum class NumberType { none, u8, i8, u16, i16, u32, i32, u64, i64, f32, f64 };

struct NumberColumns {
    NumberType type = NumberType::none;
    bool big_endian = false;
};

// Bytes a value.
size_t number_size(NumberType t);
// Characters the widest value takes: values are right-aligned in it.
size_t number_width(NumberType t);
// The most characters format_numbers writes for `columns` bytes.
size_t numbers_length(const NumberColumns& c, size_t columns);
// Each whole value in bytes[0, n) as " " and the value right-aligned in its
// width; integers in decimal, floats as the shortest decimal that reads back
// to the same value (std::to_chars: "1.5", "1e+20", "-0", "inf", "nan").
// A part value at the end is left out. Returns the end of what was written.
char* format_numbers(char* out, const unsigned char* bytes, size_t n, const NumberColumns& c);

}  // namespace ptool
