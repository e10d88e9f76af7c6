// fork-cluster's HTTP endpoint (http.hpp): the server, and the master's three pages --
// /healthz (the loop runs), /readyz (enough workers online) and /metrics (the Prometheus
// text exposition format, version 0.0.4).
#include "tools/fork_cluster/http.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "libcommon/core/error.hpp"
#include "tools/fork_cluster/master.hpp"

namespace ptool {

const char* http_reason(int status) {
    switch (status) {
        case 200: return "OK";
        case 400: return "Bad Request";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 431: return "Request Header Fields Too Large";
        case 503: return "Service Unavailable";
        default: return "Error";
    }
}

HttpServer::HttpServer(EventLoop& loop, UniqueFd listener, Handler handler)
    : loop_(loop), listener_(std::move(listener)), handler_(std::move(handler)) {
    set_nonblocking(listener_.get());
    loop_.watch_fd(listener_.get(), EPOLLIN, [this](uint32_t) { on_accept(); });
}

HttpServer::~HttpServer() {
    for (auto& [fd, c] : clients_) {
        loop_.unwatch_fd(fd);
        if (c->timer) loop_.cancel_timer(c->timer);
    }
    loop_.unwatch_fd(listener_.get());
}

void HttpServer::on_accept() {
    for (;;) {
        int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) return;  // EAGAIN, or a client gone meanwhile
        if (clients_.size() >= kMaxHttpClients) {
            ::close(fd);  // the probe retries; the loop is not held up
            continue;
        }
        auto c = std::make_unique<Client>();
        c->fd = UniqueFd(fd);
        c->timer = loop_.add_timer(kHttpTimeout, [this, fd] {
            auto it = clients_.find(fd);
            if (it != clients_.end()) it->second->timer = 0;
            drop(fd);
        });
        clients_[fd] = std::move(c);
        loop_.watch_fd(fd, EPOLLIN, [this, fd](uint32_t ev) { on_client(fd, ev); });
    }
}

void HttpServer::drop(int fd) {
    auto it = clients_.find(fd);
    if (it == clients_.end()) return;
    loop_.unwatch_fd(fd);
    if (it->second->timer) loop_.cancel_timer(it->second->timer);
    clients_.erase(it);
}

void HttpServer::on_client(int fd, uint32_t) {
    auto it = clients_.find(fd);
    if (it == clients_.end()) return;
    Client& c = *it->second;
    if (c.out.empty()) {
        char buf[4096];
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        if (n <= 0) return drop(fd);
        c.in.append(buf, static_cast<size_t>(n));
        if (c.in.find("\r\n\r\n") == std::string::npos && c.in.find("\n\n") == std::string::npos) {
            if (c.in.size() <= kMaxHttpRequest) return;
            HttpResponse r{431, "text/plain; charset=utf-8", "request too large\n"};
            c.out = "HTTP/1.1 431 " + std::string(http_reason(431)) +
                    "\r\nContent-Length: " + std::to_string(r.body.size()) +
                    "\r\nConnection: close\r\n\r\n" + r.body;
        } else {
            answer(c);
        }
        loop_.modify_fd(fd, EPOLLOUT);  // for what the first send leaves
    }
    while (c.sent < c.out.size()) {
        ssize_t n = ::send(fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        if (n <= 0) return drop(fd);
        c.sent += static_cast<size_t>(n);
    }
    ::shutdown(fd, SHUT_WR);
    drop(fd);
}

void HttpServer::answer(Client& c) {
    std::string_view head(c.in);
    std::string_view line = head.substr(0, head.find_first_of("\r\n"));
    size_t sp1 = line.find(' ');
    size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    HttpResponse r;
    bool head_only = false;
    if (sp2 == std::string_view::npos || !line.substr(sp2 + 1).starts_with("HTTP/1.")) {
        r = {400, "text/plain; charset=utf-8", "bad request\n"};
    } else {
        std::string_view method = line.substr(0, sp1);
        std::string path(line.substr(sp1 + 1, sp2 - sp1 - 1));
        if (auto q = path.find('?'); q != std::string::npos) path.resize(q);
        head_only = method == "HEAD";
        if (method != "GET" && !head_only)
            r = {405, "text/plain; charset=utf-8", "only GET and HEAD\n"};
        else
            r = handler_(path);
    }
    c.out = "HTTP/1.1 " + std::to_string(r.status) + " " + http_reason(r.status) +
            "\r\nContent-Type: " + r.content_type +
            "\r\nContent-Length: " + std::to_string(r.body.size()) +
            "\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n";
    if (!head_only) c.out += r.body;
}

}  // namespace ptool

