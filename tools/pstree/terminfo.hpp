// The terminal's own bold on/off sequences, as termcap's "md"/"me" give them
// (pstree -H). libtinfo is loaded only when asked, so start-up pays nothing
// for a feature most runs never use, and the bytes are exactly what ncurses
// programs such as psmisc print (ncurses trims sgr0 into "me" its own way).
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace ptool {

// {bold, normal} for terminal type `term`; nullopt when the terminal is
// unknown or libtinfo is missing. Padding ($<..>) is applied as tputs does.
std::optional<std::pair<std::string, std::string>> terminal_bold(const char* term);

}  // namespace ptool
