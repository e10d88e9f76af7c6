// pstree --json and its --fields (json_tree.hpp).
#include "tools/pstree/json_tree.hpp"

#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstdio>

#include "libcommon/core/error.hpp"
#include "libcommon/core/json.hpp"
#include "libcommon/core/parse.hpp"

namespace ptool {

namespace {

bool has(JsonFields set, JsonField f) {
    return set & json_field_bit(f);
}

int64_t clock_ns(clockid_t clock) {
    struct timespec ts {};
    ::clock_gettime(clock, &ts);
    return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// The terminal's name as ps(1) shows it: pts/N, ttyN, ttySN, else the device's
// name in /sys/dev/char, else MAJOR:MINOR.
std::string tty_name(int tty_nr) {
    unsigned major = ::major(dev_t(unsigned(tty_nr)));
    unsigned minor = ::minor(dev_t(unsigned(tty_nr)));
    if (major >= 136 && major <= 143) return "pts/" + std::to_string(minor + (major - 136) * 256);
    if (major == 4 && minor < 64) return "tty" + std::to_string(minor);
    if (major == 4) return "ttyS" + std::to_string(minor - 64);
    std::string dev = std::to_string(major) + ":" + std::to_string(minor);
    char link[PATH_MAX];
    ssize_t n = ::readlink(("/sys/dev/char/" + dev).c_str(), link, sizeof link - 1);
    if (n <= 0) return dev;
    std::string_view target(link, size_t(n));
    return std::string(target.substr(target.rfind('/') + 1));
}

}  // namespace

JsonFields parse_json_fields(const std::vector<std::string>& words) {
    JsonFields set = 0;
    for (const std::string& word : words) {
        if (word == "all") {
            set |= kAllJsonFields;
            continue;
        }
        auto it = std::find(kJsonFieldNames.begin(), kJsonFieldNames.end(), word);
        if (it == kJsonFieldNames.end()) {
            std::string known;
            for (std::string_view name : kJsonFieldNames) known += std::string(name) + ", ";
            throw UsageError("--fields: unknown field '" + word + "' (" + known + "all)");
        }
        set |= 1u << unsigned(it - kJsonFieldNames.begin());
    }
    return set;
}

JsonTreeWriter::JsonTreeWriter(JsonFields fields, OutputBuffer& out) : fields_(fields), out_(out) {
    boot_realtime_ns_ = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
    if (long tck = ::sysconf(_SC_CLK_TCK); tck > 0) ticks_per_second_ = tck;
}

const std::string& JsonTreeWriter::user(uid_t uid) {
    auto [it, fresh] = users_.try_emplace(uid);
    if (fresh) it->second = user_name(uid).value_or(std::to_string(uid));
    return it->second;
}

const std::string& JsonTreeWriter::tty(int tty_nr) {
    auto [it, fresh] = ttys_.try_emplace(tty_nr);
    if (fresh) it->second = tty_name(tty_nr);
    return it->second;
}

void JsonTreeWriter::key(std::string_view name) {
    if (!first_) out_.put(',');
    first_ = false;
    out_.put('"');
    out_.write(name);
    out_.write("\":");
}

// Printable ASCII other than '"' and '\' needs no escape and is written as it
// is, as nlohmann writes it; anything else (escapes, UTF-8, invalid bytes) goes
// through the one serialisation, json_text.
void JsonTreeWriter::string(std::string_view text) {
    bool plain = std::all_of(text.begin(), text.end(),
                             [](char c) { return c >= ' ' && c <= '~' && c != '"' && c != '\\'; });
    if (!plain) {
        out_.write(json_text(Json(std::string(text))));
        return;
    }
    out_.put('"');
    out_.write(text);
    out_.put('"');
}

template <typename T>
void JsonTreeWriter::number(T value) {
    char* at = out_.reserve(24);
    auto [end, ec] = std::to_chars(at, at + 24, value);
    out_.commit(size_t(end - at));
}

// RFC 3339 in UTC with milliseconds: "2026-12-01T19:15:04.120Z".
void JsonTreeWriter::start_time(uint64_t ticks) {
    int64_t ns = boot_realtime_ns_ + int64_t(ticks) * (1'000'000'000 / ticks_per_second_);
    int64_t second = ns / 1'000'000'000;
    if (second != cached_second_) {
        time_t seconds = time_t(second);
        struct tm tm {};
        ::gmtime_r(&seconds, &tm);
        char text[40];
        size_t n = ::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
        cached_text_.assign(text, n);
        cached_second_ = second;
    }
    char millis[16];
    std::snprintf(millis, sizeof millis, ".%03dZ\"", int(ns / 1'000'000 % 1000));
    out_.put('"');
    out_.write(cached_text_);
    out_.write(millis);
}

void JsonTreeWriter::write_tree(const ProcNode* node) {
    const ProcessInfo* info = node->info && !node->thread ? node->info : nullptr;
    out_.put('{');
    first_ = true;
    if (has(fields_, JsonField::pid)) number_field("pid", node->pid);
    if (has(fields_, JsonField::ppid)) number_field("ppid", info ? info->ppid : 0);
    if (has(fields_, JsonField::name)) string_field("name", node->comm);
    if (has(fields_, JsonField::cmdline)) {
        key("cmdline");
        out_.put('[');
        if (info && info->cmdline) {
            std::string_view rest = *info->cmdline;
            for (bool first = true; !rest.empty(); first = false) {
                size_t end = std::min(rest.find('\0'), rest.size());
                if (!first) out_.put(',');
                string(rest.substr(0, end));
                rest.remove_prefix(std::min(end + 1, rest.size()));
            }
        }
        out_.put(']');
    }
    if (has(fields_, JsonField::user)) string_field("user", user(node->uid));
    if (has(fields_, JsonField::state))
        string_field("state", std::string_view(info ? &info->state : "?", 1));
    if (has(fields_, JsonField::threads)) {
        key("threads");
        out_.put('[');
        if (info)
            for (size_t i = 0; i < info->threads.size(); ++i) {
                if (i) out_.put(',');
                out_.write("{\"tid\":");
                number(info->threads[i].tid);
                out_.write(",\"name\":");
                string(info->threads[i].name);
                out_.put('}');
            }
        out_.put(']');
    }
    if (has(fields_, JsonField::pgid)) number_field("pgid", info ? info->pgid : 0);
    if (has(fields_, JsonField::sid)) number_field("sid", info ? info->sid : 0);
    if (has(fields_, JsonField::uid)) number_field("uid", node->uid);
    if (has(fields_, JsonField::tty)) {
        key("tty");
        if (info && info->tty_nr)
            string(tty(info->tty_nr));
        else
            out_.write("null");
    }
    if (has(fields_, JsonField::start_time)) {
        key("start_time");
        if (info)
            start_time(info->start_time);
        else
            out_.write("null");
    }
    if (has(fields_, JsonField::rss_kb)) number_field("rss_kb", info ? info->rss_kb : 0);
    if (has(fields_, JsonField::cpu_ms))
        number_field("cpu_ms", info ? info->cpu_ticks * 1000 / uint64_t(ticks_per_second_) : 0);
    if (has(fields_, JsonField::namespaces)) {
        key("namespaces");
        out_.put('{');
        for (size_t type = 0; type < kNamespaceTypes; ++type) {
            if (type) out_.put(',');
            out_.put('"');
            out_.write(kNamespaceNames[type]);
            out_.write("\":");
            if (uint64_t inode = node_namespace(node, type))
                number(inode);
            else
                out_.write("null");
        }
        out_.put('}');
    }
    key("children");
    out_.put('[');
    bool first_child = true;
    for (const ProcNode* child : node->children) {
        if (child->thread) continue;
        if (!first_child) out_.put(',');
        first_child = false;
        write_tree(child);
    }
    out_.write("]}");
}

}  // namespace ptool
