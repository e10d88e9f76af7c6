// The one CPU-feature probe (see cpu.hpp): libgcc's __builtin_cpu_supports,
// read once into a struct that every kernel choice then consults.
#include "libcommon/core/cpu.hpp"

namespace ptool {

namespace {

CpuFeatures probe() {
    CpuFeatures f;
#if defined(__x86_64__)
    // Before main (a static initialiser may get here first) libgcc's data may be unset.
    __builtin_cpu_init();
    // libgcc's checks include the OS saving YMM/ZMM registers, not only the CPUID bit.
    f.ssse3 = __builtin_cpu_supports("ssse3");
    f.avx2 = __builtin_cpu_supports("avx2");
    f.avx512f = __builtin_cpu_supports("avx512f");
#endif
    return f;
}

}  // namespace

const CpuFeatures& cpu_features() {
    static const CpuFeatures features = probe();  // C++11 statics: initialised once, thread-safe
    return features;
}

bool simd_path_available(SimdPath path) {
    switch (path) {
        case SimdPath::ssse3: return cpu_features().ssse3;
        case SimdPath::avx2: return cpu_features().avx2;
        case SimdPath::best:
        case SimdPath::scalar: return true;
    }
    return true;
}

SimdPath resolve_simd_path(SimdPath path) {
    if (path != SimdPath::best) return path;
    if (cpu_features().avx2) return SimdPath::avx2;
    if (cpu_features().ssse3) return SimdPath::ssse3;
    return SimdPath::scalar;
}

}  // namespace ptool
