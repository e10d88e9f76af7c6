// bufdump -r's parsers (xxd dumps, hex, base64, JSON Buffer) on arbitrary text:
// the first byte picks the parser and where the input is cut into two chunks,
// so carrying state across chunks is fuzzed too. A DecodeError is a fine
// outcome; a crash, a leak or undefined behaviour is not. Valid hex and base64
// must also decode to what re-encoding the result gives back. xxd dumps are
// read as xxd -r reads them (columns 1 to 32, from the first byte).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "libcommon/bytes/base64.hpp"
#include "libcommon/bytes/hex.hpp"
#include "libcommon/bytes/json_buffer.hpp"
#include "libcommon/bytes/text.hpp"
#include "libcommon/bytes/xxd.hpp"

namespace {

std::unique_ptr<ptool::ByteDecoder> make_decoder(unsigned which) {
    switch (which % 4) {
        case 0: return std::make_unique<ptool::XxdReverseDecoder>(1 + (which >> 2) % 32);
        case 1: return std::make_unique<ptool::HexDecoder>();
        case 2: return std::make_unique<ptool::Base64Decoder>();
        default: return std::make_unique<ptool::JsonBufferDecoder>();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    unsigned control = data[0];
    std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    size_t cut = text.empty() ? 0 : (control >> 2) % (text.size() + 1);
    auto decoder = make_decoder(control);
    std::string out;
    try {
        decoder->feed(text.substr(0, cut), out);
        decoder->feed(text.substr(cut), out);
        decoder->finish(out);
    } catch (const ptool::DecodeError& e) {
        if (e.line() == 0 || e.column() == 0) __builtin_trap();
        return 0;
    }
    // Whole-input decoding must agree with chunked decoding.
    auto whole = make_decoder(control);
    std::string again;
    whole->feed(text, again);
    whole->finish(again);
    if (again != out) __builtin_trap();
    // Text decodings of the result must not crash and must be valid UTF-8.
    std::string utf8 = ptool::utf8_lossy(out);
    if (ptool::utf8_lossy(utf8) != utf8) __builtin_trap();
    std::string u16;
    ptool::utf16le_to_utf8_append(u16, out);
    if (ptool::utf8_lossy(u16) != u16) __builtin_trap();
    std::string bytes;
    ptool::utf8_to_utf16le_append(bytes, utf8);
    ptool::utf8_to_latin1_append(bytes, utf8);
    return 0;
}
