// What unit tests of libcommon's writers read back: an OutputBuffer on a temp file,
// filled by the test, flushed, and the file's bytes returned. Header-only: it is the
// one helper here that uses libcommon (the writers under test write to an OutputBuffer).
#pragma once

#include <fcntl.h>

#include <string>

#include "libcommon/core/fd.hpp"
#include "libcommon/core/output.hpp"
#include "test_support.hpp"

namespace ptool::test {

// Runs `fill` with an OutputBuffer on a temp file and returns what was written.
template <typename Fill>
std::string capture_output(Fill fill) {
    TempDir dir;
    std::string path = dir / "out";
    {
        UniqueFd fd = open_file(path, O_WRONLY | O_CREAT | O_TRUNC);
        OutputBuffer out(fd.get(), 4096);
        fill(out);
        out.flush();
    }
    return read_file(path);
}

}  // namespace ptool::test
