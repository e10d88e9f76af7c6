// fork-cluster telling systemd how it is doing (sd_notify upwards, Type=notify):
// READY=1 once every worker (and the agent) is online, STATUS= as the numbers change
// ("4/4 workers online", "reloading 2/4"), RELOADING=1 ... READY=1 around a rolling
// reload, STOPPING=1 at shutdown, WATCHDOG=1 at half of WATCHDOG_USEC while the loop
// runs. Workers notify the master's own receiver, never this socket.
#include <set>

#include "tools/fork_cluster/master.hpp"

namespace ptool::cluster {

// Every event may change the numbers; they are looked at as it is emitted (a reload
// of workers that are ready at once begins and ends within one loop turn).
void Master::service_changed() {
    if (service_.enabled()) notify_service();
}

void Master::notify_service() {
    if (shutting_down_) {
        if (!service_stopping_) service_.send("STOPPING=1\nSTATUS=stopping");
        service_stopping_ = true;
        return;
    }
    std::set<int> online;
    bool agent_online = config_.agent.empty();
    for (const auto& p : procs_) {
        if (p->state != Proc::State::online) continue;
        if (p->agent)
            agent_online = true;
        else
            online.insert(p->id);
    }
    int n = target_workers_;
    std::string status = reload_status_text();
    bool reloading = !status.empty();
    if (!reloading)
        status = std::to_string(online.size()) + "/" + std::to_string(n) + " workers online";
    if (!agent_online) status += ", agent not ready";
    std::string message;
    if (reloading && service_ready_ && !service_reloading_) {
        message = ServiceNotifier::reloading_message() + "\n";
        service_reloading_ = true;
    } else if (!reloading && (service_reloading_ || (!service_ready_ && agent_online &&
                                                     static_cast<int>(online.size()) >= n))) {
        message = "READY=1\n";
        service_ready_ = true;
        service_reloading_ = false;
    }
    if (status != service_status_) message += "STATUS=" + status;
    service_status_ = status;
    if (!message.empty()) service_.send(message);
}

void Master::start_service_watchdog() {
    auto interval = service_.watchdog_interval();
    if (!interval) return;
    loop_.add_timer(*interval, [this] {
        service_.send("WATCHDOG=1");
        start_service_watchdog();
    });
}

}  // namespace ptool::cluster
