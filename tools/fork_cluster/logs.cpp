// fork-cluster's worker logs (logs.hpp): reading the pipes on the loop (a budget per
// turn, so a flooding worker takes its share and no more), tagging lines, the sinks'
// rotation and reopening, and the master's own log under --log-dir.
#include "tools/fork_cluster/logs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>

#include "libcommon/core/error.hpp"
#include "libcommon/core/safe_open.hpp"
#include "tools/fork_cluster/master.hpp"

namespace ptool {

namespace {

constexpr size_t kReadBudget = 64 * 1024;    // per pipe and loop turn
constexpr size_t kMaxLine = 16 * 1024;       // a longer line is cut into pieces this long
constexpr size_t kSinkBuffer = 1024 * 1024;  // per sink, then lines are dropped
constexpr auto kDropReportEvery = std::chrono::seconds(1);

std::string drop_notice(size_t dropped) {
    return program_name() + ": " + std::to_string(dropped) +
           " log lines dropped: the log could not keep up\n";
}

}  // namespace

std::string utc_time_ms(std::chrono::system_clock::time_point t) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    time_t secs = static_cast<time_t>(ms / 1000);
    tm utc{};
    ::gmtime_r(&secs, &utc);
    char buf[96];  // room for any int fields, as the compiler counts
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                  utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                  static_cast<int>(ms % 1000));
    return buf;
}

LogSink::LogSink(std::string path, const LogConfig& config)
    : path_(std::move(path)), config_(config) {
    open();
}

LogSink::LogSink(std::string path, const LogConfig& config, UniqueFd open_fd)
    : path_(std::move(path)), config_(config), fd_(std::move(open_fd)) {
    struct stat st {};
    if (::fstat(fd_.get(), &st) == 0) size_ = static_cast<uint64_t>(st.st_size);
    writer_ = std::make_unique<EventWriter>(fd_.get(), kSinkBuffer, drop_notice);
}

void LogSink::open() {
    if (writer_) dropped_before_ += writer_->dropped_total();
    writer_.reset();
    if (path_.empty()) {
        writer_ = std::make_unique<EventWriter>(STDERR_FILENO, kSinkBuffer, drop_notice);
        return;
    }
    SafeFile f = safe_open(path_, O_WRONLY | O_CREAT | O_APPEND, 0640);
    size_ = static_cast<uint64_t>(f.st.st_size);
    fd_ = std::move(f.fd);
    writer_ = std::make_unique<EventWriter>(fd_.get(), kSinkBuffer, drop_notice);
}

void LogSink::reopen() {
    if (path_.empty()) return;
    writer_->flush();
    open();
}

// FILE -> FILE.1 -> ... -> FILE.keep (the oldest goes); keep 0: FILE starts empty.
void LogSink::rotate() {
    writer_->flush();
    if (config_.keep == 0) {
        if (::ftruncate(fd_.get(), 0) == 0) size_ = 0;
        return;
    }
    for (int i = config_.keep - 1; i >= 1; --i)
        ::rename((path_ + "." + std::to_string(i)).c_str(),
                 (path_ + "." + std::to_string(i + 1)).c_str());
    ::rename(path_.c_str(), (path_ + ".1").c_str());
    open();
}

void LogSink::write_line(std::string_view line) {
    if (!path_.empty() && config_.max_size && size_ > 0 && size_ + line.size() > *config_.max_size)
        rotate();
    writer_->write_line(line);
    size_ += line.size();
}

ClusterLogs::ClusterLogs(EventLoop& loop, const LogConfig& config, DropReport on_dropped)
    : loop_(loop), config_(config), on_dropped_(std::move(on_dropped)) {}

ClusterLogs::~ClusterLogs() {
    for (auto& [key, s] : sources_)
        for (auto& st : s->streams)
            if (st.fd && loop_.watching_fd(st.fd.get())) loop_.unwatch_fd(st.fd.get());
    for (auto& [name, sink] : sinks_)
        if (sink->writer()) sink->writer()->flush_blocking(200);
}

void ClusterLogs::open_master_log() {
    redirect_master_stderr(config_);
}

// Under --log-dir the master's own stderr (its events, its errors) is DIR/master.log:
// before the master's event stream opens it, and again on each reopen.
void redirect_master_stderr(const LogConfig& config) {
    if (config.dir.empty()) return;
    SafeFile f = safe_open(config.dir + "/master.log", O_WRONLY | O_CREAT | O_APPEND, 0640);
    if (::dup2(f.fd.get(), STDERR_FILENO) < 0) throw SysError("dup2", errno);
}

LogSink& ClusterLogs::sink_for(const std::string& file_name) {
    std::string path;
    if (!config_.dir.empty())
        path = config_.dir + "/" + file_name + ".log";
    else if (config_.file != "-")
        path = config_.file;
    auto& sink = sinks_[path];
    if (!sink) sink = std::make_unique<LogSink>(path, config_);
    return *sink;
}

void ClusterLogs::attach(const void* key, const std::string& name, const std::string& file_name,
                         pid_t pid, UniqueFd out, UniqueFd err) {
    auto src = std::make_unique<Source>();
    src->name = name;
    src->pid = pid;
    src->sink = &sink_for(file_name);
    src->streams[0].fd = std::move(out);
    src->streams[1].fd = std::move(err);
    Source* s = src.get();
    sources_[key] = std::move(src);
    for (int i = 0; i < 2; ++i) {
        if (!s->streams[i].fd) continue;
        set_nonblocking(s->streams[i].fd.get());
        loop_.watch_fd(s->streams[i].fd.get(), EPOLLIN,
                       [this, s, i](uint32_t) { on_readable(*s, i, false); });
    }
}

