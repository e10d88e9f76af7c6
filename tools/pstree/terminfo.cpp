// The terminal's bold sequences from libtinfo, loaded on demand (terminfo.hpp).
#include "tools/pstree/terminfo.hpp"

#include <dlfcn.h>

namespace ptool {

namespace {

std::string* tputs_sink = nullptr;

int collect_char(int c) {
    tputs_sink->push_back(static_cast<char>(c));
    return c;
}

}  // namespace

std::optional<std::pair<std::string, std::string>> terminal_bold(const char* term) {
    if (!term || !*term) return std::nullopt;
    void* lib = ::dlopen("libtinfo.so.6", RTLD_NOW | RTLD_LOCAL);
    if (!lib) lib = ::dlopen("libncurses.so.6", RTLD_NOW | RTLD_LOCAL);
    if (!lib) return std::nullopt;
    using TgetentFn = int (*)(char*, const char*);
    using TgetstrFn = char* (*)(const char*, char**);
    using TputsFn = int (*)(const char*, int, int (*)(int));
    auto tgetent = reinterpret_cast<TgetentFn>(::dlsym(lib, "tgetent"));
    auto tgetstr = reinterpret_cast<TgetstrFn>(::dlsym(lib, "tgetstr"));
    auto tputs = reinterpret_cast<TputsFn>(::dlsym(lib, "tputs"));
    if (!tgetent || !tgetstr || !tputs) return std::nullopt;
    char area[1024];
    if (tgetent(area, term) <= 0) return std::nullopt;
    std::pair<std::string, std::string> result;
    auto expand = [&](const char* cap, std::string& out) {
        const char* s = tgetstr(cap, nullptr);
        if (!s || s == reinterpret_cast<const char*>(-1)) return;
        tputs_sink = &out;
        tputs(s, 1, collect_char);
        tputs_sink = nullptr;
    };
    expand("md", result.first);
    expand("me", result.second);
    return result;  // the library stays loaded: ncurses keeps state behind these calls
}

}  // namespace ptool
