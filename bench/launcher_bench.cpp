// Microseconds per launch+wait of /bin/true through libcommon's launcher, for the
// posix_spawn path (glibc: clone(CLONE_VM|CLONE_VFORK)) and the fork path, in a
// small process and in one holding 256 MiB (fork copies page tables, vfork does not).
// Built and run by scripts/bench-procs against a Release libptoolcommon.a.
#include <sys/mman.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "libcommon/launch/launcher.hpp"

using namespace ptool;

static double us_per_launch(bool force_fork, int rounds) {
    ChildSpec spec;
    spec.argv = {"/bin/true"};
    spec.search_path = false;
    spec.force_fork = force_fork;
    for (int i = 0; i < 20; ++i) launch(spec).wait();  // warm up
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < rounds; ++i) launch(spec).wait();
    std::chrono::duration<double, std::micro> took = std::chrono::steady_clock::now() - start;
    return took.count() / rounds;
}

int main(int argc, char** argv) {
    int rounds = argc > 1 ? std::atoi(argv[1]) : 2000;
    std::printf("%-28s %14s %14s %8s\n", "process size", "posix_spawn us", "fork us", "ratio");
    for (size_t mib : {0, 256}) {
        void* ballast = nullptr;
        if (mib) {
            ballast = mmap(nullptr, mib << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                           -1, 0);
            std::memset(ballast, 1, mib << 20);  // touched: real page-table entries
        }
        double fast = us_per_launch(false, rounds);
        double slow = us_per_launch(true, rounds);
        char label[64];
        std::snprintf(label, sizeof label, mib ? "+%zu MiB touched" : "small (bench binary)", mib);
        std::printf("%-28s %14.1f %14.1f %7.2fx\n", label, fast, slow, slow / fast);
        if (ballast) munmap(ballast, mib << 20);
    }
}
