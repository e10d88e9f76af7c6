#include "tools/registry.hpp"

#include <algorithm>
#include <array>

namespace ptool {

namespace {

// Keep sorted by name; a subcommand not built yet is simply absent.
constexpr std::array<ToolEntry, 0> kTools = {

};

}  // namespace

std::span<const ToolEntry> tool_table() { return kTools; }

const ToolEntry* find_tool(std::string_view name) {
    auto it = std::find_if(kTools.begin(), kTools.end(),
                           [&](const ToolEntry& t) { return t.name == name; });
    return it == kTools.end() ? nullptr : &*it;
}

}  // namespace ptool