void ClusterLogs::detach(const void* key) {
    auto it = sources_.find(key);
    if (it == sources_.end()) return;
    Source& s = *it->second;
    for (int i = 0; i < 2; ++i) {
        if (!s.streams[i].fd) continue;
        on_readable(s, i, true);
        if (loop_.watching_fd(s.streams[i].fd.get())) loop_.unwatch_fd(s.streams[i].fd.get());
        if (!s.streams[i].partial.empty()) emit_line(s, s.streams[i].partial);
    }
    sources_.erase(it);
}

ClusterLogs::SavedSource ClusterLogs::save(const void* key) const {
    SavedSource out;
    auto it = sources_.find(key);
    if (it == sources_.end()) return out;
    for (int i = 0; i < 2; ++i) {
        out.fds[i] = it->second->streams[i].fd ? it->second->streams[i].fd.get() : -1;
        out.partial[i] = it->second->streams[i].partial;
    }
    return out;
}

std::vector<std::pair<std::string, int>> ClusterLogs::sink_fds() const {
    std::vector<std::pair<std::string, int>> out;
    for (const auto& [path, sink] : sinks_)
        if (!path.empty() && sink->fd() >= 0) out.emplace_back(path, sink->fd());
    return out;
}

void ClusterLogs::adopt_sink(const std::string& path, UniqueFd fd) {
    sinks_[path] = std::make_unique<LogSink>(path, config_, std::move(fd));
}

void ClusterLogs::restore_partial(const void* key, int which, std::string partial) {
    auto it = sources_.find(key);
    if (it != sources_.end()) it->second->streams[which].partial = std::move(partial);
}

void ClusterLogs::flush(int timeout_ms) {
    for (auto& [path, sink] : sinks_)
        if (sink->writer()) sink->writer()->flush_blocking(timeout_ms);
}

void ClusterLogs::reopen() {
    open_master_log();
    for (auto& [path, sink] : sinks_) sink->reopen();
}

// Reads at most kReadBudget (drain: what is there, as bounded); whole lines go out.
void ClusterLogs::on_readable(Source& s, int which, bool drain) {
    Stream& st = s.streams[which];
    char buf[16384];
    size_t taken = 0;
    while (taken < kReadBudget || drain) {
        ssize_t n = ::read(st.fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
                if (loop_.watching_fd(st.fd.get())) loop_.unwatch_fd(st.fd.get());
                if (!st.partial.empty()) emit_line(s, st.partial), st.partial.clear();
            }
            break;
        }
        taken += static_cast<size_t>(n);
        if (drain && taken > 4 * kReadBudget) break;  // a writer still running: enough
        std::string_view data(buf, static_cast<size_t>(n));
        while (!data.empty()) {
            size_t nl = data.find('\n');
            if (nl == std::string_view::npos) {
                st.partial.append(data);
                while (st.partial.size() >= kMaxLine) {
                    emit_line(s, std::string_view(st.partial).substr(0, kMaxLine));
                    st.partial.erase(0, kMaxLine);
                }
                break;
            }
            if (st.partial.empty()) {
                emit_line(s, data.substr(0, nl));
            } else {
                st.partial.append(data.substr(0, nl));
                emit_line(s, st.partial);
                st.partial.clear();
            }
            data.remove_prefix(nl + 1);
        }
    }
    size_t dropped = s.sink->dropped();
    auto now = EventLoop::Clock::now();
    if (dropped > s.reported && now - s.last_report >= kDropReportEvery) {
        on_dropped_(s.name, s.pid, dropped - s.reported);
        s.reported = dropped;
        s.last_report = now;
    }
}

void ClusterLogs::emit_line(Source& s, std::string_view line) {
    std::string out;
    out.reserve(line.size() + 48);
    if (config_.timestamps) out += utc_time_ms_now() + " ";
    out += "[" + s.name + "] ";
    out.append(line);
    out += '\n';
    s.sink->write_line(out);
}

}  // namespace ptool

namespace ptool::cluster {

void Master::setup_logs() {
    if (config_.logs.file.empty() && config_.logs.dir.empty()) return;
    logs_ = std::make_unique<ClusterLogs>(
        loop_, config_.logs, [this](const std::string& name, pid_t pid, size_t count) {
            counters_.log_dropped += static_cast<long long>(count);
            emit(Json{{"event", "log_dropped"}, {"name", name}, {"pid", pid}, {"count", count}},
                 nullptr,
                 std::to_string(count) + " log lines of " + name +
                     " dropped: the log could not keep up");
        });
}

void Master::attach_logs(Proc* p) {
    std::string name = p->agent ? "agent" : "worker " + std::to_string(p->id);
    std::string file = p->agent ? "agent" : "worker-" + std::to_string(p->id);
    logs_->attach(p, name, file, p->child.pid(), std::move(p->child.stdio[1]),
                  std::move(p->child.stdio[2]));
}

void Master::rotate() {
    if (!logs_) return;
    logs_->reopen();
    emit(Json{{"event", "logs_reopened"}}, nullptr, "log files reopened");
}

}  // namespace ptool::cluster
