// Did-you-mean for mistyped names, as git and ripgrep offer: the closest of the known
// names by edit distance, used for commands (ptool hsahfile) and options (--recursve).
#pragma once

#include <string_view>
#include <vector>

namespace ptool::cli {

// Optimal string alignment distance: a transposition ("hsahfile") costs one edit.
size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest `typed` when it is near enough to be a typo (at most
// max(2, len/3) edits), or the one candidate `typed` abbreviates; empty otherwise.
std::string_view closest_name(std::string_view typed, const std::vector<std::string_view>& names);

}  // namespace ptool::cli
