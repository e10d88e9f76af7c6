// XXH3 dispatch: libxxhash's SSE2 build or our AVX2 one (digest_xxh3.hpp).
#include "tools/hashfile/digest_xxh3.hpp"

#include <xxhash.h>

#include <array>

#include "libcommon/core/cpu.hpp"

namespace ptool {

#define PTOOL_XXH3_KERNEL_NAME "libxxhash"
#include "tools/hashfile/digest_xxh3_kernel.inc"

std::span<const Xxh3Kernel> xxh3_kernels(bool bits128) {
    struct KernelList {
        std::array<Xxh3Kernel, 2> kernels;
        size_t count = 0;
        void add(const Xxh3Kernel& k) { kernels[count++] = k; }
    };
    static const std::array<KernelList, 2> lists = [] {
        std::array<KernelList, 2> l{};
        for (int wide = 0; wide < 2; ++wide) {
#if defined(__x86_64__)
            if (cpu_features().avx2) l[wide].add(kXxh3Avx2[wide]);
#endif
            l[wide].add(kKernels[wide]);
        }
        return l;
    }();
    const KernelList& list = lists[bits128 ? 1 : 0];
    return {list.kernels.data(), list.count};
}

}  // namespace ptool
