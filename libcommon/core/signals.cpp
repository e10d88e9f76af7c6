// The forwarded-signal list and the start-up fix of fds 0-2 and signal state (signals.hpp).
#include "libcommon/core/signals.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace ptool {

std::span<const int> forwarded_signals() {
    // SIGRTMIN is a glibc function call (it reserves 32 and 33), so built at run time.
    static const std::vector<int> list = [] {
        std::vector<int> v = {SIGHUP,    SIGINT,  SIGQUIT,   SIGUSR1, SIGUSR2,
                              SIGALRM,   SIGTERM, SIGSTKFLT, SIGCONT, SIGURG,
                              SIGVTALRM, SIGPROF, SIGWINCH,  SIGIO,   SIGPWR};
        for (int sig = SIGRTMIN; sig <= SIGRTMAX; ++sig) v.push_back(sig);
        std::sort(v.begin(), v.end());
        return v;
    }();
    return list;
}

void prepare_process_state() noexcept {
    // Lowest free fd first: each open fills the lowest closed one of 0-2.
    for (int fd = 0; fd <= 2; ++fd) {
        if (::fcntl(fd, F_GETFD) >= 0 || errno != EBADF) continue;
        int null_fd = ::open("/dev/null", O_RDWR);
        if (null_fd < 0) ::_exit(125);  // no /dev/null: nothing sane to run on
        if (null_fd != fd) {            // a lower one was opened meanwhile (cannot happen here)
            ::dup2(null_fd, fd);
            ::close(null_fd);
        }
    }
    struct sigaction action;
    std::memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_handler = SIG_DFL;  // sa_flags 0: no SA_NOCLDWAIT either
    ::sigaction(SIGCHLD, &action, nullptr);
    // Writes to a closed pipe or socket return EPIPE instead of killing us mid-job;
    // the output layer then ends quietly with SIGPIPE's status (as `yes | head`).
    action.sa_handler = SIG_IGN;
    for (int sig : {SIGPIPE, SIGXCPU, SIGXFSZ}) ::sigaction(sig, &action, nullptr);
}

}  // namespace ptool
