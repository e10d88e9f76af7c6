// The fork-cluster test harness (tests/support/cluster_harness.hpp): starting masters,
// reading their events, control-socket and loopback clients, the sd_notify receiver.
#include "cluster_harness.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <sstream>

extern char** environ;

namespace cluster_test {

namespace fs = std::filesystem;

std::string fixture(const std::string& name) {
    return source_dir() + "/tests/fixtures/cluster/" + name;
}

namespace {

// `fd` connected to `addr`, its reads giving up after `timeout`; or -1, `fd` closed.
int connected(int fd, const void* addr, socklen_t len, std::chrono::seconds timeout) {
    if (connect(fd, static_cast<const sockaddr*>(addr), len) != 0) {
        close(fd);
        return -1;
    }
    timeval tv{static_cast<time_t>(timeout.count()), 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

std::vector<std::string> environment_with(const std::map<std::string, std::string>& extra) {
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) env.emplace_back(*e);
    for (const auto& [k, v] : extra) env.push_back(k + "=" + v);
    return env;
}

}  // namespace

Background::Background(const std::vector<std::string>& argv,
                       const std::map<std::string, std::string>& extra_env, int stderr_fd) {
    start(argv, environment_with(extra_env), stderr_fd);
}

void Background::start(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                       int stderr_fd) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    if (stderr_fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, stderr_fd, 2);
    else
        posix_spawn_file_actions_addopen(&fa, 2, events_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                         0644);
    int rc = spawn_clean(pid_, argv, env, fa);
    posix_spawn_file_actions_destroy(&fa);
    REQUIRE(rc == 0);
}

Background::~Background() {
    if (pid_ > 0 && status_ < 0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
    }
}

std::string Background::text() const {
    return fs::exists(events_path_) ? read_file(events_path_) : "";
}

std::vector<json> Background::events() const {
    std::vector<json> out;
    std::string all = text();
    size_t start = 0;
    for (size_t nl; (nl = all.find('\n', start)) != std::string::npos; start = nl + 1) {
        std::string line = all.substr(start, nl - start);
        auto e = json::parse(line, nullptr, false);
        out.push_back(e.is_object() ? e : json{{"event", "text"}, {"text", line}});
    }
    return out;
}

std::vector<json> Background::events_named(const std::string& name) const {
    std::vector<json> out;
    for (auto& e : events())
        if (e.value("event", "") == name) out.push_back(e);
    return out;
}

bool Background::wait_events(const std::string& name, size_t count,
                             std::chrono::milliseconds timeout) const {
    return wait_until([&] { return events_named(name).size() >= count; }, timeout);
}

bool Background::wait_message(const std::string& key, const json& value,
                              std::chrono::milliseconds timeout) const {
    return wait_until(
        [&] {
            for (auto& e : events_named("message"))
                if (e["data"].is_object() && e["data"].value(key, json()) == value) return true;
            return false;
        },
        timeout);
}

int Background::port() const {
    if (!wait_events("listen", 1)) return 0;
    std::string a = events_named("listen")[0]["address"];
    return std::stoi(a.substr(a.rfind(':') + 1));
}

int Background::wait_exit(std::chrono::milliseconds timeout) {
    if (status_ >= 0) return status_;
    wait_until(
        [&] {
            int st;
            if (waitpid(pid_, &st, WNOHANG) != pid_) return false;
            status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            return true;
        },
        timeout);
    return status_;
}

int Background::stop(std::chrono::milliseconds timeout) {
    if (status_ < 0) kill(pid_, SIGTERM);
    return wait_exit(timeout);
}

Master::Master(std::vector<std::string> args, const std::map<std::string, std::string>& extra_env,
               int stderr_fd, const std::string& binary) {
    for (auto& a : args)
        if (a == "CTL") a = ctl();
    std::vector<std::string> argv = {binary, "fork-cluster", "--json"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto env = environment_with({{"PTOOL", ptool_bin()}});
    for (const auto& [k, v] : extra_env) env.push_back(k + "=" + v);
    start(argv, env, stderr_fd);
}

int connect_control(const std::string& path, std::chrono::seconds timeout) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::strncpy(sun.sun_path, path.c_str(), sizeof sun.sun_path - 1);
    return connected(fd, &sun, sizeof sun, timeout);
}

std::string control_request(const std::string& path, const std::string& line,
                            std::chrono::seconds timeout) {
    int fd = connect_control(path, timeout);
    if (fd < 0) return "connect failed";
    std::string msg = line + "\n";
    for (size_t off = 0; off < msg.size();) {
        ssize_t n = write(fd, msg.data() + off, msg.size() - off);
        if (n <= 0) break;
        off += static_cast<size_t>(n);
    }
    std::string reply;
    char buf[4096];
    for (ssize_t n; reply.find('\n') == std::string::npos && (n = read(fd, buf, sizeof buf)) > 0;)
        reply.append(buf, static_cast<size_t>(n));
    close(fd);
    return reply.find('\n') == std::string::npos ? "" : reply.substr(0, reply.find('\n'));
}

json control_reply(const Master& m, const json& request, std::chrono::seconds timeout) {
    return json::parse(control_request(m.ctl(), request.dump(), timeout), nullptr, false);
}

json status_of(const Master& m) {
    return json::parse(control_request(m.ctl(), R"({"cmd":"status"})"));
}

std::vector<int> worker_pids(const Master& m) {
    json status = status_of(m);  // not in the for: a temporary's member outlives it there
    std::vector<int> pids;
    for (auto& w : status["workers"]) pids.push_back(w["pid"]);
    return pids;
}

int free_port() {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) == 0);
    socklen_t len = sizeof sin;
    getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len);
    close(fd);
    return ntohs(sin.sin_port);
}

