// libFuzzer target for fork-cluster's control-request handler (libcommon/cluster_control):
// every line of the input is answered by answer_control_message() against a stand-in
// master. Whatever the line, the reply is an object with a boolean "ok", an error is
// ptool's words (no library exception text), and it prints as strict UTF-8 JSON.
// Crashes found here become cases in tests/unit/cluster_control.cpp.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "libcommon/core/json.hpp"
#include "tools/fork_cluster/cluster_control.hpp"

namespace {

class FakeMaster final : public ptool::ControlActions {
public:
    ptool::Json status() override { return ptool::Json{{"ok", true}, {"workers", workers}}; }
    bool shutting_down() const override { return stopping; }
    void reload() override {}
    int scale(int n) override { return workers = n; }
    int send(const ptool::RouteTarget& target, const ptool::Json& data, int) override {
        (void)ptool::json_text(data);
        return target.kind == ptool::RouteTarget::Kind::agent ? 0 : 1;
    }
    void stop() override { stopping = true; }

    int workers = 1;
    bool stopping = false;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    FakeMaster master;
    ptool::IpcChannel channel;  // no socket: NODE_HANDLE ACKs only queue
    channel.set_auto_flush(false);
    for (size_t pos = 0; pos < text.size();) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        ptool::IpcMessage message;
        message.text.assign(text.substr(pos, end - pos));
        // The line may quote a library's tag itself; then the reply may echo it.
        bool quotes_tag = message.text.find("[json.exception.") != std::string::npos;
        pos = end + 1;
        ptool::Json reply = ptool::answer_control_message(channel, std::move(message), master);
        if (!reply.is_object() || !reply.contains("ok") || !reply["ok"].is_boolean())
            __builtin_trap();
        if (reply["ok"] == false) {
            if (!reply.contains("error") || !reply["error"].is_string()) __builtin_trap();
            const auto& error = reply["error"].get_ref<const std::string&>();
            if ((!quotes_tag && error.find("[json.exception.") != std::string::npos) ||
                error.size() > 400)
                __builtin_trap();
        }
        (void)reply.dump();  // strict: throws (and so aborts) on invalid UTF-8
    }
    return 0;
}