namespace ptool::cluster {

namespace {

void metric_head(std::string& out, const char* name, const char* type, const char* help) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
}

std::string number(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

}  // namespace

void Master::setup_http() {
    if (config_.http.empty()) return;
    if (upgrade_state_ && !upgrade_state_->at("http").is_null()) {  // the image before's
        int fd = upgrade_state_->at("http").at("fd").get<int>();
        set_cloexec(fd);
        http_ = std::make_unique<HttpServer>(
            loop_, UniqueFd(fd), [this](const std::string& path) { return http_page(path); });
        return;
    }
    std::string text = config_.http;
    if (text.find(':') == std::string::npos) text = ":" + text;  // a bare port
    if (text.front() == ':') text = "127.0.0.1" + text;          // loopback unless told
    ListenAddress a = parse_listen_address(text);
    if (a.kind != ListenAddress::Kind::tcp)
        throw UsageError("--http " + config_.http + ": expected [HOST:]PORT");
    UniqueFd fd = bind_listen(a);
    std::string where = bound_address(fd.get());
    http_ = std::make_unique<HttpServer>(
        loop_, std::move(fd), [this](const std::string& path) { return http_page(path); });
    emit(Json{{"event", "http"}, {"address", where}}, nullptr, "serving /metrics on " + where);
}

int Master::ready_workers() const {
    int n = 0;
    for (const auto& p : procs_)
        if (!p->agent && p->state == Proc::State::online) ++n;
    return std::min(n, target_workers_);
}

HttpResponse Master::http_page(const std::string& path) {
    if (path == "/healthz") return HttpResponse{200, "text/plain; charset=utf-8", "ok\n"};
    if (path == "/readyz") {
        int ready = ready_workers();
        int need = config_.min_ready > 0 ? config_.min_ready : target_workers_;
        bool ok = !starting_up_ && !shutting_down_ && ready >= need && need > 0;
        return HttpResponse{ok ? 200 : 503, "text/plain; charset=utf-8",
                            std::string(ok ? "ready " : "not ready ") + std::to_string(ready) +
                                "/" + std::to_string(need) + "\n"};
    }
    if (path == "/metrics")
        return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", metrics_text()};
    return HttpResponse{404, "text/plain; charset=utf-8", "not found\n"};
}

std::string Master::metrics_text() {
    std::string out;
    int by_state[4] = {};  // starting online retiring stopping
    for (const auto& p : procs_) {
        if (p->agent) continue;
        if (p->state == Proc::State::stopping)
            ++by_state[3];
        else if (p->retiring || p->replace_me)
            ++by_state[2];
        else
            ++by_state[p->state == Proc::State::online ? 1 : 0];
    }
    metric_head(out, "ptool_cluster_workers", "gauge", "Worker processes by state.");
    const char* names[] = {"starting", "online", "retiring", "stopping"};
    for (int i = 0; i < 4; ++i)
        out += "ptool_cluster_workers{state=\"" + std::string(names[i]) + "\"} " +
               std::to_string(by_state[i]) + "\n";
    metric_head(out, "ptool_cluster_target_workers", "gauge", "The number of workers asked for.");
    out += "ptool_cluster_target_workers " + std::to_string(target_workers_) + "\n";
    auto counter = [&](const char* name, const char* help, long long v) {
        metric_head(out, name, "counter", help);
        out += std::string(name) + " " + std::to_string(v) + "\n";
    };
    counter("ptool_cluster_restarts_total", "Restarts of crashed workers and agents.",
            counters_.restarts);
    counter("ptool_cluster_reloads_total", "Rolling reloads begun.", counters_.reloads);
    counter("ptool_cluster_upgrades_total", "Re-executions of the master in place.",
            counters_.upgrades);
    counter("ptool_cluster_messages_routed_total", "Messages delivered by ptool:send and send.",
            counters_.messages_routed);
    counter("ptool_cluster_max_rss_retired_total", "Workers replaced for passing --max-rss.",
            counters_.rss_retired);
    metric_head(out, "ptool_cluster_ipc_bytes_total", "counter",
                "Bytes on the workers' IPC channels, by direction.");
    out += "ptool_cluster_ipc_bytes_total{direction=\"in\"} " +
           std::to_string(counters_.ipc_bytes_in) + "\n";
    out += "ptool_cluster_ipc_bytes_total{direction=\"out\"} " +
           std::to_string(counters_.ipc_bytes_out) + "\n";
    std::string rss, cpu;
    for (const auto& p : procs_) {
        ProcUsage u = read_proc_usage(p->child.pid());
        if (!u.valid) continue;
        std::string labels = "{worker=\"" +
                             (p->agent ? std::string("agent") : std::to_string(p->id)) +
                             "\",pid=\"" + std::to_string(p->child.pid()) + "\"} ";
        rss += "ptool_cluster_worker_resident_memory_bytes" + labels +
               std::to_string(u.rss_kb * 1024) + "\n";
        cpu += "ptool_cluster_worker_cpu_seconds_total" + labels +
               number(static_cast<double>(u.cpu_ms) / 1000.0) + "\n";
    }
    metric_head(out, "ptool_cluster_worker_resident_memory_bytes", "gauge",
                "Resident memory of each worker process.");
    out += rss;
    metric_head(out, "ptool_cluster_worker_cpu_seconds_total", "counter",
                "CPU time (user and system) of each worker process.");
    out += cpu;
    ProcUsage self = read_proc_usage(::getpid());
    metric_head(out, "ptool_cluster_master_resident_memory_bytes", "gauge",
                "Resident memory of the master.");
    out +=
        "ptool_cluster_master_resident_memory_bytes " + std::to_string(self.rss_kb * 1024) + "\n";
    metric_head(out, "ptool_cluster_master_cpu_seconds_total", "counter",
                "CPU time (user and system) of the master.");
    out += "ptool_cluster_master_cpu_seconds_total " +
           number(static_cast<double>(self.cpu_ms) / 1000.0) + "\n";
    return out;
}

}  // namespace ptool::cluster
