// fork-cluster upgrading its own master in place (issue 11, section 4): a copy of the
// ptool binary runs the cluster, the file is replaced by a fresh copy, and
// {"cmd":"upgrade"} or SIGUSR2 re-executes it -- same pid, same workers and channels,
// the shared socket served throughout by a client loop that must see no failure. Also
// what happens when the binary is gone, and when a new image cannot read its state.
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <optional>
#include <thread>

#include "fork_cluster_ops.hpp"

using namespace cluster_test;
namespace fs = std::filesystem;

namespace {

// A master run from `binary` (a copy of ptool), --json events in DIR/events.jsonl.
class UpgradeMaster {
public:
    UpgradeMaster(const TempDir& dir, const std::string& binary, std::vector<std::string> args)
        : events_(dir / "events.jsonl") {
        std::vector<std::string> argv = {binary, "fork-cluster", "--json", "--control",
                                         dir / "ctl"};
        argv.insert(argv.end(), args.begin(), args.end());
        std::vector<std::string> env;
        for (char** e = environ; *e; ++e) env.emplace_back(*e);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 2, events_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                         0644);
        int rc = spawn_clean(pid_, argv, env, fa);
        posix_spawn_file_actions_destroy(&fa);
        REQUIRE(rc == 0);
    }
    ~UpgradeMaster() {
        if (status_ < 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
    }
    pid_t pid() const { return pid_; }
    std::vector<json> named(const std::string& name) const {
        std::vector<json> out;
        std::string text = read_file(events_);
        size_t start = 0;
        for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
            auto e = json::parse(text.substr(start, nl - start), nullptr, false);
            if (e.is_object() && e.value("event", "") == name) out.push_back(e);
        }
        return out;
    }
    bool wait_events(const std::string& name, size_t n) const {
        return wait_until([&] { return named(name).size() >= n; }, 20s);
    }
    // A "message" event whose data has `key` equal to `value`.
    bool wait_message(const std::string& key, const json& value) const {
        return wait_until(
            [&] {
                for (auto& e : named("message"))
                    if (e["data"].is_object() && e["data"].value(key, json()) == value) return true;
                return false;
            },
            20s);
    }
    int port() const {
        if (!wait_events("listen", 1)) return 0;
        std::string a = named("listen")[0]["address"];
        return std::stoi(a.substr(a.rfind(':') + 1));
    }
    int stop() {
        kill(pid_, SIGTERM);
        wait_until(
            [&] {
                int st;
                if (waitpid(pid_, &st, WNOHANG) != pid_) return false;
                status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                return true;
            },
            20s);
        return status_;
    }

private:
    std::string events_;
    pid_t pid_ = -1;
    int status_ = -1;
};

// Requests GET / on `port`, a fresh connection each, until stopped; counts the outcomes.
class LoadLoop {
public:
    explicit LoadLoop(int port)
        : thread_([this, port] {
              while (!stop_) {
                  int fd = connect_loopback(port);
                  std::string reply;
                  if (fd >= 0) {
                      std::string req = "GET / HTTP/1.0\r\nHost: x\r\n\r\n";
                      if (write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size())) {
                          char buf[1024];
                          for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;)
                              reply.append(buf, static_cast<size_t>(n));
                      }
                      close(fd);
                  }
                  (reply.starts_with("HTTP/1.0 200") && reply.find("pid=") != std::string::npos
                       ? ok_
                       : failed_)++;
              }
          }) {}
    ~LoadLoop() { finish(); }
    void finish() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }
    int ok() const { return ok_; }
    int failed() const { return failed_; }
    // Waits until `more` requests beyond now succeeded.
    bool wait_more(int more) const {
        int target = ok_ + more;
        return wait_until([&] { return ok_ >= target; }, 20s);
    }

private:
    std::atomic<bool> stop_{false};
    std::atomic<int> ok_{0}, failed_{0};
    std::thread thread_;
};

std::string copy_binary(const TempDir& dir, const std::string& name) {
    std::string path = dir / name;
    fs::copy_file(ptool_bin(), path, fs::copy_options::overwrite_existing);
    fs::permissions(path, fs::perms::owner_all);
    return path;
}

// A package upgrade: a fresh file renamed over the running one.
void replace_binary(const TempDir& dir, const std::string& path) {
    std::string fresh = copy_binary(dir, "ptool.new");
    fs::rename(fresh, path);
}

std::string exe_of(pid_t pid) {
    return fs::read_symlink("/proc/" + std::to_string(pid) + "/exe").string();
}

json control(const TempDir& dir, const json& request) {
    std::string reply = control_request(dir / "ctl", request.dump(), 20s);
    return json::parse(reply, nullptr, false);
}

