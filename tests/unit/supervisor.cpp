// The Supervisor (libcommon/supervise/): its restart policy as pure logic (backoff
// sequence, reset after a run that lasted, budget, never/on-failure/always), then
// the Supervisor itself on a real EventLoop with short-lived children.
#include "libcommon/supervise/supervisor.hpp"

#include <signal.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <vector>

#include "test_support.hpp"

using namespace std::chrono_literals;
using ptool::Backoff;
using ptool::RestartBudget;
using ptool::RestartMode;
using ptool::RestartPolicy;
using ptool::SupervisedExit;
using Next = SupervisedExit::Next;

namespace {

ptool::ChildSpec shell(const std::string& script) {
    ptool::ChildSpec spec;
    spec.argv = {"/bin/sh", "-c", script};
    return spec;
}

RestartPolicy fast(RestartMode mode) {
    return RestartPolicy{.mode = mode, .delay = 1ms, .delay_max = 4ms, .min_uptime = 1h};
}

std::string comm_of(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
    std::string name;
    std::getline(in, name);
    return name;
}

// What follows each exit of `script` under `mode` until supervision is over.
std::vector<Next> supervise_until_done(const std::string& script, RestartMode mode,
                                       int max_restarts) {
    ptool::EventLoop loop;
    RestartBudget budget(max_restarts, RestartBudget::kForever);
    std::vector<Next> nexts;
    ptool::SupervisorHooks hooks;
    hooks.exited = [&](const SupervisedExit& e) { nexts.push_back(e.next); };
    hooks.done = [&] { loop.stop(); };
    ptool::Supervisor sup(loop, shell(script), fast(mode), budget, hooks);
    sup.start();
    loop.run();
    return nexts;
}

}  // namespace

TEST_CASE("supervisor backoff doubles from the start delay up to the cap") {
    Backoff backoff(RestartPolicy{});  // daemonize --respawn's numbers: 100 ms .. 30 s
    std::vector<ptool::Duration> seen;
    for (int i = 0; i < 11; ++i) seen.push_back(backoff.next(0s));
    CHECK(seen == std::vector<ptool::Duration>{100ms, 200ms, 400ms, 800ms, 1600ms, 3200ms, 6400ms,
                                               12800ms, 25600ms, 30s, 30s});
    CHECK(backoff.restarts() == 11);
}

TEST_CASE("supervisor backoff starts over after a run of min_uptime") {
    Backoff backoff(RestartPolicy{.delay = 100ms, .delay_max = 30s, .min_uptime = 1s});
    CHECK(backoff.next(0s) == 100ms);
    CHECK(backoff.next(999ms) == 200ms);  // too short a run: keeps doubling
    CHECK(backoff.next(400ms) == 400ms);
    CHECK(backoff.next(1s) == 100ms);  // it had run
    CHECK(backoff.next(0s) == 200ms);
    CHECK(backoff.restarts() == 5);  // the count is never reset
}

TEST_CASE("restart modes: never, on-failure, always") {
    CHECK_FALSE(RestartPolicy{.mode = RestartMode::never}.restarts_after(true));
    CHECK_FALSE(RestartPolicy{.mode = RestartMode::never}.restarts_after(false));
    CHECK(RestartPolicy{.mode = RestartMode::on_failure}.restarts_after(true));
    CHECK_FALSE(RestartPolicy{.mode = RestartMode::on_failure}.restarts_after(false));
    CHECK(RestartPolicy{.mode = RestartMode::always}.restarts_after(true));
    CHECK(RestartPolicy{.mode = RestartMode::always}.restarts_after(false));
}

TEST_CASE("a restart budget without a window is a plain count") {
    RestartBudget budget(3, RestartBudget::kForever);
    auto t0 = std::chrono::steady_clock::time_point{};
    CHECK(budget.spend(t0));
    CHECK(budget.spend(t0 + 1000h));
    CHECK(budget.spend(t0 + 2000h));
    CHECK_FALSE(budget.spend(t0 + 3000h));
}

TEST_CASE("supervisor restarts a failing child until the budget is spent") {
    ptool::EventLoop loop;
    RestartBudget budget(2, RestartBudget::kForever);
    int started = 0;
    bool done = false;
    std::vector<Next> nexts;
    std::vector<int> codes;
    ptool::SupervisorHooks hooks;
    hooks.started = [&](ptool::Child&) { ++started; };
    hooks.exited = [&](const SupervisedExit& e) {
        nexts.push_back(e.next);
        codes.push_back(e.status ? e.status->code() : -1);
    };
    hooks.done = [&] { done = true, loop.stop(); };
    ptool::Supervisor sup(loop, shell("exit 3"), fast(RestartMode::on_failure), budget, hooks);
    sup.start();
    loop.run();
    CHECK(done);
    CHECK(started == 3);
    CHECK(nexts == std::vector<Next>{Next::restart, Next::restart, Next::give_up});
    CHECK(codes == std::vector<int>{3, 3, 3});
    CHECK(sup.restarts() == 2);
}

TEST_CASE("supervisor on-failure lets a child that exits 0 end supervision") {
    CHECK(supervise_until_done("exit 0", RestartMode::on_failure, 0) ==
          std::vector<Next>{Next::stop});
}

