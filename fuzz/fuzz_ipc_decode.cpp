// libFuzzer target for the IPC boundary (libcommon/launch/ipc, libcommon/core/json_text): the
// input is a byte stream on a channel, split by LineBuffer (the first byte picks a
// --max-message from 1 to 256 bytes, or the default) and each line decoded as the
// master, spawn --ipc and the control socket decode it. Nothing may throw or crash;
// an accepted message must survive dump() and parse back to itself.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "libcommon/core/json.hpp"
#include "libcommon/core/json_text.hpp"
#include "libcommon/launch/ipc.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    size_t max = ptool::kDefaultMaxMessage;
    if (!text.empty()) {
        unsigned pick = static_cast<unsigned char>(text[0]);
        if (pick != 0) max = pick;
        text.remove_prefix(1);
    }
    auto pair = ptool::make_ipc_pair();
    ptool::IpcChannel channel(std::move(pair.parent));
    ptool::LineBuffer lines(max);
    auto on_line = [&](std::string_view line, uint64_t, size_t dropped) {
        if (dropped > 0 && (dropped <= max || !line.empty())) __builtin_trap();
        if (dropped == 0 && line.size() > max) __builtin_trap();
        ptool::IpcMessage m;
        m.text.assign(line);
        if (dropped > 0) m.error = ptool::too_large_message(dropped, max);
        ptool::IpcDecoded d = channel.decode(std::move(m));  // noexcept in effect
        if (d.kind == ptool::IpcDecoded::Kind::invalid) {
            if (d.error.empty() || d.error.find("json.exception") != std::string::npos)
                __builtin_trap();
            return;
        }
        std::string dumped = ptool::json_text(d.data);
        auto again = ptool::parse_json_text(dumped);
        if (!again || *again.value != d.data) __builtin_trap();
    };
    // Feed in uneven pieces, as reads would deliver them.
    for (size_t pos = 0, step = 1; pos < text.size(); pos += step, step = step * 3 % 17 + 1)
        lines.feed(text.substr(pos, step), on_line);
    lines.finish(on_line);
    return 0;
}
