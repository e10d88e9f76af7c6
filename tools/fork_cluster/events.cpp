// fork-cluster's event lines on stderr: one JSON object per line with --json, else
// "ptool: worker N (pid P) what happened"; buffered for a slow reader (EventWriter).
#include <unistd.h>

#include "libcommon/core/error.hpp"
#include "tools/fork_cluster/master.hpp"

namespace ptool::cluster {

std::string json_drop_notice(size_t dropped) {
    return event_line(EventForm::json, Json{{"event", "events_dropped"}, {"count", dropped}}, {});
}

std::string text_drop_notice(size_t dropped) {
    return program_name() + ": " + std::to_string(dropped) +
           " event lines dropped: the reader of stderr fell behind\n";
}

void Master::emit(Json event, const Proc* p, const std::string& human) {
    std::string who;
    if (p && !config_.json)
        who = (p->agent ? "agent" : "worker " + std::to_string(p->id)) + " (pid " +
              std::to_string(p->child.pid()) + ") ";
    if (config_.logs.timestamps && !config_.json) who = utc_time_ms_now() + " " + who;
    events_.emit(event, who + human);
    watch_events_fd();
    service_changed();
}

// While lines wait for the reader of stderr, the loop writes them when it can.
void Master::watch_events_fd() {
    int fd = events_.poll_fd();
    if (fd < 0 || !events_.wants_write() || loop_.watching_fd(fd)) return;
    loop_.watch_fd(fd, EPOLLOUT, [this, fd](uint32_t) {
        if (events_.flush() && !events_.wants_write()) loop_.unwatch_fd(fd);
    });
}

void Master::report(const std::string& message) {
    emit(Json{{"event", "error"}, {"error", message}}, nullptr, message);
}

}  // namespace ptool::cluster
