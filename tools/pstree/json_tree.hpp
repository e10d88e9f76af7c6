// pstree --json: the tree as nested objects, one per process, with the fields
// --fields chooses (ops want groups, sessions, owners, terminals, start times,
// memory, CPU and namespaces beside the tree). Everything comes from what the
// table read once per process; nothing here touches /proc but for tty names.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "libcommon/core/json.hpp"
#include "tools/pstree/proctree.hpp"

namespace ptool {

// In output order; `children` always follows them.
enum class JsonField : unsigned {
    pid,
    ppid,
    name,
    cmdline,
    user,
    state,
    threads,
    pgid,
    sid,
    uid,
    tty,
    start_time,
    rss_kb,
    cpu_ms,
    namespaces,
    count
};
inline constexpr std::array<std::string_view, size_t(JsonField::count)> kJsonFieldNames{
    "pid", "ppid", "name", "cmdline",    "user",   "state",  "threads",   "pgid",
    "sid", "uid",  "tty",  "start_time", "rss_kb", "cpu_ms", "namespaces"};

// A set of fields, one bit per JsonField.
using JsonFields = unsigned;
inline constexpr JsonFields json_field_bit(JsonField f) {
    return 1u << unsigned(f);
}
// --json without --fields: the keys it always had.
inline constexpr JsonFields kDefaultJsonFields = (1u << unsigned(JsonField::pgid)) - 1;
inline constexpr JsonFields kAllJsonFields = (1u << unsigned(JsonField::count)) - 1;

// "pid,tty,..." or "all"; throws UsageError naming an unknown field.
JsonFields parse_json_fields(const std::vector<std::string>& words);

// What the conversion needs beside the tree: the fields, the clock to turn boot
// ticks into wall time, and caches of user and terminal names.
class JsonTreeWriter {
public:
    explicit JsonTreeWriter(JsonFields fields);
    Json tree(const ProcNode* node);

private:
    const std::string& user(uid_t uid);
    const std::string& tty(int tty_nr);
    std::string start_time(uint64_t ticks) const;

    JsonFields fields_;
    int64_t boot_realtime_ns_ = 0;  // the wall clock at boot (CLOCK_REALTIME - CLOCK_BOOTTIME)
    long ticks_per_second_ = 100;
    std::map<uid_t, std::string> users_;
    std::map<int, std::string> ttys_;
};

}  // namespace ptool
