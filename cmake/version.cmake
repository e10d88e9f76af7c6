# Writes ptool_version.h for tools/ptool/version.cpp at build time (cmake -P), so the
# version follows the checkout without re-running cmake: PROJECT_VERSION, plus
# `git describe` in a git checkout ("0.1.0 (git 1d6c023-dirty)"). The file is only
# rewritten when its text changes, so an unchanged checkout rebuilds nothing.
# In: SOURCE_DIR, OUTPUT, VERSION, BUILD_TYPE, LINKAGE.
set(text "${VERSION}")
find_program(GIT git)
if(GIT AND EXISTS "${SOURCE_DIR}/.git")
  execute_process(COMMAND "${GIT}" -C "${SOURCE_DIR}" describe --tags --always --dirty
                  OUTPUT_VARIABLE describe OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE failed ERROR_QUIET)
  if(NOT failed AND NOT describe STREQUAL "")
    set(text "${VERSION} (git ${describe})")
  endif()
endif()
set(content "// Written by cmake/version.cmake; do not edit.
#define PTOOL_BUILD_VERSION \"${text}\"
#define PTOOL_BUILD_TYPE \"${BUILD_TYPE}\"
#define PTOOL_BUILD_LINKAGE \"${LINKAGE}\"
")
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" old)
endif()
if(NOT old STREQUAL content)
  file(WRITE "${OUTPUT}" "${content}")
endif()
