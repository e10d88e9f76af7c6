// fork-cluster's control-socket requests, answered without a running master: one
// JSON line in, one {"ok":...} reply out, through a {cmd -> handler} table over the
// few things a master can be asked to do (ControlActions). Whatever the line holds
// (not JSON, numbers out of range, deep nesting, invalid UTF-8, a handler that
// throws), the reply is a JSON object in the project's words; nothing escapes.
#pragma once

#include <string>
#include <string_view>

#include "libcommon/core/json_text.hpp"
#include "libcommon/launch/ipc.hpp"
#include "tools/fork_cluster/cluster.hpp"

namespace ptool {

// What a control request can make the master do.
class ControlActions {
public:
    virtual ~ControlActions() = default;
    virtual Json status() = 0;
    virtual bool shutting_down() const = 0;
    virtual void reload() = 0;
    // {"cmd":"reload","agent":true}: the agent too (a plain reload never touches it).
    virtual void reload_agent() {}
    // Returns the new target number of workers.
    virtual int scale(int workers) = 0;
    // Returns how many processes got `data` (and `fd`, when >= 0).
    virtual int send(const RouteTarget& target, const Json& data, int fd) = 0;
    virtual void stop() = 0;
    // Reopens the log files (after logrotate moved them).
    virtual void rotate() {}
    // Re-executes the master in place; a null reply: the answer follows the outcome.
    virtual Json upgrade() { return Json{{"ok", false}, {"error", "upgrade is not supported"}}; }
};

inline constexpr int kMaxScaleWorkers = 4096;

// Answers one decoded request. Never throws.
Json answer_control_request(IpcDecoded request, ControlActions& actions) noexcept;

// Decodes `message` on `channel` (which queues Node's handle ACKs) and answers it.
// Never throws.
Json answer_control_message(IpcChannel& channel, IpcMessage message,
                            ControlActions& actions) noexcept;

// `text` for an error message: about `max` bytes ("..." past them), control bytes and
// invalid UTF-8 as \xNN.
std::string printable_excerpt(std::string_view text, size_t max = 64);

// Nesting deeper than this is refused: copying or printing a value recurses once per
// level (nlohmann), and 100,000 levels overflow the stack.
inline constexpr size_t kMaxMessageDepth = kMaxJsonDepth;  // the parser's own limit
// Whether `value` nests deeper than `max` arrays/objects (checked without recursion).
bool nests_deeper_than(const Json& value, size_t max);

// A decoder's error in the project's words: a library's tag ("[json.exception.x.N] ")
// taken off, the rest made printable.
std::string ipc_error_words(std::string_view error);

}  // namespace ptool
