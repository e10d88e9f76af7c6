// fork-cluster's reload safety: a replacement that crashes before it is ready, or whose
// probe never answers, stops the rolling reload. The first slot of a reload is its
// canary; the old process of the failed slot keeps serving (it was never stopped), the
// slots not yet reached keep theirs, and an event and the status say why.
#include "libcommon/core/parse.hpp"
#include "tools/fork_cluster/master.hpp"

namespace ptool::cluster {

bool Master::reload_failed(int id, pid_t pid, const ExitStatus& st, bool hung) {
    bool old_serves = false;
    for (auto& q : procs_)
        if (!q->agent && q->id == id && q->replace_me && q->state != Proc::State::stopping)
            old_serves = true;
    if (!old_serves) return false;  // nothing to fall back on: the restart policy decides
    for (auto& q : procs_)
        if (!q->agent && q->id == id) q->replace_me = false;  // it serves on
    std::string how = hung ? "never became ready"
                      : st.exited()
                          ? "exited with code " + std::to_string(st.code()) + " before it was ready"
                          : "was killed by " + signal_name(st.signal()) + " before it was ready";
    reload_failure_ = "worker " + std::to_string(id) + " (pid " + std::to_string(pid) + ") " + how;
    size_t left = reload_queue_.size();
    reload_queue_.clear();
    reload_slot_ = 0;
    emit(Json{{"event", "reload_failed"},
              {"worker_id", id},
              {"pid", pid},
              {"reason", hung ? "not_ready" : "exited"},
              {"code", st.exited() ? Json(st.code()) : Json(nullptr)},
              {"signal", st.exited() || hung ? Json(nullptr) : Json(signal_name(st.signal()))},
              {"skipped", left}},
         nullptr, "reload stopped: the new " + reload_failure_ + "; the old workers keep serving");
    return true;
}

}  // namespace ptool::cluster
