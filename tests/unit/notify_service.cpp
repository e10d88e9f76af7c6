// sd_notify upwards (ServiceNotifier): what it takes from the environment, the
// watchdog's interval and whose it is, and the datagrams it sends.
#include <poll.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>

#include "libcommon/supervise/notify.hpp"
#include "libcommon/supervise/service_notify.hpp"

using namespace ptool;
using namespace std::chrono_literals;

namespace {

NotifyMessage next_message(NotifyReceiver& receiver) {
    pollfd p{receiver.fd(), POLLIN, 0};
    REQUIRE(poll(&p, 1, 5000) == 1);
    auto m = receiver.receive();
    REQUIRE(m);
    return *m;
}

}  // namespace

TEST_CASE("ServiceNotifier takes NOTIFY_SOCKET and the watchdog out of the environment") {
    NotifyReceiver receiver = NotifyReceiver::create();
    setenv("NOTIFY_SOCKET", receiver.address().c_str(), 1);
    setenv("WATCHDOG_USEC", "3000000", 1);
    unsetenv("WATCHDOG_PID");
    ServiceNotifier service = ServiceNotifier::from_environment();
    CHECK(getenv("NOTIFY_SOCKET") == nullptr);
    CHECK(getenv("WATCHDOG_USEC") == nullptr);
    REQUIRE(service.enabled());
    CHECK(service.watchdog_interval() == std::chrono::microseconds(1500000));
    CHECK(service.send("READY=1\nSTATUS=2/2 workers online"));
    NotifyMessage m = next_message(receiver);
    CHECK(m.ready());
    CHECK(m.status() == "2/2 workers online");
    CHECK(m.sender_pid == getpid());
}

TEST_CASE("ServiceNotifier leaves a watchdog meant for another pid alone") {
    setenv("NOTIFY_SOCKET", "@ptool-unit-none", 1);
    setenv("WATCHDOG_USEC", "1000000", 1);
    setenv("WATCHDOG_PID", "1", 1);
    ServiceNotifier service = ServiceNotifier::from_environment();
    CHECK(service.enabled());
    CHECK_FALSE(service.watchdog_interval());
    CHECK(getenv("WATCHDOG_PID") == nullptr);
    CHECK_FALSE(service.send("READY=1"));  // nobody listens: false, nothing thrown
}

TEST_CASE("ServiceNotifier without NOTIFY_SOCKET sends nothing") {
    unsetenv("NOTIFY_SOCKET");
    ServiceNotifier service = ServiceNotifier::from_environment();
    CHECK_FALSE(service.enabled());
    CHECK_FALSE(service.send("READY=1"));
}

TEST_CASE("the reloading message carries MONOTONIC_USEC of the monotonic clock") {
    auto fields = parse_notify_fields(ServiceNotifier::reloading_message());
    REQUIRE(fields.size() == 2);
    CHECK(fields[0] == std::pair<std::string, std::string>{"RELOADING", "1"});
    CHECK(fields[1].first == "MONOTONIC_USEC");
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    CHECK(std::stoll(fields[1].second) <= now.tv_sec * 1000000LL + now.tv_nsec / 1000);
    CHECK(std::stoll(fields[1].second) > 0);
}
