// The CPU's vector extensions, probed once per process, for the hot loops that
// pick a kernel at run time (the byte codecs and dumps, BLAKE2b, XXH3). Also the
// SimdPath choice the codecs take, so that tests can force each path and compare
// it with the scalar one.
#pragma once

namespace ptool {

struct CpuFeatures {
    bool ssse3 = false;
    bool avx2 = false;
    bool avx512f = false;
};

// This CPU's (and OS's) features; probed on the first call, thread-safe.
const CpuFeatures& cpu_features();

// Which vector instructions a hot loop may use: `best` is the widest this CPU
// has; the others let tests compare each path with the scalar one.
enum class SimdPath { best, scalar, ssse3, avx2 };
// Whether this CPU runs `path` (scalar and best always).
bool simd_path_available(SimdPath path);
// `best` resolved to what this CPU has.
SimdPath resolve_simd_path(SimdPath path);

}  // namespace ptool