int connect_loopback(int port, std::chrono::seconds timeout) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(static_cast<uint16_t>(port));
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return connected(fd, &sin, sizeof sin, timeout);
}

std::string http_exchange(int port, const std::string& request, std::chrono::seconds timeout) {
    int fd = connect_loopback(port, timeout);
    if (fd < 0) return "";
    std::string resp;
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
        char buf[4096];
        for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;)
            resp.append(buf, static_cast<size_t>(n));
    }
    close(fd);
    return resp;
}

std::string http_get(int port, const std::string& path, std::chrono::seconds timeout) {
    int fd = connect_loopback(port, timeout);
    if (fd < 0) return std::string("ERROR: connect: ") + strerror(errno);
    std::string req = "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    if (write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
        close(fd);
        return "ERROR: write";
    }
    std::string resp;
    char buf[4096];
    for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) resp.append(buf, static_cast<size_t>(n));
    close(fd);
    if (!resp.starts_with("HTTP/1.1 200") && !resp.starts_with("HTTP/1.0 200"))
        return "ERROR: response: " + resp.substr(0, 40);
    auto body = resp.find("\r\n\r\n");
    return body == std::string::npos ? "ERROR: no body" : resp.substr(body + 4);
}

std::string get_body(int port) {
    std::string resp = http_exchange(port, "GET / HTTP/1.0\r\n\r\n", 20s);
    auto at = resp.find("\r\n\r\n");
    return at == std::string::npos ? "" : resp.substr(at + 4);
}

std::string pid_of(const std::string& body) {
    auto at = body.find("pid=");
    return at == std::string::npos ? "" : body.substr(at + 4, body.find(' ', at) - at - 4);
}

HttpReply curl(const std::string& address, const std::string& path) {
    auto r = run({"curl", "-sS", "--max-time", "10", "-o", "-", "-w", "\n%{http_code}",
                  "http://" + address + path});
    HttpReply out;
    auto nl = r.out.rfind('\n');
    if (nl == std::string::npos) return out;
    out.status = std::atoi(r.out.c_str() + nl + 1);
    out.body = r.out.substr(0, nl);
    return out;
}

std::string http_address(const Master& m) {
    if (!m.wait_events("http", 1)) return "";
    return m.events_named("http")[0]["address"];
}

NotifyListener::NotifyListener(const std::string& address) : address_(address) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::memcpy(sun.sun_path, address.data(), address.size());
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size());
    if (address[0] == '@')
        sun.sun_path[0] = '\0';
    else
        ++len;
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&sun), len) == 0);
}

NotifyListener::~NotifyListener() {
    close(fd_);
    if (address_[0] == '/') unlink(address_.c_str());
}

bool NotifyListener::wait_for(const std::string& key, const std::string& value) {
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd_, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0) continue;
        char buf[4096];
        ssize_t n = recv(fd_, buf, sizeof buf, 0);
        if (n <= 0) continue;
        std::map<std::string, std::string> fields;
        std::istringstream lines(std::string(buf, static_cast<size_t>(n)));
        for (std::string line; std::getline(lines, line);)
            if (auto eq = line.find('='); eq != std::string::npos)
                fields[line.substr(0, eq)] = line.substr(eq + 1);
        messages.push_back(fields);
        if (fields.count(key) && fields[key] == value) return true;
    }
    return false;
}

LoadLoop::LoadLoop(int port)
    : thread_([this, port] {
          while (!stop_) {
              std::string reply = http_exchange(port, "GET / HTTP/1.0\r\nHost: x\r\n\r\n");
              (reply.starts_with("HTTP/1.0 200") && reply.find("pid=") != std::string::npos
                   ? ok_
                   : failed_)++;
          }
      }) {}

void LoadLoop::finish() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
}

bool LoadLoop::wait_more(int more) const {
    int target = ok_ + more;
    return wait_until([&] { return ok_ >= target; }, 20s);
}

std::string copy_binary(const TempDir& dir, const std::string& name) {
    std::string path = dir / name;
    fs::copy_file(ptool_bin(), path, fs::copy_options::overwrite_existing);
    fs::permissions(path, fs::perms::owner_all);
    return path;
}

void replace_binary(const TempDir& dir, const std::string& path) {
    std::string fresh = copy_binary(dir, "ptool.new");
    fs::rename(fresh, path);
}

std::string exe_of(pid_t pid) {
    return fs::read_symlink("/proc/" + std::to_string(pid) + "/exe").string();
}

}  // namespace cluster_test
