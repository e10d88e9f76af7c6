// Helpers for the fork-cluster tests under systemd and as init: a program in the
// background whose stderr (ptool's --json events) goes to a file (for masters started
// through systemd-socket-activate), a free loopback port, an sd_notify receiver that
// stands in for systemd, and a plain HTTP GET.
#pragma once

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>

#include "fork_cluster_harness.hpp"

namespace cluster_test {

// argv in the background, stdin and stdout /dev/null, stderr into a file.
class Background {
public:
    explicit Background(const std::vector<std::string>& argv,
                        const std::map<std::string, std::string>& extra_env = {}) {
        path_ = dir_ / "stderr";
        std::vector<std::string> env;
        for (char** e = environ; *e; ++e) env.emplace_back(*e);
        for (const auto& [k, v] : extra_env) env.push_back(k + "=" + v);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 2, path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int rc = spawn_clean(pid_, argv, env, fa);
        posix_spawn_file_actions_destroy(&fa);
        REQUIRE(rc == 0);
    }
    ~Background() {
        if (status_ < 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
    }
    pid_t pid() const { return pid_; }
    const TempDir& dir() const { return dir_; }
    std::string text() const { return read_file(path_); }
    std::vector<json> events_named(const std::string& name) const {
        std::vector<json> out;
        std::istringstream lines(text());
        for (std::string line; std::getline(lines, line);) {
            auto j = json::parse(line, nullptr, false);
            if (j.is_object() && j.value("event", "") == name) out.push_back(j);
        }
        return out;
    }
    bool wait_events(const std::string& name, size_t count) const {
        return wait_until([&] { return events_named(name).size() >= count; }, 20s);
    }
    int wait_exit() {
        wait_until(
            [&] {
                int st;
                if (waitpid(pid_, &st, WNOHANG) != pid_) return false;
                status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                return true;
            },
            20s);
        return status_;
    }
    int stop() {
        kill(pid_, SIGTERM);
        return wait_exit();
    }

private:
    TempDir dir_;
    std::string path_;
    pid_t pid_ = -1;
    int status_ = -1;
};

// A loopback port nothing listens on now (bound to :0, then closed).
inline int free_port() {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sin;
    bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin);
    getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len);
    close(fd);
    return ntohs(sin.sin_port);
}

inline int connect_loopback(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(static_cast<uint16_t>(port));
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{20, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

// The body of GET / on 127.0.0.1:port (HTTP/1.0), "" on failure.
inline std::string get_body(int port) {
    int fd = connect_loopback(port);
    if (fd < 0) return "";
    std::string req = "GET / HTTP/1.0\r\n\r\n";
    if (write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) return "";
    std::string resp;
    char buf[4096];
    for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) resp.append(buf, static_cast<size_t>(n));
    close(fd);
    auto at = resp.find("\r\n\r\n");
    return at == std::string::npos ? "" : resp.substr(at + 4);
}

// What systemd is to a Type=notify service: a datagram socket at NOTIFY_SOCKET
// ("/path" in the test's directory, or "@abstract"), each datagram parsed into
// KEY=VALUE fields.
class NotifyListener {
public:
    explicit NotifyListener(const std::string& address) : address_(address) {
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
    ~NotifyListener() {
        close(fd_);
        if (address_[0] == '/') unlink(address_.c_str());
    }
    const std::string& address() const { return address_; }
    // Datagrams until one has KEY=VALUE (true), or 20 s without it (false).
    bool wait_for(const std::string& key, const std::string& value) {
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
    std::vector<std::map<std::string, std::string>> messages;

private:
    std::string address_;
    int fd_ = -1;
};

}  // namespace cluster_test
