// The epoll loop: fds, timers, signalfd signals and child exits (event_loop.hpp).
#include "libcommon/launch/event_loop.hpp"

#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "libcommon/core/error.hpp"
#include "libcommon/core/signals.hpp"
#include "libcommon/launch/child_stop.hpp"

namespace ptool {

EventLoop::EventLoop() : EventLoop(Options{}) {}

EventLoop::EventLoop(Options options) : options_(options) {
    int fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0) throw SysError("epoll_create1", errno);
    epoll_.reset(fd);
    sigemptyset(&watched_signals_);
    sigemptyset(&blocked_by_us_);
}

EventLoop::~EventLoop() {
    if (!signal_fd_) return;
    // Discard what arrived for us, so unblocking does not deliver it to ptool itself.
    signalfd_siginfo info;
    while (::read(signal_fd_.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    }
    pthread_sigmask(SIG_UNBLOCK, &blocked_by_us_, nullptr);
}

void EventLoop::watch_fd(int fd, uint32_t events, FdCallback callback) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    bool known = fds_.count(fd) != 0;
    if (::epoll_ctl(epoll_.get(), known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) < 0)
        throw SysError("epoll_ctl", errno);
    fds_[fd] = FdWatch{events, std::make_shared<FdCallback>(std::move(callback))};
}

void EventLoop::modify_fd(int fd, uint32_t events) {
    auto it = fds_.find(fd);
    if (it == fds_.end() || it->second.events == events) return;
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &ev) < 0) throw SysError("epoll_ctl", errno);
    it->second.events = events;
}

void EventLoop::unwatch_fd(int fd) {
    if (fds_.erase(fd) == 0) return;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);  // fails only if already closed
}

EventLoop::TimerId EventLoop::add_timer(std::chrono::nanoseconds after, TimerCallback callback) {
    TimerId id = next_timer_++;
    auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(after);
    timers_.emplace(deadline,
                    std::make_pair(id, std::make_shared<TimerCallback>(std::move(callback))));
    return id;
}

void EventLoop::cancel_timer(TimerId id) {
    auto it = std::find_if(timers_.begin(), timers_.end(),
                           [&](const auto& t) { return t.second.first == id; });
    if (it != timers_.end()) timers_.erase(it);
}

void EventLoop::ensure_signalfd() {
    int fd = ::signalfd(signal_fd_ ? signal_fd_.get() : -1, &watched_signals_,
                        SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd < 0) throw SysError("signalfd", errno);
    if (!signal_fd_) {
        signal_fd_.reset(fd);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) < 0)
            throw SysError("epoll_ctl", errno);
    }
}

void EventLoop::watch_signal(int signo, SignalCallback callback) {
    const int one[] = {signo};
    watch_signals(one, std::move(callback));
}

void EventLoop::watch_signals(std::span<const int> signos, SignalCallback callback) {
    // One mask change and one signalfd update for the whole set: spawn forwards ~46.
    sigset_t set, old;
    sigemptyset(&set);
    for (int signo : signos) sigaddset(&set, signo);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    auto shared = std::make_shared<SignalCallback>(std::move(callback));
    for (int signo : signos) {
        if (!sigismember(&old, signo)) sigaddset(&blocked_by_us_, signo);
        sigaddset(&watched_signals_, signo);
        signals_[signo] = shared;
    }
    ensure_signalfd();
}

void EventLoop::unwatch_signal(int signo) {
    if (signals_.erase(signo) == 0) return;
    if (signo == SIGCHLD && sigchld_fallback_) return;  // still needed for children
    sigdelset(&watched_signals_, signo);
    ensure_signalfd();
    if (sigismember(&blocked_by_us_, signo)) {
        sigdelset(&blocked_by_us_, signo);
        sigset_t one;
        sigemptyset(&one);
        sigaddset(&one, signo);
        pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
    }
}

void EventLoop::watch_child(Child& child, ExitCallback callback) {
    if (!child.running()) throw Error("watch_child: no running child");
    children_[child.pid()] = ChildWatch{&child, std::move(callback)};
    if (options_.use_pidfd && child.pidfd() >= 0) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = child.pidfd();
        if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, child.pidfd(), &ev) < 0)
            throw SysError("epoll_ctl", errno);
        pidfds_[child.pidfd()] = child.pid();
        return;
    }
    if (!sigchld_fallback_) {
        sigchld_fallback_ = true;
        sigset_t one, old;
        sigemptyset(&one);
        sigaddset(&one, SIGCHLD);
        pthread_sigmask(SIG_BLOCK, &one, &old);
        if (!sigismember(&old, SIGCHLD)) sigaddset(&blocked_by_us_, SIGCHLD);
        sigaddset(&watched_signals_, SIGCHLD);
        ensure_signalfd();
    }
}

void EventLoop::unwatch_child(Child& child) {
    auto it = children_.find(child.pid());
    if (it == children_.end() || it->second.child != &child) return;
    children_.erase(it);
    for (auto p = pidfds_.begin(); p != pidfds_.end(); ++p)
        if (p->second == child.pid()) {
            ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, p->first, nullptr);
            pidfds_.erase(p);
            break;
        }
}

