// fork-cluster's control requests: the {cmd -> handler} table (cluster_control.hpp).
#include "tools/fork_cluster/cluster_control.hpp"

#include <exception>
#include <new>
#include <utility>
#include <vector>

#include "libcommon/bytes/tables.hpp"
#include "libcommon/core/error.hpp"

namespace ptool {

namespace {

Json error_reply(const std::string& why) {
    return Json{{"ok", false}, {"error", why}};
}

struct Request {
    const Json& body;
    int fd;
};

using Handler = Json (*)(const Request&, ControlActions&);

Json handle_status(const Request&, ControlActions& a) {
    return a.status();
}

Json handle_reload(const Request& r, ControlActions& a) {
    a.reload();
    if (auto agent = r.body.find("agent"); agent != r.body.end() && *agent == true)
        a.reload_agent();
    return Json{{"ok", true}};
}

Json handle_scale(const Request& r, ControlActions& a) {
    auto it = r.body.find("workers");
    if (it == r.body.end() || !it->is_number_integer() || it->get<long long>() < 0 ||
        it->get<long long>() > kMaxScaleWorkers)
        return error_reply("\"workers\" must be an integer from 0 to " +
                           std::to_string(kMaxScaleWorkers));
    int workers = a.scale(static_cast<int>(it->get<long long>()));
    return Json{{"ok", true}, {"workers", workers}};
}

Json handle_send(const Request& r, ControlActions& a) {
    auto to = r.body.find("to");
    if (to == r.body.end() || !to->is_string())
        return error_reply("\"to\" must be a target string");
    const auto& name = to->get_ref<const std::string&>();
    auto target = parse_route_target(name);
    if (!target) return error_reply("unknown target '" + printable_excerpt(name) + "'");
    auto data = r.body.find("data");
    int n = a.send(*target, data == r.body.end() ? Json(nullptr) : *data, r.fd);
    if (n == 0) return error_reply("no process matches '" + printable_excerpt(name) + "'");
    return Json{{"ok", true}, {"delivered", n}};
}

Json handle_stop(const Request&, ControlActions& a) {
    a.stop();
    return Json{{"ok", true}};
}

Json handle_rotate(const Request&, ControlActions& a) {
    a.rotate();
    return Json{{"ok", true}};
}

Json handle_upgrade(const Request&, ControlActions& a) {
    return a.upgrade();
}

struct Command {
    std::string_view name;
    bool while_stopping;  // still served during a shutdown
    Handler handle;
};

constexpr Command kCommands[] = {
    {"status", true, handle_status},    {"reload", false, handle_reload},
    {"scale", false, handle_scale},     {"send", false, handle_send},
    {"stop", true, handle_stop},        {"rotate", true, handle_rotate},
    {"upgrade", false, handle_upgrade},
};

Json dispatch(const IpcDecoded& request, ControlActions& actions) {
    if (request.kind != IpcDecoded::Kind::invalid &&
        nests_deeper_than(request.data, kMaxMessageDepth))
        return error_reply("invalid request: nested deeper than " +
                           std::to_string(kMaxMessageDepth) + " levels");
    if (request.kind == IpcDecoded::Kind::invalid)
        return error_reply(request.error.empty() ? "invalid JSON" : request.error);
    if (request.kind == IpcDecoded::Kind::internal)
        return error_reply("unexpected internal message");
    const Json& body = request.data;
    auto cmd = body.is_object() ? body.find("cmd") : body.end();
    if (!body.is_object() || cmd == body.end() || !cmd->is_string())
        return error_reply("expected an object with a \"cmd\" string");
    const auto& name = cmd->get_ref<const std::string&>();
    for (const Command& c : kCommands) {
        if (c.name != name) continue;
        if (!c.while_stopping && actions.shutting_down()) return error_reply("shutting down");
        return c.handle(Request{body, request.fd.get()}, actions);
    }
    return error_reply("unknown cmd '" + printable_excerpt(name) + "'");
}

}  // namespace

std::string printable_excerpt(std::string_view text, size_t max) {
    std::string out;
    size_t i = 0;
    auto escape = [&](unsigned char c) {
        out += "\\x";
        out += kHexDigitsLower[c >> 4];
        out += kHexDigitsLower[c & 15];
    };
    while (i < text.size() && out.size() < max) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c < 0x7f) {
            out += static_cast<char>(c);
            ++i;
            continue;
        }
        // A well-formed UTF-8 sequence (no overlongs, surrogates or > U+10FFFF) stays.
        size_t len = c >= 0xc2 && c <= 0xdf   ? 2
                     : c >= 0xe0 && c <= 0xef ? 3
                     : c >= 0xf0 && c <= 0xf4 ? 4
                                              : 0;
        bool ok = len != 0 && i + len <= text.size();
        for (size_t k = 1; ok && k < len; ++k)
            ok = (static_cast<unsigned char>(text[i + k]) & 0xc0) == 0x80;
        if (ok && len >= 3) {
            auto c1 = static_cast<unsigned char>(text[i + 1]);
            if (c == 0xe0 && c1 < 0xa0) ok = false;
            if (c == 0xed && c1 >= 0xa0) ok = false;
            if (c == 0xf0 && c1 < 0x90) ok = false;
            if (c == 0xf4 && c1 >= 0x90) ok = false;
        }
        if (!ok) {
            escape(c);
            ++i;
            continue;
        }
        out.append(text.substr(i, len));
        i += len;
    }
    if (i < text.size()) out += "...";
    return out;
}

bool nests_deeper_than(const Json& value, size_t max) {
    std::vector<std::pair<const Json*, size_t>> todo{{&value, 0}};
    while (!todo.empty()) {
        auto [v, depth] = todo.back();
        todo.pop_back();
        if (!v->is_structured()) continue;
        if (depth >= max) return true;
        for (const auto& child : *v)
            if (child.is_structured()) todo.emplace_back(&child, depth + 1);
    }
    return false;
}

std::string ipc_error_words(std::string_view error) {
    if (error.starts_with("[json.exception.")) {
        auto close = error.find("] ");
        error = close == std::string_view::npos ? std::string_view() : error.substr(close + 2);
    }
    return printable_excerpt(error, 200);
}

Json answer_control_request(IpcDecoded request, ControlActions& actions) noexcept {
    try {
        return dispatch(request, actions);
    } catch (const std::bad_alloc&) {
        return error_reply("out of memory");
    } catch (const Error& e) {  // ptool's own errors are already in its words
        return error_reply(printable_excerpt(e.what(), 200));
    } catch (...) {  // a library's exception text is not for the client
        return error_reply("internal error while handling the request");
    }
}

Json answer_control_message(IpcChannel& channel, IpcMessage message,
                            ControlActions& actions) noexcept {
    IpcDecoded decoded;
    try {
        decoded = channel.decode(std::move(message));
    } catch (...) {  // the decoder's own failure is a bad request, not the master's
        decoded = IpcDecoded{};
        decoded.kind = IpcDecoded::Kind::invalid;
        decoded.error = "";
    }
    if (decoded.kind == IpcDecoded::Kind::invalid) decoded.error = ipc_error_words(decoded.error);
    return answer_control_request(std::move(decoded), actions);
}

}  // namespace ptool
