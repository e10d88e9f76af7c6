// The CPU-feature module (libcommon/core/cpu.hpp): what it answers matches
// libgcc's own probe, it is probed once for all threads, and the SimdPath
// choices the codecs take follow from it.
#include "libcommon/core/cpu.hpp"

#include <catch2/catch.hpp>

#include <thread>
#include <vector>

using namespace ptool;

TEST_CASE("cpu_features answers what libgcc's probe answers") {
#if defined(__x86_64__)
    __builtin_cpu_init();
    CHECK(cpu_features().ssse3 == (__builtin_cpu_supports("ssse3") != 0));
    CHECK(cpu_features().avx2 == (__builtin_cpu_supports("avx2") != 0));
    CHECK(cpu_features().avx512f == (__builtin_cpu_supports("avx512f") != 0));
#else
    CHECK_FALSE(cpu_features().ssse3);
    CHECK_FALSE(cpu_features().avx2);
    CHECK_FALSE(cpu_features().avx512f);
#endif
}

TEST_CASE("cpu_features is probed once: every thread gets the same answer") {
    std::vector<const CpuFeatures*> seen(8, nullptr);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < seen.size(); ++i)
        threads.emplace_back([&seen, i] { seen[i] = &cpu_features(); });
    for (auto& t : threads) t.join();
    for (const CpuFeatures* f : seen) CHECK(f == &cpu_features());
}

TEST_CASE("a CPU with AVX2 or AVX-512 has the narrower extensions too") {
    if (cpu_features().avx512f) CHECK(cpu_features().avx2);
    if (cpu_features().avx2) CHECK(cpu_features().ssse3);
}

TEST_CASE("simd_path_available follows the features, scalar and best run everywhere") {
    CHECK(simd_path_available(SimdPath::scalar));
    CHECK(simd_path_available(SimdPath::best));
    CHECK(simd_path_available(SimdPath::ssse3) == cpu_features().ssse3);
    CHECK(simd_path_available(SimdPath::avx2) == cpu_features().avx2);
}

TEST_CASE("resolve_simd_path turns best into the widest path and keeps a forced one") {
    SimdPath best = resolve_simd_path(SimdPath::best);
    CHECK(best != SimdPath::best);
    CHECK(simd_path_available(best));
    if (cpu_features().avx2) {
        CHECK(best == SimdPath::avx2);
    } else if (cpu_features().ssse3) {
        CHECK(best == SimdPath::ssse3);
    } else {
        CHECK(best == SimdPath::scalar);
    }
    for (SimdPath forced : {SimdPath::scalar, SimdPath::ssse3, SimdPath::avx2})
        CHECK(resolve_simd_path(forced) == forced);
}
