// Durations, sizes, signals, users, groups and counts from text (parse.hpp).
#include "libcommon/core/parse.hpp"

#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <vector>

#include "libcommon/core/error.hpp"

namespace ptool {

namespace {

std::string quoted(std::string_view text) {
    return "'" + std::string(text) + "'";
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

struct SignalEntry {
    const char* name;
    int number;
};

constexpr std::array<SignalEntry, 31> kSignals{{
    {"HUP", SIGHUP},   {"INT", SIGINT},       {"QUIT", SIGQUIT}, {"ILL", SIGILL},
    {"TRAP", SIGTRAP}, {"ABRT", SIGABRT},     {"BUS", SIGBUS},   {"FPE", SIGFPE},
    {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV}, {"USR2", SIGUSR2},
    {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT},
    {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},
    {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},   {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH},
    {"IO", SIGIO},     {"PWR", SIGPWR},       {"SYS", SIGSYS},
}};

}  // namespace

std::optional<long long> parse_int(std::string_view text) {
    long long value = 0;
    const char* first = text.data();
    const char* last = text.data() + text.size();
    if (first != last && *first == '+') ++first;
    auto [ptr, ec] = std::from_chars(first, last, value);
    if (ec != std::errc() || ptr != last || first == last) return std::nullopt;
    return value;
}

uint64_t parse_count(std::string_view text, uint64_t max) {
    std::string shown =
        text.size() > 20 ? std::string(text.substr(0, 20)) + "..." : std::string(text);
    std::string range = "a number from 0 to " + std::to_string(max);
    auto fail = [](const std::string& why) { throw UsageError(why); };
    if (text.empty()) fail("expected " + range + ", not an empty value");
    if (text[0] == '-' && text.size() > 1 && std::isdigit(static_cast<unsigned char>(text[1])))
        fail("'" + shown + "' is negative (expected " + range + ")");
    uint64_t value = 0;
    bool too_large = false;
    for (char c : text) {
        if (c < '0' || c > '9') fail("'" + shown + "' is not " + range);
        unsigned digit = static_cast<unsigned>(c - '0');
        if (value > (UINT64_MAX - digit) / 10) {
            too_large = true;
        } else {
            value = value * 10 + digit;
        }
    }
    if (too_large || value > max)
        fail("'" + shown + "' is too large (at most " + std::to_string(max) + ")");
    return value;
}

Duration parse_duration(std::string_view text) {
    std::string_view number = text;
    size_t unit_at = 0;
    while (unit_at < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[unit_at])) || text[unit_at] == '.'))
        ++unit_at;
    number = text.substr(0, unit_at);
    std::string_view unit = text.substr(unit_at);
    double scale;  // nanoseconds per unit
    if (unit.empty() || unit == "s")
        scale = 1e9;
    else if (unit == "ms")
        scale = 1e6;
    else if (unit == "us")
        scale = 1e3;
    else if (unit == "ns")
        scale = 1;
    else if (unit == "m")
        scale = 60e9;
    else if (unit == "h")
        scale = 3600e9;
    else if (unit == "d")
        scale = 86400e9;
    else
        throw UsageError("invalid duration " + quoted(text) + " (use e.g. 250ms, 5s, 2m, 1h, 1.5)");
    if (number.empty() || number == ".")
        throw UsageError("invalid duration " + quoted(text) + " (use e.g. 250ms, 5s, 2m, 1h, 1.5)");
    double value = 0;
    auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (ec != std::errc() || ptr != number.data() + number.size() || !std::isfinite(value))
        throw UsageError("invalid duration " + quoted(text) + " (use e.g. 250ms, 5s, 2m, 1h, 1.5)");
    double ns = value * scale;
    if (ns > 9.2e18) throw UsageError("duration too large: " + quoted(text));
    return Duration(static_cast<int64_t>(std::llround(ns)));
}

uint64_t parse_size(std::string_view text) {
    size_t unit_at = 0;
    while (unit_at < text.size() && std::isdigit(static_cast<unsigned char>(text[unit_at])))
        ++unit_at;
    std::string_view number = text.substr(0, unit_at);
    std::string_view unit = text.substr(unit_at);
    auto bad = [&] {
        return UsageError("invalid size " + quoted(text) + " (use e.g. 4096, 64k, 1M, 2G)");
    };
    if (number.empty()) throw bad();
    unsigned shift = 0;
    if (!unit.empty()) {
        char u = static_cast<char>(std::toupper(static_cast<unsigned char>(unit[0])));
        std::string_view rest = unit.substr(1);
        if (u == 'B' && rest.empty())
            shift = 0;
        else {
            switch (u) {
                case 'K': shift = 10; break;
                case 'M': shift = 20; break;
                case 'G': shift = 30; break;
                case 'T': shift = 40; break;
                default: throw bad();
            }
            if (!rest.empty() && !iequals(rest, "iB") && !iequals(rest, "B")) throw bad();
        }
    }
    uint64_t value = 0;
    auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (ec != std::errc() || ptr != number.data() + number.size()) throw bad();
    if (shift && value > (UINT64_MAX >> shift)) throw UsageError("size too large: " + quoted(text));
    return value << shift;
}

int64_t parse_offset(std::string_view text) {
    bool negative = !text.empty() && text[0] == '-';
    if (!text.empty() && (text[0] == '-' || text[0] == '+')) text.remove_prefix(1);
    uint64_t magnitude = parse_size(text);
    if (magnitude > static_cast<uint64_t>(INT64_MAX)) throw UsageError("offset too large");
    return negative ? -static_cast<int64_t>(magnitude) : static_cast<int64_t>(magnitude);
}

