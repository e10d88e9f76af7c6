# BLAKE3's official C implementation, as Debian's librust-blake3-dev ships it
# (the crate's c/ folder). Built from there, never copied into this repository.
file(GLOB BLAKE3_DIRS /usr/share/cargo/registry/blake3-*/c)
list(SORT BLAKE3_DIRS COMPARE NATURAL ORDER DESCENDING)
list(GET BLAKE3_DIRS 0 BLAKE3_C_DIR)
if(NOT EXISTS "${BLAKE3_C_DIR}/blake3.h")
  message(FATAL_ERROR "BLAKE3 C sources not found: install librust-blake3-dev")
endif()
message(STATUS "BLAKE3 C sources: ${BLAKE3_C_DIR}")
set(BLAKE3_SOURCES ${BLAKE3_C_DIR}/blake3.c ${BLAKE3_C_DIR}/blake3_dispatch.c
                   ${BLAKE3_C_DIR}/blake3_portable.c)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  # Upstream's unix assembly for each SIMD level; blake3_dispatch.c picks one at run time.
  list(APPEND BLAKE3_SOURCES ${BLAKE3_C_DIR}/blake3_sse2_x86-64_unix.S
       ${BLAKE3_C_DIR}/blake3_sse41_x86-64_unix.S ${BLAKE3_C_DIR}/blake3_avx2_x86-64_unix.S
       ${BLAKE3_C_DIR}/blake3_avx512_x86-64_unix.S)
else()
  set(BLAKE3_NO_SIMD BLAKE3_NO_SSE2 BLAKE3_NO_SSE41 BLAKE3_NO_AVX2 BLAKE3_NO_AVX512)
endif()
add_library(blake3 OBJECT ${BLAKE3_SOURCES})
set_target_properties(blake3 PROPERTIES POSITION_INDEPENDENT_CODE ON)
target_compile_options(blake3 PRIVATE -w)
target_compile_definitions(blake3 PRIVATE ${BLAKE3_NO_SIMD})
target_include_directories(blake3 SYSTEM INTERFACE ${BLAKE3_C_DIR})
