// fork-cluster's ptool:send fast path (tools/fork_cluster/forward.hpp) against a real Node
// worker: payloads forwarded unparsed and ones the master parses both arrive as sent.
#include <set>

#include "cluster_harness.hpp"

using namespace cluster_test;

TEST_CASE("fork-cluster forwards every ptool:send payload to a Node worker as it was sent") {
    Master m({"-w", "1", "--control", "CTL", "--", "node", fixture("forward_payloads.js")});
    REQUIRE(m.wait_events("online", 1));
    control_request(m.dir() / "ctl", R"({"cmd":"send","to":"worker:1","data":{"go":true}})");
    const int payloads = 11;
    REQUIRE(m.wait_events("message", payloads + 1));
    std::set<int> same;
    bool all = false;
    for (auto& e : m.events_named("message")) {
        const json& d = e["data"];
        if (d.contains("all")) {
            all = d["all"] == payloads;
            continue;
        }
        INFO(d.dump());
        CHECK(d["same"] == true);
        if (d["same"] == true) same.insert(d["i"].get<int>());
    }
    CHECK(all);
    CHECK(same.size() == payloads);
    auto status = json::parse(control_request(m.dir() / "ctl", R"({"cmd":"status"})"));
    INFO(status.dump());
    // The go from the control socket and each payload: counted on either path.
    CHECK(status["master"]["messages_routed"] == payloads + 1);
    kill(m.pid(), SIGTERM);
    CHECK(m.wait_exit() == 0);
}
