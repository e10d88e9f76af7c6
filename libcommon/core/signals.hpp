// Which signals ptool passes on to the processes it runs, and the signal and fd state
// it fixes first thing at start-up (whatever its caller left it).
//
// Forwarded: every catchable signal ptool gives no meaning of its own, as tini does:
//   HUP INT QUIT TERM USR1 USR2 ALRM VTALRM PROF WINCH URG CONT STKFLT IO PWR and the
//   real-time signals SIGRTMIN..SIGRTMAX.
// Not forwarded, each for a reason:
//   KILL STOP        cannot be caught.
//   CHLD             ptool's own: it reaps its children.
//   PIPE             ptool's own writes (ignored: a closed output is EPIPE).
//   TSTP TTIN TTOU   job control stops ptool as any job (the terminal stops the child
//                    too when it shares ptool's process group).
//   XCPU XFSZ        about ptool's own resource limits: ignored (a write past
//                    RLIMIT_FSIZE fails with EFBIG and is reported).
//   SEGV BUS FPE ILL TRAP SYS ABRT   ptool's own faults; they must still end it.
//   32 33            glibc's internal signals (thread cancellation, set*id).
#pragma once

#include <signal.h>

#include <span>

namespace ptool {

// The forwarded signals, in ascending order.
std::span<const int> forwarded_signals();

// Called first in main(): opens /dev/null on any of fds 0-2 that is closed (so no
// socket, pipe or epoll fd of ptool's becomes a child's stdout), and resets SIGCHLD
// to SIG_DFL (a caller that ignores it would make the kernel reap ptool's children
// before ptool can wait for them), ignores SIGPIPE, SIGXCPU and SIGXFSZ.
void prepare_process_state() noexcept;

}  // namespace ptool
