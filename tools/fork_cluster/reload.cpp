// fork-cluster's rolling reload: every worker older than the HUP is replaced, its
// replacement first, the old process stopped once that one is ready. The first slot of
// a reload is its canary, alone; then --reload-batch slots at a time, the next batch
// once the whole batch is in. A replacement that crashes before it is ready, or whose
// probe never answers, stops the reload: the old process of the failed slot keeps
// serving (it was never stopped), so do those of the slots not yet reached and of the
// batch's other slots (their replacements still starting are stopped), and an event
// and the status say why.
#include "libcommon/core/parse.hpp"
#include "tools/fork_cluster/master.hpp"

namespace ptool::cluster {

void Master::reload() {
    if (shutting_down_) return;
    ++counters_.reloads;
    reload_failure_.clear();
    emit(Json{{"event", "reload"}, {"workers", slots_.size()}, {"batch", config_.reload_batch}},
         nullptr, "rolling reload");
    // Every worker older than this HUP goes, those being replaced now included: their
    // replacements started before the HUP, so they are queued again. The next one
    // started is this HUP's canary.
    for (const auto& [id, slot] : slots_)
        if (id > 0 &&
            std::find(reload_queue_.begin(), reload_queue_.end(), id) == reload_queue_.end())
            reload_queue_.push_back(id);
    reload_started_ = 0;
    if (reload_slots_.empty()) advance_reload();
}

// The next batch: one slot (the canary) first, then --reload-batch of them. All of a
// batch are marked before any starts: one that is ready at once (--ready exec) does not
// end the batch while the others are still to start.
void Master::advance_reload() {
    if (!reload_slots_.empty() || shutting_down_) return;
    size_t n = reload_started_ == 0 ? 1 : static_cast<size_t>(config_.reload_batch);
    std::vector<int> batch;
    while (!reload_queue_.empty() && batch.size() < n) {
        int id = reload_queue_.front();
        reload_queue_.pop_front();
        if (!slots_.count(id)) continue;
        for (auto& p : procs_)
            if (!p->agent && p->id == id && p->serving()) p->replace_me = true;
        reload_slots_.insert(id);
        batch.push_back(id);
    }
    reload_started_ += static_cast<int>(batch.size());
    for (int id : batch)  // a slot waiting for a restart gets its replacement from that restart
        if (reload_replacing(id) && !restart_pending(id)) start_slot(id);
}

std::optional<Master::ReloadProgress> Master::reload_progress() const {
    if (reload_slots_.empty() && reload_queue_.empty()) return std::nullopt;
    auto left = static_cast<int>(reload_queue_.size() + reload_slots_.size());
    return ReloadProgress{std::max(0, target_workers_ - left), target_workers_};
}

std::string Master::reload_status_text() const {
    auto progress = reload_progress();
    if (!progress) return "";
    std::string text =
        "reloading " + std::to_string(progress->replaced) + "/" + std::to_string(progress->workers);
    if (config_.reload_batch > 1)
        text += ", " + std::to_string(config_.reload_batch) + " at a time";
    return text;
}

void Master::reload_slot_done(int id) {
    reload_slots_.erase(id);
    advance_reload();
}

bool Master::reload_failed(int id, pid_t pid, const ExitStatus& st, bool hung) {
    bool old_serves = false;
    for (auto& q : procs_)
        if (!q->agent && q->id == id && q->replace_me && q->state != Proc::State::stopping)
            old_serves = true;
    if (!old_serves) return false;  // nothing to fall back on: the restart policy decides
    size_t left = reload_queue_.size();
    std::vector<Proc*> abandoned;  // the batch's other replacements not yet ready
    for (auto& q : procs_) {
        if (q->agent || !reload_replacing(q->id)) continue;
        if (q->replace_me)
            q->replace_me = false;  // it serves on
        else if (q->id != id && q->state == Proc::State::starting)
            abandoned.push_back(q.get());
    }
    std::string how = hung ? "never became ready"
                      : st.exited()
                          ? "exited with code " + std::to_string(st.code()) + " before it was ready"
                          : "was killed by " + signal_name(st.signal()) + " before it was ready";
    reload_failure_ = "worker " + std::to_string(id) + " (pid " + std::to_string(pid) + ") " + how;
    left += abandoned.size();
    reload_queue_.clear();
    reload_slots_.clear();
    for (Proc* q : abandoned) stop_proc(q);
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
