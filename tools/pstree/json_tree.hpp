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

#include "libcommon/core/output.hpp"
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

// Writes the tree as JSON straight into the output, byte for byte what
// nlohmann's compact dump of the same objects gives (keys in JsonField order,
// invalid UTF-8 replaced by U+FFFD) without building an object per process.
// Beside the tree it needs the fields, the clock to turn boot ticks into wall
// time, and caches of user and terminal names.
class JsonTreeWriter {
public:
    JsonTreeWriter(JsonFields fields, OutputBuffer& out);
    // `node` and its process descendants as one object, no line end.
    void write_tree(const ProcNode* node);

private:
    const std::string& user(uid_t uid);
    const std::string& tty(int tty_nr);
    void start_time(uint64_t ticks);
    void key(std::string_view name);
    void string(std::string_view text);
    template <typename T>
    void number(T value);
    void string_field(std::string_view name, std::string_view text) {
        key(name);
        string(text);
    }
    template <typename T>
    void number_field(std::string_view name, T value) {
        key(name);
        number(value);
    }

    JsonFields fields_;
    OutputBuffer& out_;
    bool first_ = true;             // no key written yet in the current object
    int64_t boot_realtime_ns_ = 0;  // the wall clock at boot (CLOCK_REALTIME - CLOCK_BOOTTIME)
    long ticks_per_second_ = 100;
    std::map<uid_t, std::string> users_;
    std::map<int, std::string> ttys_;
    // start_time: the last second formatted, "YYYY-MM-DDTHH:MM:SS" (processes
    // started together share it)
    int64_t cached_second_ = -1;
    std::string cached_text_;
};

}  // namespace ptool
