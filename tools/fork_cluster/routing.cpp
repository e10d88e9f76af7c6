// fork-cluster's message routing: what workers and the agent send, dispatched through
// one table from cmd (or Node's act) to handler, and the targets of ptool:send and of
// the control socket's "send" (master, all, workers, agent, random, worker:ID, pid:PID).
#include <algorithm>
#include <cstring>

#include "libcommon/core/error.hpp"
#include "libcommon/core/parse.hpp"
#include "tools/fork_cluster/forward.hpp"
#include "tools/fork_cluster/master.hpp"

namespace ptool {

std::optional<RouteTarget> parse_route_target(std::string_view text) {
    using K = RouteTarget::Kind;
    static const std::pair<std::string_view, K> names[] = {
        {"master", K::master}, {"all", K::all},       {"workers", K::workers},
        {"agent", K::agent},   {"random", K::random},
    };
    for (const auto& [name, kind] : names)
        if (text == name) return RouteTarget{kind, 0};
    for (auto [prefix, kind] : {std::pair{std::string_view("worker:"), K::worker_id},
                                std::pair{std::string_view("pid:"), K::pid}}) {
        if (!text.starts_with(prefix)) continue;
        auto n = parse_int(text.substr(prefix.size()));
        if (!n || *n <= 0) return std::nullopt;
        return RouteTarget{kind, *n};
    }
    return std::nullopt;
}

}  // namespace ptool

namespace ptool::cluster {

namespace {

// Queues one message to `p` by `send` (flushed once per batch: Router::flush_channels),
// counting the bytes it added; a worker going away is left to its exit.
template <class Send>
void queue_counted(Master& master, Proc* p, Send send) {
    size_t before = p->channel.queued_bytes();
    try {
        send();
    } catch (const SysError&) {
        return;  // the worker is going away; its exit is handled on its own
    }
    size_t after = p->channel.queued_bytes();
    if (after > before) master.counters().ipc_bytes_out += static_cast<long long>(after - before);
}

}  // namespace

// The processes `target` names (not the master): one of them for random.
std::vector<Proc*>& Router::match_targets(const RouteTarget& target) {
    using K = RouteTarget::Kind;
    targets_.clear();  // reused: no allocation per message
    for (auto& p : master_.procs()) {
        if (p->state == Proc::State::stopping || !p->channel.is_open()) continue;
        bool match = false;
        switch (target.kind) {
            case K::all: match = true; break;
            case K::workers:
            case K::random: match = !p->agent && !p->retiring; break;
            case K::agent: match = p->agent; break;
            case K::worker_id: match = !p->agent && p->id == target.number && p->serving(); break;
            case K::pid: match = p->child.pid() == target.number; break;
            case K::master: break;
        }
        if (match) targets_.push_back(p.get());
    }
    if (target.kind == K::random && targets_.size() > 1) {
        Proc* pick = targets_[std::uniform_int_distribution<size_t>(0, targets_.size() - 1)(rng_)];
        targets_ = {pick};
    }
    return targets_;
}

void Router::deliver_text(Proc* p, std::string_view text) {
    queue_counted(master_, p, [&] { p->channel.send_text(text); });
}

// forward.hpp's fast path: a ptool:send to processes whose payload json_text would write
// as it came goes out unparsed. The master as target, an unknown or unmatched one: false,
// and the parsing path emits the events and the send-failed reply.
bool Router::forward_raw(std::string_view line) {
    auto raw = split_raw_send(line);
    if (!raw) return false;
    auto target = parse_route_target(raw->to);
    if (!target || target->kind == RouteTarget::Kind::master || !canonical_.check(raw->data))
        return false;
    auto& targets = match_targets(*target);
    if (targets.empty()) return false;
    for (Proc* p : targets) deliver_text(p, raw->data);
    master_.counters().messages_routed += static_cast<long long>(targets.size());
    return true;
}

void Router::on_channel(Proc* p, uint32_t events) {
    if ((events & EPOLLOUT) && !flush_or_close(p)) return;
    if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
        update_channel_watch(p);
        return;
    }
    std::vector<IpcMessage> messages;
    bool open;
    try {
        open = p->channel.read(messages);
    } catch (const SysError&) {
        open = false;
    }
    int lost = p->channel.lost_handles();
    for (auto& m : messages) {
        master_.counters().ipc_bytes_in += static_cast<long long>(m.text.size());
        if (!m.fd && m.error.empty() && forward_raw(m.text)) continue;
        on_message(p, p->channel.decode(std::move(m)));
    }
    if (p->channel.lost_handles() != lost)
        master_.emit(Json{{"event", "handle_lost"}, {"worker_id", p->id}, {"pid", p->child.pid()}},
                     p, "did not receive a passed fd after 3 retransmissions (NODE_HANDLE_NACK)");
    flush_channels();
    if (!open) {  // the worker closed its channel: its exit follows (or it lives on without one)
        close_channel(p);
        return;
    }
    update_channel_watch(p);
}

void Router::close_channel(Proc* p) {
    master_.loop().unwatch_fd(p->channel.fd());
    p->channel.close();
}

// A channel that cannot be written is closed (the worker is going away).
bool Router::flush_or_close(Proc* p) {
    try {
        p->channel.flush();
        return true;
    } catch (const SysError&) {
        close_channel(p);
        return false;
    }
}

