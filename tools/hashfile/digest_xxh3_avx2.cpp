// XXH3 compiled with -mavx2 (CMakeLists.txt sets the flag for this file alone): xxHash's
// header inlined whole, so every function here is static and none clashes with libxxhash.
// Nothing else belongs in this file: an inline C++ function emitted here would be AVX2
// code that the linker could pick for callers on CPUs without AVX2.
#if defined(__x86_64__)
#ifndef __AVX2__
#error "digest_xxh3_avx2.cpp must be compiled with -mavx2"
#endif

#define XXH_INLINE_ALL
#define XXH_VECTOR XXH_AVX2
#include <xxhash.h>

#include "tools/hashfile/digest_xxh3.hpp"

namespace ptool {

#define PTOOL_XXH3_KERNEL_NAME "avx2"
#include "tools/hashfile/digest_xxh3_kernel.inc"

const Xxh3Kernel kXxh3Avx2[2] = {kKernels[0], kKernels[1]};

}  // namespace ptool

#endif
