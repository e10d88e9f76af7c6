// A tiny HTTP/1.x server on fork-cluster's loop for probes and scrapes (--http ADDR:
// /healthz, /readyz, /metrics). Only GET and HEAD, one request per connection, answered
// and closed. A slow or hostile client never blocks the loop: every socket is
// non-blocking, a request head is at most kMaxHttpRequest bytes, each connection gets
// kHttpTimeout in all, and at most kMaxHttpClients are served at once.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "libcommon/core/fd.hpp"
#include "libcommon/launch/event_loop.hpp"

namespace ptool {

inline constexpr size_t kMaxHttpRequest = 8192;
inline constexpr size_t kMaxHttpClients = 64;
inline constexpr std::chrono::seconds kHttpTimeout{5};

struct HttpResponse {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
};

class HttpServer {
public:
    using Handler = std::function<HttpResponse(const std::string& path)>;
    // `listener`: a bound, listening TCP socket.
    HttpServer(EventLoop& loop, UniqueFd listener, Handler handler);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;
    int fd() const { return listener_.get(); }

private:
    struct Client {
        UniqueFd fd;
        std::string in;
        std::string out;
        size_t sent = 0;
        EventLoop::TimerId timer = 0;
    };
    void on_accept();
    void on_client(int fd, uint32_t events);
    void answer(Client& c);
    void drop(int fd);

    EventLoop& loop_;
    UniqueFd listener_;
    Handler handler_;
    std::map<int, std::unique_ptr<Client>> clients_;
};

// The status line's words for the codes the server sends.
const char* http_reason(int status);

}  // namespace ptool