void Router::update_channel_watch(Proc* p) {
    if (!p->channel.is_open() || !flush_or_close(p)) return;
    master_.loop().modify_fd(p->channel.fd(),
                             EPOLLIN | (p->channel.wants_write() ? uint32_t{EPOLLOUT} : 0u));
}

void Router::on_message(Proc* p, IpcDecoded m) {
    try {
        handle_message(p, std::move(m));
    } catch (...) {  // a worker's odd message never stops the master
        const char* why = "a message the master cannot handle";
        master_.emit(Json{{"event", "bad_message"},
                          {"worker_id", p->id},
                          {"pid", p->child.pid()},
                          {"error", why}},
                     p, std::string("sent ") + why);
    }
}

// First match wins, in this order: readiness, retiring (ours, or Node's worker.kill()
// before Node 7), ptool:send; anything else is an event for the master's log.
const Router::Rule Router::kRules[] = {
    {"cmd", "online", &Router::on_online},
    {"cmd", "ptool:retire", &Router::on_retire},
    {"act", "suicide", &Router::on_retire},
    {"cmd", "ptool:send", &Router::on_send},
    {"cmd", "ptool:heartbeat", &Router::on_heartbeat},
};

void Router::handle_message(Proc* p, IpcDecoded m) {
    if (m.kind == IpcDecoded::Kind::internal) return;  // ACKs, Node's own cluster messages
    if (m.kind == IpcDecoded::Kind::invalid) {
        master_.emit(Json{{"event", "bad_message"},
                          {"worker_id", p->id},
                          {"pid", p->child.pid()},
                          {"error", ipc_error_words(m.error)}},
                     p, "sent a message that was dropped: " + ipc_error_words(m.error));
        return;
    }
    const Json data = Json(std::move(m.data));
    auto field_is = [&](const char* field, const char* value) {
        if (!data.is_object()) return false;
        auto it = data.find(field);
        return it != data.end() && it->is_string() && it->get_ref<const std::string&>() == value;
    };
    for (const Rule& rule : kRules)
        if (field_is(rule.field, rule.value)) return (this->*rule.handler)(p, data, m);
    on_other(p, data, m);
}

void Router::on_online(Proc* p, const Json&, IpcDecoded&) {
    master_.on_ready(p);
}

void Router::on_heartbeat(Proc* p, const Json&, IpcDecoded&) {
    master_.on_heartbeat(p);
}

void Router::on_retire(Proc* p, const Json&, IpcDecoded&) {
    master_.retire(p);
}

void Router::on_send(Proc* p, const Json& data, IpcDecoded& m) {
    auto target = data.contains("to") && data["to"].is_string()
                      ? parse_route_target(data["to"].get<std::string>())
                      : std::nullopt;
    Json payload = data.contains("data") ? data["data"] : Json(nullptr);
    std::string to = data.contains("to") && data["to"].is_string() ? data["to"].get<std::string>()
                                                                   : std::string();
    if (!target) {
        master_.emit(Json{{"event", "bad_message"},
                          {"worker_id", p->id},
                          {"pid", p->child.pid()},
                          {"error", "unknown target"},
                          {"data", data}},
                     p, "ptool:send to an unknown target: " + json_text(data));
        send_failed(p, data.contains("to") ? data["to"] : Json(nullptr), "unknown target", payload);
        return;
    }
    if (route(payload, m.fd.get(), *target, p) == 0) {
        std::string why = "no process matches '" + printable_excerpt(to) + "'";
        master_.emit(Json{{"event", "message"},
                          {"worker_id", p->id},
                          {"pid", p->child.pid()},
                          {"undelivered", why},
                          {"data", data}},
                     p, "ptool:send not delivered: " + why);
        send_failed(p, data["to"], why, payload);
    }
}

void Router::on_other(Proc* p, const Json& data, IpcDecoded&) {
    master_.emit(
        Json{{"event", "message"}, {"worker_id", p->id}, {"pid", p->child.pid()}, {"data", data}},
        p, "message " + json_text(data));
}

// Tells a worker that its ptool:send reached nobody.
void Router::send_failed(Proc* p, const Json& to, const std::string& why, const Json& data) {
    if (p->channel.is_open())
        deliver_text(
            p, json_text(
                   Json{{"cmd", "ptool:send-failed"}, {"to", to}, {"error", why}, {"data", data}}));
}

int Router::route(const Json& data, int fd, const RouteTarget& target, const Proc* from) {
    if (target.kind == RouteTarget::Kind::master) {
        Json ev{{"event", "message"}};
        if (from) ev["worker_id"] = from->id, ev["pid"] = from->child.pid();
        ev["data"] = data;
        master_.emit(ev, from, "message " + json_text(data));
        return 1;
    }
    auto& targets = match_targets(target);
    if (fd >= 0) {
        for (Proc* p : targets) deliver_handle(p, data, fd);
    } else if (!targets.empty()) {
        const std::string text = json_text(data);  // once, however many get it
        for (Proc* p : targets) deliver_text(p, text);
    }
    master_.counters().messages_routed += static_cast<long long>(targets.size());
    return static_cast<int>(targets.size());
}

// Later messages to `p` wait for the worker's ACK of the handle.
void Router::deliver_handle(Proc* p, const Json& data, int fd) {
    queue_counted(master_, p, [&] { p->channel.send_handle(data, fd); });
}

void Router::flush_channels() {
    for (auto& p : master_.procs())
        if (p->channel.is_open() && p->channel.wants_write()) update_channel_watch(p.get());
}

}  // namespace ptool::cluster
