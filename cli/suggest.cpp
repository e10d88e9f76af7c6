// Did-you-mean (cli/suggest.hpp): edit distance over the known names.
#include "cli/suggest.hpp"

#include <algorithm>
#include <cstdint>

namespace ptool::cli {

size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
    for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (size_t i = 1; i <= a.size(); ++i)
        for (size_t j = 1; j <= b.size(); ++j) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    return d[a.size()][b.size()];
}

std::string_view closest_name(std::string_view typed, const std::vector<std::string_view>& names) {
    std::string_view best;
    size_t best_distance = SIZE_MAX;
    for (std::string_view name : names) {
        size_t dist = edit_distance(typed, name);
        if (dist < best_distance) {
            best_distance = dist;
            best = name;
        }
    }
    if (best_distance <= std::max<size_t>(2, typed.size() / 3)) return best;
    std::string_view prefixed;
    for (std::string_view name : names) {
        if (typed.size() < 3 || !name.starts_with(typed)) continue;
        if (!prefixed.empty()) return {};  // ambiguous
        prefixed = name;
    }
    return prefixed;
}

}  // namespace ptool::cli
