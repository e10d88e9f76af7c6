// The one shape of "error" in the JSON that spawn and exec write (man/ptool.1, JSON
// OUTPUT): {"message": WHY} with "errno" when a system call said why.
#pragma once

#include <string>

#include "libcommon/core/error.hpp"
#include "libcommon/core/json.hpp"

namespace ptool {

// {"message": message} and, when `err` is not 0, "errno": err.
inline Json error_object(const std::string& message, int err = 0) {
    Json e = {{"message", message}};
    if (err != 0) e["errno"] = err;
    return e;
}
inline Json error_object(const SysError& e) {
    return error_object(e.what(), e.err());
}

}  // namespace ptool
