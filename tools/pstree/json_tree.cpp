// pstree --json and its --fields (json_tree.hpp).
#include "tools/pstree/json_tree.hpp"

#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <climits>

#include "libcommon/core/error.hpp"
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

JsonTreeWriter::JsonTreeWriter(JsonFields fields) : fields_(fields) {
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

// RFC 3339 in UTC with milliseconds: 2026-12-01T19:15:04.120Z.
std::string JsonTreeWriter::start_time(uint64_t ticks) const {
    int64_t ns = boot_realtime_ns_ + int64_t(ticks) * (1'000'000'000 / ticks_per_second_);
    time_t seconds = time_t(ns / 1'000'000'000);
    struct tm tm {};
    ::gmtime_r(&seconds, &tm);
    char text[40];
    size_t n = ::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(text + n, sizeof text - n, ".%03dZ", int(ns / 1'000'000 % 1000));
    return text;
}

Json JsonTreeWriter::tree(const ProcNode* node) {
    Json j;
    const ProcessInfo* info = node->info && !node->thread ? node->info : nullptr;
    if (has(fields_, JsonField::pid)) j["pid"] = node->pid;
    if (has(fields_, JsonField::ppid)) j["ppid"] = info ? info->ppid : 0;
    if (has(fields_, JsonField::name)) j["name"] = node->comm;
    if (has(fields_, JsonField::cmdline)) {
        auto& cmdline = j["cmdline"] = Json::array();
        if (info && info->cmdline) {
            std::string_view rest = *info->cmdline;
            while (!rest.empty()) {
                size_t end = std::min(rest.find('\0'), rest.size());
                cmdline.push_back(std::string(rest.substr(0, end)));
                rest.remove_prefix(std::min(end + 1, rest.size()));
            }
        }
    }
    if (has(fields_, JsonField::user)) j["user"] = user(node->uid);
    if (has(fields_, JsonField::state)) j["state"] = std::string(1, info ? info->state : '?');
    if (has(fields_, JsonField::threads)) {
        auto& threads = j["threads"] = Json::array();
        if (info)
            for (const ThreadInfo& thread : info->threads)
                threads.push_back({{"tid", thread.tid}, {"name", thread.name}});
    }
    if (has(fields_, JsonField::pgid)) j["pgid"] = info ? info->pgid : 0;
    if (has(fields_, JsonField::sid)) j["sid"] = info ? info->sid : 0;
    if (has(fields_, JsonField::uid)) j["uid"] = node->uid;
    if (has(fields_, JsonField::tty))
        j["tty"] = info && info->tty_nr ? Json(tty(info->tty_nr)) : Json();
    if (has(fields_, JsonField::start_time))
        j["start_time"] = info ? Json(start_time(info->start_time)) : Json();
    if (has(fields_, JsonField::rss_kb)) j["rss_kb"] = info ? info->rss_kb : 0;
    if (has(fields_, JsonField::cpu_ms))
        j["cpu_ms"] = info ? info->cpu_ticks * 1000 / uint64_t(ticks_per_second_) : 0;
    if (has(fields_, JsonField::namespaces)) {
        auto& ns = j["namespaces"] = Json::object();
        for (size_t type = 0; type < kNamespaceTypes; ++type) {
            uint64_t inode = node_namespace(node, type);
            ns[std::string(kNamespaceNames[type])] = inode ? Json(inode) : Json();
        }
    }
    auto& children = j["children"] = Json::array();
    for (const ProcNode* child : node->children)
        if (!child->thread) children.push_back(tree(child));
    return j;
}

}  // namespace ptool
