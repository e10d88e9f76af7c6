// libFuzzer target for the --check line parser (libcommon/checksum): every split of the
// input into lines, with and without a forced algorithm, and the name quoting/escaping
// applied to whatever file name comes out. Crashes found here become unit regressions
// in tests/unit/checksum.cpp.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tools/hashfile/checksum.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    // The first byte picks a forced algorithm (or none), as -a would.
    std::optional<ptool::DigestAlgo> forced;
    if (!text.empty()) {
        auto algos = ptool::digest_algos();
        size_t pick = static_cast<unsigned char>(text[0]) % (algos.size() + 1);
        if (pick < algos.size()) forced = algos[pick].algo;
        text.remove_prefix(1);
    }
    ptool::CheckLineParser parser(forced);
    for (size_t pos = 0; pos < text.size();) {
        size_t end = text.find('\n', pos);
        end = end == std::string_view::npos ? text.size() : end + 1;
        auto body = ptool::check_line_body(text.substr(pos, end - pos));
        pos = end;
        if (!body) continue;
        auto entry = parser.parse(*body);
        if (!entry) continue;
        const auto& info = ptool::digest_info(entry->algo);
        if (entry->hex.size() != (entry->length ? entry->length : info.size) * 2) __builtin_trap();
        std::string out;
        ptool::append_checksum_line(out, info, entry->hex, entry->file, false, '\n');
        (void)ptool::quote_name(entry->file);
    }
    return 0;
}
