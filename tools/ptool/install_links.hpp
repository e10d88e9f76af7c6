// `ptool --install DIR`: one symlink per subcommand in DIR, busybox-style. The links
// are relative to DIR (`spawn -> ptool`, `spawn -> ../../bin/ptool`), so a tree staged
// under DESTDIR or packaged stays correct wherever it is unpacked.
#pragma once

#include <filesystem>
#include <string>

namespace ptool {

// What a link in `dir` must hold to reach `binary`: the path relative to dir's real
// location (symlinks in dir's path resolved), or `binary` itself when none exists.
std::filesystem::path link_target_from(const std::filesystem::path& dir,
                                       const std::filesystem::path& binary);

// Makes DIR/NAME -> the running binary for every subcommand; `force` replaces what is
// there. Per-link problems are reported (Report) and make the status 1.
int install_links(const std::string& dir, bool force);

}  // namespace ptool