TEST_CASE("supervisor always restarts a child that exits 0") {
    CHECK(supervise_until_done("exit 0", RestartMode::always, 1) ==
          std::vector<Next>{Next::restart, Next::give_up});
}

TEST_CASE("supervisor never restarts a child that failed") {
    CHECK(supervise_until_done("exit 1", RestartMode::never, 0) == std::vector<Next>{Next::stop});
}

TEST_CASE("supervisor stop sends the signal, then SIGKILL after the grace") {
    ptool::EventLoop loop;
    RestartBudget budget(0, RestartBudget::kForever);
    std::vector<Next> nexts;
    int killed_by = 0;
    ptool::SupervisorHooks hooks;
    hooks.exited = [&](const SupervisedExit& e) {
        nexts.push_back(e.next);
        killed_by = e.status ? e.status->signal() : 0;
    };
    hooks.done = [&] { loop.stop(); };
    // An ignored signal stays ignored across exec: the sleep ignores TERM.
    ptool::Supervisor sup(loop, shell("trap '' TERM; exec sleep 100"), fast(RestartMode::always),
                          budget, hooks);
    sup.start();
    pid_t pid = sup.child().pid();
    REQUIRE(ptool::test::wait_until([&] { return comm_of(pid) == "sleep"; }));
    sup.stop(SIGTERM, 10ms);
    CHECK(sup.stopping());
    loop.run();
    CHECK(nexts == std::vector<Next>{Next::stop});  // stopping: no restart, even with always
    CHECK(killed_by == SIGKILL);
}

TEST_CASE("supervisor takes a silent child as ready after the ready timeout, once") {
    ptool::EventLoop loop;
    RestartBudget budget(0, RestartBudget::kForever);
    int timeouts = 0, ready = 0;
    ptool::SupervisorHooks hooks;
    hooks.ready = [&] {
        ++ready;
        loop.stop();
    };
    ptool::Supervisor sup(loop, shell("exec sleep 100"), fast(RestartMode::never), budget, hooks);
    sup.set_ready_timeout(1ms, [&] { ++timeouts; });
    sup.start();
    CHECK_FALSE(sup.is_ready());
    loop.run();
    CHECK(timeouts == 1);
    CHECK(ready == 1);
    CHECK(sup.is_ready());
    sup.mark_ready();  // a late READY=1 changes nothing
    CHECK(ready == 1);
    sup.stop(SIGKILL);
    while (sup.child().running()) loop.run_once(100ms);  // reaped by the loop
}

TEST_CASE(
    "supervisor decide hook overrides the mode, a failed launch retries with start_or_retry") {
    ptool::EventLoop loop;
    RestartBudget budget(5, RestartBudget::kForever);
    auto backoff = std::make_shared<Backoff>(fast(RestartMode::never));
    int specs = 0;
    std::vector<bool> had_status;
    std::vector<Next> nexts;
    ptool::SupervisorHooks hooks;
    // The first launch fails (no such program), the second runs "exit 0".
    hooks.make_spec = [&] {
        ptool::ChildSpec missing;
        missing.argv = {"/nonexistent/ptool-test"};
        return ++specs == 1 ? missing : shell("exit 0");
    };
    hooks.decide = [&](const SupervisedExit& e) {
        had_status.push_back(e.status != nullptr);
        return e.status == nullptr;  // never mode, but a failed launch is tried again
    };
    hooks.exited = [&](const SupervisedExit& e) { nexts.push_back(e.next); };
    hooks.done = [&] { loop.stop(); };
    ptool::Supervisor sup(loop, {}, fast(RestartMode::never), budget, hooks, backoff);
    sup.start_or_retry();
    loop.run();
    CHECK(specs == 2);
    CHECK(had_status == std::vector<bool>{false, true});
    CHECK(nexts == std::vector<Next>{Next::restart, Next::stop});
    CHECK(backoff->restarts() == 1);  // the shared backoff counted the restart
}

TEST_CASE("supervisor stop called again re-arms the grace, a zero signal only arms it") {
    ptool::EventLoop loop;
    RestartBudget budget(0, RestartBudget::kForever);
    int killed_by = 0, done = 0;
    ptool::SupervisorHooks hooks;
    hooks.exited = [&](const SupervisedExit& e) { killed_by = e.status ? e.status->signal() : 0; };
    hooks.done = [&] { ++done, loop.stop(); };
    ptool::Supervisor sup(loop, shell("trap '' TERM; exec sleep 100"), fast(RestartMode::always),
                          budget, hooks);
    sup.start();
    pid_t pid = sup.child().pid();
    REQUIRE(ptool::test::wait_until([&] { return comm_of(pid) == "sleep"; }));
    sup.stop(0, 1h);  // a retiring child: no signal, no restart, SIGKILL after an hour
    CHECK(sup.stopping());
    CHECK(sup.child().running());
    sup.stop(SIGTERM, 10ms);  // then stopped: the grace starts anew, short
    loop.run();
    CHECK(killed_by == SIGKILL);
    sup.stop(SIGTERM);  // nothing runs: done is not called twice
    CHECK(done == 1);
}
