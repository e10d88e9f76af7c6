// The wrapped hex/base64 text writer (encoded_text.hpp): whole lines straight
// into the output buffer when a line holds whole groups, else encode and cut.
#include "libcommon/bytes/encoded_text.hpp"

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "libcommon/bytes/base64.hpp"
#include "libcommon/bytes/hex.hpp"

namespace ptool {

void EncodedTextWriter::emit(const char* text, size_t n) {
    if (wrap_ == 0) {
        out_.write(std::string_view(text, n));
        return;
    }
    while (n > 0) {
        size_t take = std::min(n, wrap_ - column_);
        out_.write(std::string_view(text, take));
        text += take;
        n -= take;
        column_ += take;
        if (column_ == wrap_) {
            out_.put('\n');
            column_ = 0;
        }
    }
}

void EncodedTextWriter::write(std::string_view bytes) {
    constexpr size_t kBlock = 48 * 1024;  // a multiple of 3
    bool hex = form_ == Form::hex;
    bool url = form_ == Form::base64url;
    // Bytes -> text; `n` is a whole number of base64 groups unless it is the end.
    auto encode = [&](char* o, const char* p, size_t n) {
        auto* u = reinterpret_cast<const unsigned char*>(p);
        return hex ? hex_encode_to(o, u, n, upper_) : base64_encode_to(o, u, n, url);
    };
    if (!pending_.empty()) {
        size_t take = std::min(bytes.size(), 3 - pending_.size());
        pending_.append(bytes.substr(0, take));
        bytes.remove_prefix(take);
        if (pending_.size() < 3) return;
        char quad[4];
        emit(quad, static_cast<size_t>(encode(quad, pending_.data(), 3) - quad));
        pending_.clear();
    }
    // Whole lines straight into the output buffer when lines hold whole groups.
    size_t chars_per_group = hex ? 2 : 4, bytes_per_group = hex ? 1 : 3;
    if (wrap_ > 0 && wrap_ % chars_per_group == 0 && column_ % chars_per_group == 0) {
        size_t line_bytes = wrap_ / chars_per_group * bytes_per_group;
        if (column_ > 0) {
            size_t take =
                std::min(bytes.size(), (wrap_ - column_) / chars_per_group * bytes_per_group);
            take -= take % bytes_per_group;
            scratch_.resize(take / bytes_per_group * chars_per_group);
            encode(scratch_.data(), bytes.data(), take);
            emit(scratch_.data(), scratch_.size());
            bytes.remove_prefix(take);
        }
        if (column_ == 0 && wrap_ < out_.capacity()) {
            // Many lines a call, so the vector encoders run on without a scalar
            // tail each line; then each line is copied out with its newline.
            auto copy_lines = [&](auto width, size_t lines) {
                for (size_t k = 0; k < lines; ++k) {
                    char* o = out_.reserve(width + 1);
                    std::memcpy(o, scratch_.data() + k * width, width);
                    o[width] = '\n';
                    out_.commit(width + 1);
                }
            };
            while (bytes.size() >= line_bytes) {
                size_t lines = std::min<size_t>(bytes.size() / line_bytes, 64);
                scratch_.resize(lines * wrap_);
                encode(scratch_.data(), bytes.data(), lines * line_bytes);
                if (wrap_ == 76) {
                    copy_lines(std::integral_constant<size_t, 76>(), lines);  // base64's default
                } else {
                    copy_lines(wrap_, lines);
                }
                bytes.remove_prefix(lines * line_bytes);
            }
        }
    }
    while (bytes.size() >= bytes_per_group) {
        size_t take = std::min(bytes.size() - bytes.size() % bytes_per_group, kBlock);
        scratch_.resize(take / bytes_per_group * chars_per_group);
        encode(scratch_.data(), bytes.data(), take);
        emit(scratch_.data(), scratch_.size());
        bytes.remove_prefix(take);
    }
    pending_.assign(bytes);
}

void EncodedTextWriter::finish() {
    if (!pending_.empty()) {
        char quad[4];
        char* end = base64_encode_to(quad, reinterpret_cast<const unsigned char*>(pending_.data()),
                                     pending_.size(), form_ == Form::base64url);
        emit(quad, static_cast<size_t>(end - quad));
        pending_.clear();
    }
    if (wrap_ != 0 && (column_ != 0 || wrap_ == kOneLine)) {  // xxd -p -c0: "\n" for nothing
        out_.put('\n');
        column_ = 0;
    }
}

}  // namespace ptool
