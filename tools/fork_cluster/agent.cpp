// Egg's master/agent/worker order: with --agent, the workers start once the agent is
// ready (it said online or READY=1, or --ready-timeout passed); an agent that comes
// back after dying (or after {"cmd":"reload","agent":true}) is announced to every
// worker as {"cmd":"ptool:agent-restarted","pid":PID}. A worker reload leaves it alone.
#include "tools/fork_cluster/master.hpp"

namespace ptool::cluster {

void Master::start_agent_first() {
    waiting_for_agent_ = true;
    new_generation(0, true).sup->start();
}

void Master::on_agent_online(const Proc& p) {
    if (waiting_for_agent_) {
        waiting_for_agent_ = false;
        starting_up_ = true;  // the workers start as at start-up: no "scale" event
        scale(config_.workers);
        starting_up_ = false;
        return;
    }
    emit(Json{{"event", "agent_restarted"}, {"pid", p.child.pid()}}, &p,
         "agent back: telling the workers");
    router_.route(Json{{"cmd", "ptool:agent-restarted"}, {"pid", p.child.pid()}}, -1,
                  RouteTarget{RouteTarget::Kind::workers, 0}, nullptr);
}

// A new agent first; the old one is stopped once the new one is online (on_proc_ready).
void Master::reload_agent() {
    if (shutting_down_ || config_.agent.empty()) return;
    for (auto& p : procs_)
        if (p->agent && p->serving()) p->replace_me = true;
    emit(Json{{"event", "reload_agent"}}, nullptr, "reloading the agent");
    new_generation(0, true).sup->start_or_retry();
}

}  // namespace ptool::cluster
