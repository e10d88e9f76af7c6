// `ptool fork-cluster --status --control PATH`: asks a running master for its status
// and prints it as a table on a terminal, as the reply's JSON line when piped (pm2's
// list and jlist in one command).
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "libcommon/core/error.hpp"
#include "libcommon/core/fd.hpp"
#include "libcommon/core/json.hpp"
#include "libcommon/core/json_text.hpp"
#include "tools/fork_cluster/cluster.hpp"

namespace ptool {

namespace {

constexpr size_t kMaxStatusReply = 64 * 1024 * 1024;

std::string ask_status(const std::string& path) {
    sockaddr_un sun{};
    if (path.size() >= sizeof sun.sun_path)
        throw Error("--control " + path + ": path too long for a Unix socket");
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) throw SysError("socket", errno);
    sun.sun_family = AF_UNIX;
    std::memcpy(sun.sun_path, path.c_str(), path.size());
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun) != 0)
        throw SysError("--control " + path, errno);
    timeval tv{5, 0};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (write_full(fd.get(), std::string_view("{\"cmd\":\"status\"}\n")) != 0)
        throw SysError("--control " + path + ": write", errno);
    std::string reply;
    char buf[65536];
    while (reply.find('\n') == std::string::npos) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            throw Error("--control " + path + ": no reply within 5s");
        if (n < 0) throw SysError("--control " + path + ": read", errno);
        if (n == 0) throw Error("--control " + path + ": the master closed the connection");
        reply.append(buf, static_cast<size_t>(n));
        if (reply.size() > kMaxStatusReply) throw Error("--control " + path + ": reply too long");
    }
    return reply.substr(0, reply.find('\n'));
}

std::string field(const nlohmann::json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return "-";
    if (it->is_string()) return it->get<std::string>();
    return it->dump();
}

// "1h02m", "3m04s", "12.3s"
std::string short_uptime(const nlohmann::json& j) {
    auto it = j.find("uptime_ms");
    if (it == j.end() || !it->is_number()) return "-";
    long long ms = it->get<long long>();
    char buf[32];
    if (ms < 60000)
        std::snprintf(buf, sizeof buf, "%lld.%llds", ms / 1000, (ms % 1000) / 100);
    else if (ms < 3600000)
        std::snprintf(buf, sizeof buf, "%lldm%02llds", ms / 60000, (ms / 1000) % 60);
    else
        std::snprintf(buf, sizeof buf, "%lldh%02lldm", ms / 3600000, (ms / 60000) % 60);
    return buf;
}

std::string memory(const nlohmann::json& j) {
    auto it = j.find("rss_kb");
    if (it == j.end() || !it->is_number()) return "-";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1fM", static_cast<double>(it->get<long long>()) / 1024.0);
    return buf;
}

std::string cpu(const nlohmann::json& j) {
    auto it = j.find("cpu_ms");
    if (it == j.end() || !it->is_number()) return "-";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2fs", static_cast<double>(it->get<long long>()) / 1000.0);
    return buf;
}

std::string last_exit(const nlohmann::json& j) {
    auto it = j.find("last_exit");
    if (it == j.end() || !it->is_object()) return "-";
    if (it->contains("signal") && (*it)["signal"].is_string()) return (*it)["signal"];
    return "code " + field(*it, "code");
}

void print_table(const nlohmann::json& s) {
    std::string out;
    char line[256];
    auto row = [&](const std::string& name, const nlohmann::json& p) {
        std::snprintf(line, sizeof line, "%-8s %-8s %-9s %-8s %8s %9s %9s  %s\n", name.c_str(),
                      field(p, "pid").c_str(), field(p, "state").c_str(), short_uptime(p).c_str(),
                      field(p, "restarts").c_str(), memory(p).c_str(), cpu(p).c_str(),
                      last_exit(p).c_str());
        out += line;
    };
    std::snprintf(line, sizeof line, "%-8s %-8s %-9s %-8s %8s %9s %9s  %s\n", "ID", "PID", "STATE",
                  "UPTIME", "RESTARTS", "MEMORY", "CPU", "LAST EXIT");
    out += line;
    if (s.contains("master") && s["master"].is_object()) {
        nlohmann::json m = s["master"];
        m["state"] = "master";
        row("master", m);
    }
    if (s.contains("agent") && s["agent"].is_object()) row("agent", s["agent"]);
    if (s.contains("workers") && s["workers"].is_array())
        for (const auto& w : s["workers"]) row(field(w, "id"), w);
    if (s.contains("reloading") && s["reloading"].is_object())
        out += field(s["reloading"], "text") + "\n";
    if (s.contains("reload_failed"))
        out += "last reload stopped: " + field(s, "reload_failed") + "\n";
    write_full(STDOUT_FILENO, out);
}

}  // namespace

int print_cluster_status(const ClusterConfig& config) {
    if (config.control_path.empty()) throw UsageError("--status needs --control PATH");
    std::string reply = ask_status(config.control_path);
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(reply);
    } catch (const nlohmann::json::exception&) {
        throw Error("--control " + config.control_path + ": the reply is not JSON");
    }
    if (!j.is_object() || !j.value("ok", false))
        throw Error("--control " + config.control_path + ": " + field(j, "error"));
    if (!::isatty(STDOUT_FILENO))
        write_full(STDOUT_FILENO, reply + "\n");
    else
        print_table(j);
    return 0;
}

}  // namespace ptool
