// fork-cluster upgrading its own master in place (issue 11, section 4): a copy of the
// ptool binary runs the cluster, the file is replaced by a fresh copy, and
// {"cmd":"upgrade"} or SIGUSR2 re-executes it -- same pid, same workers and channels,
// the shared socket served throughout by a client loop that must see no failure. Also
// what happens when the binary is gone, and when a new image cannot read its state.
#include <algorithm>
#include <filesystem>
#include <optional>

#include "cluster_harness.hpp"

using namespace cluster_test;
namespace fs = std::filesystem;

namespace {

// The workers' pids, sorted.
std::vector<int> sorted_worker_pids(const Master& m) {
    auto pids = worker_pids(m);
    std::sort(pids.begin(), pids.end());
    return pids;
}

std::vector<std::string> cluster_args() {
    return {"-w",  "2",        "--control",
            "CTL", "--listen", "127.0.0.1:0",
            "--",  "python3",  fixture("upgrade_worker.py")};
}

// After an upgrade: the same pid runs the new file, with the same workers, counting it;
// half a message from before is completed after, and worker-to-worker routing works.
void check_upgraded(const Master& m, const std::vector<int>& before) {
    REQUIRE(m.wait_events("upgraded", 1));
    auto up = m.events_named("upgraded")[0];
    CHECK(up.contains("version"));
    CHECK(up.contains("from_version"));
    CHECK(exe_of(m.pid()).find("(deleted)") == std::string::npos);
    json status = control_reply(m, {{"cmd", "status"}});
    CHECK(status["pid"] == m.pid());
    CHECK(status["master"]["upgrades"] == 1);
    CHECK(sorted_worker_pids(m) == before);
    // The rest of the message whose first half the old image read.
    CHECK(control_reply(
              m, {{"cmd", "send"}, {"to", "worker:1"}, {"data", {{"cmd", "rest"}}}})["ok"] == true);
    CHECK(m.wait_message("part", 1));
    json relay = {{"cmd", "relay"}, {"to", "worker:2"}, {"data", {{"cmd", "hello"}}}};
    CHECK(control_reply(m, {{"cmd", "send"}, {"to", "worker:1"}, {"data", relay}})["ok"] == true);
    CHECK(m.wait_message("worker", "2"));
}

// Two python workers served by a client loop, run from a copy of ptool in the test's
// directory; `before`: the worker pids once the loop got answers.
struct ServedCluster {
    TempDir dir;  // the binary's, beside the master's own
    std::string bin = copy_binary(dir, "ptool");
    Master m{cluster_args(), {}, -1, bin};
    std::optional<LoadLoop> load;
    std::vector<int> before;

    ServedCluster() {
        REQUIRE(m.wait_events("online", 2));
        load.emplace(m.port());
        REQUIRE(load->wait_more(20));
        before = sorted_worker_pids(m);
        REQUIRE(before.size() == 2);
    }
    // Worker 1 leaves half a message in the master's buffer.
    void half_message() {
        json half = {{"cmd", "send"}, {"to", "worker:1"}, {"data", {{"cmd", "half"}}}};
        REQUIRE(control_reply(m, half)["ok"] == true);
        REQUIRE(m.wait_message("cmd", "half-ack"));
    }
    // More answers, none failed since the start, and a TERM stops it all with status 0.
    void finish() {
        CHECK(load->wait_more(20));
        load->finish();
        CHECK(load->failed() == 0);
        CHECK(m.stop() == 0);
        for (int pid : before) CHECK_FALSE(process_alive(pid));
    }
};

}  // namespace

TEST_CASE("fork-cluster upgrade re-executes the replaced binary in place with no failed request") {
    ServedCluster c;
    replace_binary(c.dir, c.bin);
    REQUIRE(exe_of(c.m.pid()).find("(deleted)") != std::string::npos);
    c.half_message();
    json reply = control_reply(c.m, {{"cmd", "upgrade"}});
    CHECK(reply["ok"] == true);
    CHECK(reply["upgraded"] == true);
    CHECK(reply["pid"] == c.m.pid());
    REQUIRE(c.m.wait_events("upgrade", 1));
    check_upgraded(c.m, c.before);
    c.finish();
}

TEST_CASE("fork-cluster upgrades on SIGUSR2 as on the upgrade request") {
    ServedCluster c;
    replace_binary(c.dir, c.bin);
    c.half_message();
    kill(c.m.pid(), SIGUSR2);
    check_upgraded(c.m, c.before);
    CHECK(c.m.events_named("signal").empty());  // USR2 is the master's, not forwarded
    c.finish();
}

TEST_CASE("fork-cluster upgrade with its binary removed fails and the old image serves on") {
    ServedCluster c;
    fs::remove(c.bin);
    json reply = control_reply(c.m, {{"cmd", "upgrade"}});
    CHECK(reply["ok"] == false);
    CHECK(reply["error"].get<std::string>().find("execve") != std::string::npos);
    REQUIRE(c.m.wait_events("upgrade_failed", 1));
    CHECK(c.m.events_named("upgraded").empty());
    CHECK(control_reply(c.m, {{"cmd", "status"}})["master"]["upgrades"] == 0);
    CHECK(sorted_worker_pids(c.m) == c.before);
    c.finish();
}

TEST_CASE("fork-cluster refuses an upgrade while a reload runs") {
    TempDir dir;
    std::string bin = copy_binary(dir, "ptool");
    // Workers that never say online: each reload step waits for its --ready-timeout.
    Master m({"-w", "1", "--control", "CTL", "--listen", "127.0.0.1:0", "--ready-timeout", "20s",
              "--", "sh", "-c",
              "[ -e " + shell_quote(dir / "reloading") + " ] && exec sleep 30; exec python3 " +
                  shell_quote(fixture("upgrade_worker.py"))},
             {}, -1, bin);
    REQUIRE(m.wait_events("online", 1));
    write_file(dir / "reloading", "");
    REQUIRE(control_reply(m, {{"cmd", "reload"}})["ok"] == true);
    REQUIRE(m.wait_events("fork", 2));
    json reply = control_reply(m, {{"cmd", "upgrade"}});
    CHECK(reply["ok"] == false);
    CHECK(reply["error"].get<std::string>().find("reload") != std::string::npos);
    CHECK(m.stop() == 0);
}

TEST_CASE("fork-cluster started with a state it cannot read says why and exits 1") {
    RunOptions o;
    o.env = {{"PTOOL_UPGRADE_STATE", "999"}};
    auto r = run({ptool_bin(), "fork-cluster", "--", "true"}, o);
    CHECK(r.status == 1);
    CHECK(r.err.find("upgrade: cannot take over from the previous image") != std::string::npos);
}