int parse_signal(std::string_view text) {
    if (auto n = parse_int(text)) {
        if (*n >= 1 && *n <= SIGRTMAX) return static_cast<int>(*n);
        throw UsageError("invalid signal " + quoted(text));
    }
    std::string_view name = text;
    if (name.size() > 3 && iequals(name.substr(0, 3), "SIG")) name.remove_prefix(3);
    for (const auto& s : kSignals)
        if (iequals(name, s.name)) return s.number;
    if (iequals(name, "IOT")) return SIGABRT;
    if (iequals(name, "CLD")) return SIGCHLD;
    if (iequals(name, "POLL")) return SIGIO;
    auto rt = [&](std::string_view prefix, int base, int sign) -> std::optional<int> {
        if (name.size() < prefix.size() || !iequals(name.substr(0, prefix.size()), prefix))
            return std::nullopt;
        std::string_view rest = name.substr(prefix.size());
        if (rest.empty()) return base;
        if (rest[0] != (sign > 0 ? '+' : '-')) return std::nullopt;
        auto n = parse_int(rest.substr(1));
        if (!n || *n < 0) return std::nullopt;
        int v = base + sign * static_cast<int>(*n);
        if (v < SIGRTMIN || v > SIGRTMAX) return std::nullopt;
        return v;
    };
    if (auto v = rt("RTMIN", SIGRTMIN, +1)) return *v;
    if (auto v = rt("RTMAX", SIGRTMAX, -1)) return *v;
    throw UsageError("invalid signal " + quoted(text) + " (use e.g. TERM, SIGKILL or 9)");
}

std::string signal_short_name(int signo) {
    for (const auto& s : kSignals)
        if (s.number == signo) return s.name;
    if (signo >= SIGRTMIN && signo <= SIGRTMAX) {
        if (signo == SIGRTMIN) return "RTMIN";
        return "RTMIN+" + std::to_string(signo - SIGRTMIN);
    }
    return std::to_string(signo);
}

std::string signal_name(int signo) {
    return "SIG" + signal_short_name(signo);
}

namespace {

// Calls a getpw*_r/getgr*_r-style `fn(buf, size)` with a growing buffer until it fits;
// `fn` copies out what it needs, since the buffer dies here.
template <typename Fn>
void with_buffer(Fn&& fn) {
    long hint = ::sysconf(_SC_GETPW_R_SIZE_MAX);
    std::vector<char> buf(hint > 0 ? static_cast<size_t>(hint) : 16384);
    while (fn(buf.data(), buf.size()) == ERANGE) buf.resize(buf.size() * 2);
}

std::optional<UserInfo> passwd_by_name(const std::string& name) {
    std::optional<UserInfo> info;
    with_buffer([&](char* buf, size_t size) {
        passwd pw{}, *result = nullptr;
        int rc = ::getpwnam_r(name.c_str(), &pw, buf, size, &result);
        if (result) info = UserInfo{pw.pw_uid, pw.pw_gid, pw.pw_name, pw.pw_dir};
        return rc;
    });
    return info;
}

std::optional<UserInfo> passwd_by_uid(uid_t uid) {
    std::optional<UserInfo> info;
    with_buffer([&](char* buf, size_t size) {
        passwd pw{}, *result = nullptr;
        int rc = ::getpwuid_r(uid, &pw, buf, size, &result);
        if (result) info = UserInfo{pw.pw_uid, pw.pw_gid, pw.pw_name, pw.pw_dir};
        return rc;
    });
    return info;
}

}  // namespace

UserInfo lookup_user(std::string_view text) {
    if (auto info = passwd_by_name(std::string(text))) return *info;
    if (auto n = parse_int(text); n && *n >= 0 && *n < 0xffffffffLL) {
        uid_t uid = static_cast<uid_t>(*n);
        if (auto info = passwd_by_uid(uid)) return *info;
        return UserInfo{uid, static_cast<gid_t>(-1), "", "/"};
    }
    throw UsageError("unknown user " + quoted(text));
}

gid_t lookup_group(std::string_view text) {
    std::string name(text);
    std::optional<gid_t> gid;
    with_buffer([&](char* buf, size_t size) {
        group gr{}, *result = nullptr;
        int rc = ::getgrnam_r(name.c_str(), &gr, buf, size, &result);
        if (result) gid = gr.gr_gid;
        return rc;
    });
    if (gid) return *gid;
    if (auto n = parse_int(text); n && *n >= 0 && *n < 0xffffffffLL) return static_cast<gid_t>(*n);
    throw UsageError("unknown group " + quoted(text));
}

std::optional<std::string> user_name(uid_t uid) {
    if (auto info = passwd_by_uid(uid)) return info->name;
    return std::nullopt;
}

std::string format_duration(Duration d) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
    return ms % 1000 == 0 && ms > 0 ? std::to_string(ms / 1000) + "s" : std::to_string(ms) + "ms";
}

SpelledDuration parse_spelled_duration(std::string_view text) {
    Duration d = parse_duration(text);
    bool bare = !text.empty() &&
                (std::isdigit(static_cast<unsigned char>(text.back())) || text.back() == '.');
    return SpelledDuration(d, std::string(text) + (bare ? "s" : ""));
}

std::string format_duration(const SpelledDuration& d) {
    return d.spelling.empty() ? format_duration(static_cast<const Duration&>(d)) : d.spelling;
}

}  // namespace ptool
