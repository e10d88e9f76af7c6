// fork-cluster's agent as Egg users expect it: the workers start once the agent is
// ready, an agent that comes back is announced to every worker
// ({"cmd":"ptool:agent-restarted"}), and only {"cmd":"reload","agent":true} reloads it.
#include "cluster_harness.hpp"

using namespace cluster_test;

TEST_CASE("with --agent the workers start only once the agent said READY=1") {
    TempDir dir;
    write_file(dir / "agent.py", R"(
import os, socket, sys, time
while not os.path.exists(sys.argv[1]):
    time.sleep(0.02)
a = os.environ["NOTIFY_SOCKET"]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"READY=1", "\0" + a[1:] if a.startswith("@") else a)
time.sleep(1000)
)");
    Master m({"-w", "2", "--ready-timeout", "20s", "--agent",
              "python3 " + (dir / "agent.py") + " " + (dir / "go"), "--", "node",
              fixture("messenger.js")});
    REQUIRE(m.wait_events("fork", 1));
    CHECK(m.events_named("fork")[0]["worker_id"] == 0);
    write_file(dir / "go", "");
    REQUIRE(m.wait_events("online", 3));
    auto events = m.events();
    long agent_online = index_of(events, [](const json& e) {
        return e.value("event", "") == "online" && e["worker_id"] == 0;
    });
    long first_worker = index_of(events, [](const json& e) {
        return e.value("event", "") == "fork" && e["worker_id"] != 0;
    });
    REQUIRE(agent_online >= 0);
    CHECK(first_worker > agent_online);
    CHECK(m.stop() == 0);
}

TEST_CASE("an agent that died and came back is announced to every worker") {
    Master m({"-w", "2", "--ready", "exec", "--agent", "sleep 100", "--control", "CTL", "--",
              "node", fixture("messenger.js")});
    REQUIRE(m.wait_events("online", 3));
    int agent = m.events_named("fork")[0]["pid"];
    kill(agent, SIGKILL);
    REQUIRE(m.wait_events("agent_restarted", 1));
    REQUIRE(wait_until(
        [&] {
            int n = 0;
            for (auto& e : m.events_named("message"))
                if (e["data"]["received"].value("cmd", "") == "ptool:agent-restarted") ++n;
            return n == 2;
        },
        20s));
    auto status = json::parse(control_request(m.ctl(), R"({"cmd":"status"})"));
    CHECK(status["agent"]["pid"] != agent);
    CHECK(m.stop() == 0);
}

TEST_CASE("a reload leaves the agent alone unless the request says agent:true") {
    Master m({"-w", "1", "--ready", "exec", "--agent", "sleep 100", "--control", "CTL", "--",
              "sleep", "100"});
    REQUIRE(m.wait_events("online", 2));
    int agent = m.events_named("fork")[0]["pid"];
    CHECK(json::parse(control_request(m.ctl(), R"({"cmd":"reload"})"))["ok"] == true);
    REQUIRE(m.wait_events("online", 3));  // the worker's replacement
    auto status = json::parse(control_request(m.ctl(), R"({"cmd":"status"})"));
    CHECK(status["agent"]["pid"] == agent);
    CHECK(json::parse(control_request(m.ctl(), R"({"cmd":"reload","agent":true})"))["ok"] == true);
    REQUIRE(wait_until(
        [&] {
            auto s = json::parse(control_request(m.ctl(), R"({"cmd":"status"})"));
            return s["agent"].is_object() && s["agent"]["pid"] != agent &&
                   s["agent"]["state"] == "online";
        },
        20s));
    CHECK(m.stop() == 0);
}
