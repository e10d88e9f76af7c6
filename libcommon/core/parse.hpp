// Parsers for the values every subcommand takes (man ptool(1), CONVENTIONS):
// durations, sizes, signal names, users and groups. Each throws UsageError
// with a message naming the bad text and the reason, never an option: the option
// layer (cli/options.hpp) puts the option's name in front.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ptool {

using Duration = std::chrono::nanoseconds;

// "250ms", "5s", "2m", "1h", "1.5" (seconds), also "100us", "1d". Negative is an error.
Duration parse_duration(std::string_view text);
// The other way, for computed durations in messages: "5s" for whole seconds, else "250ms".
std::string format_duration(Duration d);

// A configured duration: its value (it is a Duration) and its spelling, so that every
// message names it as the user typed it ("1.5s", "90s", not "1500ms"). A default has
// no spelling and prints by the rule above.
struct SpelledDuration : Duration {
    SpelledDuration() = default;
    // Explicit: format_duration(5s) is the plain one, not this type's.
    template <class Rep, class Period>
    constexpr explicit SpelledDuration(std::chrono::duration<Rep, Period> d)
        : Duration(std::chrono::duration_cast<Duration>(d)) {}
    SpelledDuration(Duration d, std::string typed) : Duration(d), spelling(std::move(typed)) {}
    std::string spelling;  // as typed, a bare number with its "s"; empty: not typed
};
// parse_duration keeping the text: "1.5s" -> 1.5 s spelled "1.5s"; "2" -> "2s".
SpelledDuration parse_spelled_duration(std::string_view text);
// The spelling, or format_duration's for a default.
std::string format_duration(const SpelledDuration& d);
// "4096", "64k", "1M", "2G", "1T" (powers of 1024; "K"/"KiB"/"KB" accepted alike).
uint64_t parse_size(std::string_view text);
// A signed size for offsets ("-64k"): as parse_size with an optional sign.
int64_t parse_offset(std::string_view text);
// "TERM", "SIGTERM", "sigterm", "15" -> 15. Real-time "RTMIN+3" too.
int parse_signal(std::string_view text);
// 15 -> "SIGTERM"; unknown numbers -> "SIG<n>".
std::string signal_name(int signo);
// Same without the "SIG" prefix: "TERM".
std::string signal_short_name(int signo);

struct UserInfo {
    uid_t uid;
    gid_t gid;  // the primary group
    std::string name;
    std::string home;
};
// A user name or number; a number with no passwd entry gives name="" and gid=-1.
UserInfo lookup_user(std::string_view text);
// A group name or number.
gid_t lookup_group(std::string_view text);
// The user name for a uid, or nullopt.
std::optional<std::string> user_name(uid_t uid);

// Strict whole-string integer parse; nullopt on any junk or overflow.
std::optional<long long> parse_int(std::string_view text);
// A count: decimal digits only (so "010" is 10, as base64 -w reads it), from 0 to
// `max`. Otherwise a one-line UsageError that quotes at most the first 20
// characters of the text.
uint64_t parse_count(std::string_view text, uint64_t max);

}  // namespace ptool