void EventLoop::dispatch_child_exit(int pidfd, pid_t pid) {
    auto it = children_.find(pid);
    if (it == children_.end()) return;
    Child* child = it->second.child;
    if (pidfd >= 0) ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, pidfd, nullptr);
    std::optional<ExitStatus> status = child->try_wait();
    if (!status) {  // readable pidfd but not yet reapable: keep waiting
        if (pidfd >= 0) {
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.fd = pidfd;
            ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, pidfd, &ev);
        }
        return;
    }
    if (pidfd >= 0) pidfds_.erase(pidfd);
    ExitCallback callback = std::move(it->second.callback);
    children_.erase(it);
    callback(*status);
}

void EventLoop::reap_children_without_pidfd() {
    std::vector<pid_t> pids;
    for (const auto& [pid, watch] : children_)
        if (std::none_of(pidfds_.begin(), pidfds_.end(),
                         [pid = pid](const auto& p) { return p.second == pid; }))
            pids.push_back(pid);
    for (pid_t pid : pids) dispatch_child_exit(-1, pid);
}

void EventLoop::handle_signals() {
    signalfd_siginfo info;
    for (;;) {
        ssize_t n = ::read(signal_fd_.get(), &info, sizeof info);
        if (n < 0 && errno == EINTR) continue;
        if (n != static_cast<ssize_t>(sizeof info)) return;  // EAGAIN: drained
        int signo = static_cast<int>(info.ssi_signo);
        if (signo == SIGCHLD && sigchld_fallback_) reap_children_without_pidfd();
        auto it = signals_.find(signo);
        if (it == signals_.end()) continue;
        std::shared_ptr<SignalCallback> callback = it->second;
        (*callback)(info);
    }
}

bool EventLoop::has_work() const {
    return !fds_.empty() || !timers_.empty() || !children_.empty();
}

int EventLoop::next_timeout_ms(std::chrono::milliseconds cap) const {
    long long ms = cap.count();
    if (!timers_.empty()) {
        auto left = timers_.begin()->first - Clock::now();
        // Rounded up: waking a little late is fine, spinning before the deadline is not.
        long long t =
            std::max<long long>(0, std::chrono::ceil<std::chrono::milliseconds>(left).count());
        ms = ms < 0 ? t : std::min(ms, t);
    }
    return static_cast<int>(std::min<long long>(ms, 1 << 30));
}

void EventLoop::fire_due_timers() {
    auto now = Clock::now();
    while (!timers_.empty() && timers_.begin()->first <= now) {
        std::shared_ptr<TimerCallback> callback = timers_.begin()->second.second;
        timers_.erase(timers_.begin());
        (*callback)();
    }
}

bool EventLoop::run_once(std::chrono::milliseconds timeout) {
    if (!has_work()) return false;
    // Children that ended before SIGCHLD was blocked would otherwise never be noticed.
    if (sigchld_fallback_) reap_children_without_pidfd();
    if (!has_work()) return true;
    epoll_event events[64];
    int n = ::epoll_wait(epoll_.get(), events, 64, next_timeout_ms(timeout));
    if (n < 0) {
        if (errno == EINTR) return true;
        throw SysError("epoll_wait", errno);
    }
    for (int i = 0; i < n; ++i) {
        int fd = events[i].data.fd;
        if (signal_fd_ && fd == signal_fd_.get()) {
            handle_signals();
        } else if (auto p = pidfds_.find(fd); p != pidfds_.end()) {
            dispatch_child_exit(fd, p->second);
        } else if (auto w = fds_.find(fd); w != fds_.end()) {
            std::shared_ptr<FdCallback> callback = w->second.callback;
            (*callback)(events[i].events);
        }
    }
    fire_due_timers();
    return true;
}

void EventLoop::run() {
    stopped_ = false;
    while (!stopped_ && run_once()) {
    }
}

void arm_child_timeout(EventLoop& loop, Child& child, const ChildTimeout& timeout,
                       std::function<void()> on_timeout) {
    loop.add_timer(timeout.after, [&loop, &child, timeout, on_timeout = std::move(on_timeout)] {
        if (!child.running()) return;
        if (on_timeout) on_timeout();
        stop_child(loop, child, timeout.signal, timeout.kill_after);
    });
}

void stop_child(EventLoop& loop, Child& child, int signal, std::chrono::nanoseconds kill_after,
                std::function<void()> on_kill) {
    StopPlan plan;
    plan.signal = signal;
    plan.kill_after = kill_after;
    stop_child(loop, child, plan, std::move(on_kill));
}

void forward_signals(EventLoop& loop, Child& child) {
    pid_t own_group = ::getpgrp();
    loop.watch_signals(forwarded_signals(), [&child, own_group](const signalfd_siginfo& info) {
        if (!child.running()) return;
        if (info.ssi_code == SI_KERNEL && !child.leads_group() &&
            ::getpgid(child.pid()) == own_group)
            return;
        if (info.ssi_code <= 0 && static_cast<pid_t>(info.ssi_pid) == child.pid()) return;
        child.signal_tree(static_cast<int>(info.ssi_signo));
    });
}

}  // namespace ptool
