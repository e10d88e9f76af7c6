// The output convention of libcommon/core: the one JSON serialisation (json.hpp),
// per-item warnings that fail the run (report.hpp), the one event-stream writer
// (events.hpp) and the LSB exit codes.
#include <fcntl.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include "libcommon/core/error.hpp"
#include "libcommon/core/events.hpp"
#include "libcommon/core/fd.hpp"
#include "libcommon/core/json.hpp"
#include "libcommon/core/output.hpp"
#include "libcommon/core/report.hpp"
#include "test_support.hpp"

using namespace ptool;

namespace {

// Sends this process's stderr to a file while it lives; text() reads what arrived.
class CapturedStderr {
public:
    CapturedStderr() : path_(dir_ / "stderr"), saved_(::dup(STDERR_FILENO)) {
        UniqueFd file = open_file(path_, O_WRONLY | O_CREAT | O_TRUNC);
        ::dup2(file.get(), STDERR_FILENO);
    }
    ~CapturedStderr() { ::dup2(saved_.get(), STDERR_FILENO); }
    std::string text() const { return test::read_file(path_); }

private:
    test::TempDir dir_;
    std::string path_;
    UniqueFd saved_;
};

}  // namespace

TEST_CASE("json_text is compact, keeps key order and replaces invalid UTF-8") {
    Json j = {{"z", 1}, {"a", "x\xff"}, {"list", {1, 2}}};
    CHECK(json_text(j) == "{\"z\":1,\"a\":\"x\xEF\xBF\xBD\",\"list\":[1,2]}");
    CHECK(json_line(j) == json_text(j) + "\n");
    std::string out = "head ";
    append_json_line(out, Json{{"k", nullptr}});
    CHECK(out == "head {\"k\":null}\n");
    CHECK(json_text(nlohmann::json{{"b", 1}, {"a", 2}}) == "{\"a\":2,\"b\":1}");
}

TEST_CASE("Report::warn prints PROGRAM: MESSAGE and fails the run, note does not fail it") {
    set_program_name("ptool test");
    std::string text;
    Report report;
    {
        CapturedStderr err;
        report.note("WARNING: 1 line is improperly formatted");
        CHECK_FALSE(report.failed());
        CHECK(report.exit_status() == exit_code::ok);
        report.warn_errno("'missing'", ENOENT);
        text = err.text();
    }
    set_program_name("ptool");
    CHECK(report.failed());
    CHECK(report.exit_status() == exit_code::failure);
    CHECK(text ==
          "ptool test: WARNING: 1 line is improperly formatted\n"
          "ptool test: 'missing': No such file or directory\n");
}

TEST_CASE("Report::fail marks the run failed without a message") {
    CapturedStderr err;
    Report report;
    report.fail();
    CHECK(report.exit_status() == exit_code::failure);
    CHECK(err.text().empty());
}

TEST_CASE("Report flushes buffered stdout before each message, so the order holds") {
    test::TempDir dir;
    std::string path = dir / "both";
    {
        UniqueFd both = open_file(path, O_WRONLY | O_CREAT | O_TRUNC);
        CapturedStderr err;  // replaced below by the shared file
        ::dup2(both.get(), STDERR_FILENO);
        OutputBuffer out(both.get());
        Report report(&out);
        out.write("first\n");
        report.warn("second");
        out.write("third\n");
        out.flush();
    }
    CHECK(test::read_file(path) == "first\nptool: second\nthird\n");
}

TEST_CASE("event lines: one JSON line per event, or PROGRAM: TEXT, or nothing") {
    Json event = {{"event", "exit"}, {"pid", 7}};
    auto when = std::chrono::system_clock::time_point(std::chrono::milliseconds(1764617400123));
    CHECK(event_line(EventForm::json, event, "exited", when) ==
          "{\"event\":\"exit\",\"ts\":\"2025-12-01T19:30:00.123Z\",\"pid\":7}\n");
    CHECK(event_line(EventForm::human, event, "exited") == "ptool: exited\n");
    CHECK(event_line(EventForm::human, event, "").empty());
    CHECK(event_line(EventForm::off, event, "exited").empty());
}

TEST_CASE("EventStream writes each event at once in its form") {
    test::TempDir dir;
    std::string path = dir / "events";
    {
        UniqueFd fd = open_file(path, O_WRONLY | O_CREAT | O_TRUNC);
        EventStream json(fd.get(), EventForm::json);
        json.emit({{"event", "spawn"}, {"pid", 1}}, "started");
        EventStream human(fd.get(), EventForm::human);
        human.emit({{"event", "spawn"}}, "started");
        EventStream off(fd.get(), EventForm::off);
        off.emit({{"event", "spawn"}}, "started");
        CHECK(json.finish(0));
    }
    auto lines = test::read_file(path);
    auto nl = lines.find('\n');
    REQUIRE(nl != std::string::npos);
    auto first = nlohmann::json::parse(lines.substr(0, nl));
    CHECK(first["event"] == "spawn");
    CHECK(first["pid"] == 1);
    CHECK(lines.substr(nl + 1) == "ptool: started\n");
}

TEST_CASE("EventStream reports a write error: thrown at once, or said by finish when queued") {
    UniqueFd full = open_file("/dev/full", O_WRONLY);
    EventStream direct(full.get(), EventForm::json);
    try {
        direct.emit({{"event", "x"}});
        FAIL("no error");
    } catch (const SysError& e) {
        CHECK(std::string(e.what()) == "write error: No space left on device");
    }

    EventStream queued = EventStream::queued(full.get(), EventForm::json, 1024);
    queued.emit({{"event", "x"}});
    REQUIRE(queued.queue() != nullptr);
    CHECK(queued.queue()->write_error() == ENOSPC);
    CapturedStderr err;
    CHECK_FALSE(queued.finish(0));
    CHECK(err.text() == "ptool: events: write error: No space left on device\n");
}

TEST_CASE("LSB status codes have their names") {
    CHECK(exit_code::lsb_running == 0);
    CHECK(exit_code::lsb_dead_pidfile == 1);
    CHECK(exit_code::lsb_not_running == 3);
    CHECK(exit_code::lsb_unknown == 4);
}