std::vector<int> worker_pids_at(const TempDir& dir) {
    std::vector<int> pids;
    json status = control(dir, {{"cmd", "status"}});
    for (auto& w : status["workers"]) pids.push_back(w["pid"]);
    std::sort(pids.begin(), pids.end());
    return pids;
}

std::vector<std::string> cluster_args() {
    return {"-w", "2", "--listen", "127.0.0.1:0", "--", "python3", fixture("upgrade_worker.py")};
}

// After an upgrade: the same pid runs the new file, with the same workers, counting it;
// half a message from before is completed after, and worker-to-worker routing works.
void check_upgraded(const TempDir& dir, UpgradeMaster& m, const std::vector<int>& before) {
    REQUIRE(m.wait_events("upgraded", 1));
    auto up = m.named("upgraded")[0];
    CHECK(up.contains("version"));
    CHECK(up.contains("from_version"));
    CHECK(exe_of(m.pid()).find("(deleted)") == std::string::npos);
    json status = control(dir, {{"cmd", "status"}});
    CHECK(status["pid"] == m.pid());
    CHECK(status["master"]["upgrades"] == 1);
    CHECK(worker_pids_at(dir) == before);
    // The rest of the message whose first half the old image read.
    CHECK(control(dir, {{"cmd", "send"}, {"to", "worker:1"}, {"data", {{"cmd", "rest"}}}})["ok"] ==
          true);
    CHECK(m.wait_message("part", 1));
    json relay = {{"cmd", "relay"}, {"to", "worker:2"}, {"data", {{"cmd", "hello"}}}};
    CHECK(control(dir, {{"cmd", "send"}, {"to", "worker:1"}, {"data", relay}})["ok"] == true);
    CHECK(m.wait_message("worker", "2"));
}

}  // namespace

namespace {

// Two python workers served by a client loop, run from a copy of ptool in the test's
// directory; `before`: the worker pids once the loop got answers.
struct ServedCluster {
    TempDir dir;
    std::string bin = copy_binary(dir, "ptool");
    UpgradeMaster m{dir, bin, cluster_args()};
    std::optional<LoadLoop> load;
    std::vector<int> before;

    ServedCluster() {
        REQUIRE(m.wait_events("online", 2));
        load.emplace(m.port());
        REQUIRE(load->wait_more(20));
        before = worker_pids_at(dir);
        REQUIRE(before.size() == 2);
    }
    // Worker 1 leaves half a message in the master's buffer.
    void half_message() {
        json half = {{"cmd", "send"}, {"to", "worker:1"}, {"data", {{"cmd", "half"}}}};
        REQUIRE(control(dir, half)["ok"] == true);
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
    json reply = control(c.dir, {{"cmd", "upgrade"}});
    CHECK(reply["ok"] == true);
    CHECK(reply["upgraded"] == true);
    CHECK(reply["pid"] == c.m.pid());
    REQUIRE(c.m.wait_events("upgrade", 1));
    check_upgraded(c.dir, c.m, c.before);
    c.finish();
}

TEST_CASE("fork-cluster upgrades on SIGUSR2 as on the upgrade request") {
    ServedCluster c;
    replace_binary(c.dir, c.bin);
    c.half_message();
    kill(c.m.pid(), SIGUSR2);
    check_upgraded(c.dir, c.m, c.before);
    CHECK(c.m.named("signal").empty());  // USR2 is the master's, not forwarded
    c.finish();
}

TEST_CASE("fork-cluster upgrade with its binary removed fails and the old image serves on") {
    ServedCluster c;
    fs::remove(c.bin);
    json reply = control(c.dir, {{"cmd", "upgrade"}});
    CHECK(reply["ok"] == false);
    CHECK(reply["error"].get<std::string>().find("execve") != std::string::npos);
    REQUIRE(c.m.wait_events("upgrade_failed", 1));
    CHECK(c.m.named("upgraded").empty());
    CHECK(control(c.dir, {{"cmd", "status"}})["master"]["upgrades"] == 0);
    CHECK(worker_pids_at(c.dir) == c.before);
    c.finish();
}

TEST_CASE("fork-cluster refuses an upgrade while a reload runs") {
    TempDir dir;
    std::string bin = copy_binary(dir, "ptool");
    // Workers that never say online: each reload step waits for its --ready-timeout.
    UpgradeMaster m(
        dir, bin,
        {"-w", "1", "--listen", "127.0.0.1:0", "--ready-timeout", "20s", "--", "sh", "-c",
         "[ -e " + shell_quote(dir / "reloading") + " ] && exec sleep 30; exec python3 " +
             shell_quote(fixture("upgrade_worker.py"))});
    REQUIRE(m.wait_events("online", 1));
    write_file(dir / "reloading", "");
    REQUIRE(control(dir, {{"cmd", "reload"}})["ok"] == true);
    REQUIRE(m.wait_events("fork", 2));
    json reply = control(dir, {{"cmd", "upgrade"}});
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
