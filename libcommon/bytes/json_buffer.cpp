// Node's Buffer as JSON: JSON.stringify(buffer) written from a table of
// ",NNN" texts, and the streaming reader of that form (or a bare array of
// byte values), a small state machine over tokens with their positions.
#include "libcommon/bytes/json_buffer.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace ptool {

void JsonBufferDecoder::fail(std::string why) const {
    throw DecodeError(std::move(why), token_line_, token_column_);
}

void JsonBufferDecoder::feed(std::string_view text, std::string& out) {
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        if (in_string_) {
            if (c == '"') {
                in_string_ = false;
                on_token('"', out);
            } else if (c == '\\' || c < 0x20) {
                token_line_ = line_;
                token_column_ = column_;
                fail(c == '\\' ? "escapes are not expected in a Buffer's JSON"
                               : "control character in a JSON string");
            } else if (token_.size() < 64) {
                token_.push_back(ch);
            }
        } else if (c >= '0' && c <= '9') {
            if (!in_number_) {
                in_number_ = true;
                number_ = 0;
                digits_ = 0;
                token_line_ = line_;
                token_column_ = column_;
            } else if (number_ == 0) {
                fail("leading zero in a JSON number");
            }
            number_ = number_ * 10 + (c - '0');
            if (++digits_ > 3 || number_ > 255) fail("byte value out of range 0..255");
        } else {
            if (in_number_) {
                in_number_ = false;
                on_token('0', out);
            }
            token_line_ = line_;
            token_column_ = column_;
            switch (c) {
                case ' ':
                case '\t':
                case '\r':
                case '\n': break;
                case '"':
                    in_string_ = true;
                    token_.clear();
                    break;
                case '{':
                case '}':
                case '[':
                case ']':
                case ':':
                case ',': on_token(ch, out); break;
                case '-':
                case '.':
                case 'e':
                case 'E':
                case '+': fail("byte values must be integers 0..255");
                default: fail(describe_invalid_char(c, "JSON"));
            }
        }
        if (c == '\n') {
            ++line_;
            column_ = 1;
        } else {
            ++column_;
        }
    }
}

void JsonBufferDecoder::on_token(char kind, std::string& out) {
    auto unexpected = [&]() -> void {
        switch (kind) {
            case '"': fail("unexpected string");
            case '0': fail("unexpected number");
            default: fail(std::string("unexpected '") + kind + "'");
        }
    };
    switch (state_) {
        case State::start:
            if (kind == '{') {
                in_object_ = true;
                state_ = State::object_first;
            } else if (kind == '[') {
                state_ = State::array_first;
            } else {
                unexpected();
            }
            break;
        case State::object_first:
        case State::key:
            if (kind != '"') unexpected();
            key_ = token_;
            if (key_ != "type" && key_ != "data")
                fail("unexpected key \"" + key_ + "\" in a Buffer's JSON");
            state_ = State::colon;
            break;
        case State::colon:
            if (kind != ':') unexpected();
            state_ = key_ == "type" ? State::type_value : State::data_open;
            break;
        case State::type_value:
            if (kind != '"' || token_ != "Buffer") fail("\"type\" must be \"Buffer\"");
            state_ = State::object_after;
            break;
        case State::data_open:
            if (kind != '[') unexpected();
            if (has_data_) fail("duplicate \"data\"");
            state_ = State::array_first;
            break;
        case State::array_first:
        case State::array_item:
            if (kind == '0') {
                out.push_back(static_cast<char>(number_));
                state_ = State::array_after;
            } else if (kind == ']' && state_ == State::array_first) {
                has_data_ = true;
                state_ = in_object_ ? State::object_after : State::done;
            } else {
                unexpected();
            }
            break;
        case State::array_after:
            if (kind == ',') {
                state_ = State::array_item;
            } else if (kind == ']') {
                has_data_ = true;
                state_ = in_object_ ? State::object_after : State::done;
            } else {
                unexpected();
            }
            break;
        case State::object_after:
            if (kind == ',') {
                state_ = State::key;
            } else if (kind == '}') {
                if (!has_data_) fail("no \"data\" in a Buffer's JSON");
                state_ = State::done;
            } else {
                unexpected();
            }
            break;
        case State::done: fail("data after the end of the JSON value");
    }
}

void JsonBufferDecoder::finish(std::string& out) {
    if (in_number_) {
        in_number_ = false;
        on_token('0', out);
    }
    if (in_string_ || state_ != State::done) {
        token_line_ = line_;
        token_column_ = column_;
        fail("unexpected end of JSON input");
    }
}

namespace {

// Decimal text of every byte value with a leading comma: ",255".
struct Decimal {
    char text[4];
    unsigned char len;
};
constexpr std::array<Decimal, 256> make_decimals() {
    std::array<Decimal, 256> t{};
    for (int b = 0; b < 256; ++b) {
        Decimal d{{',', 0, 0, 0}, 1};
        if (b >= 100) d.text[d.len++] = static_cast<char>('0' + b / 100);
        if (b >= 10) d.text[d.len++] = static_cast<char>('0' + b / 10 % 10);
        d.text[d.len++] = static_cast<char>('0' + b % 10);
        t[b] = d;
    }
    return t;
}
constexpr auto kDecimals = make_decimals();

}  // namespace

void JsonBufferWriter::write(std::string_view bytes) {
    if (bytes.empty()) return;
    size_t i = 0;
    if (!started_) {
        out_.write("{\"type\":\"Buffer\",\"data\":[");
        const Decimal& d = kDecimals[static_cast<unsigned char>(bytes[0])];
        out_.write(std::string_view(d.text + 1, d.len - 1u));
        started_ = true;
        i = 1;
    }
    while (i < bytes.size()) {
        size_t take = std::min<size_t>(bytes.size() - i, 8192);
        char* o = out_.reserve(take * 4);
        char* start = o;
        for (size_t k = 0; k < take; ++k) {
            const Decimal& d = kDecimals[static_cast<unsigned char>(bytes[i + k])];
            std::memcpy(o, d.text, 4);
            o += d.len;
        }
        out_.commit(static_cast<size_t>(o - start));
        i += take;
    }
}

void JsonBufferWriter::finish() {
    out_.write(started_ ? "]}\n" : "{\"type\":\"Buffer\",\"data\":[]}\n");
}

}  // namespace ptool
