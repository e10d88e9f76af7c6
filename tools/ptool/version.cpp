// `ptool --version` (see version.hpp). The version and build lines come from
// ptool_version.h, which cmake/version.cmake writes at build time (git describe in a
// checkout); the library versions are asked of the libraries themselves.
#include "tools/ptool/version.hpp"

#include <openssl/crypto.h>
#include <xxhash.h>

#include "blake3.h"
#include "ptool_version.h"

namespace ptool {

std::string version_text() {
    unsigned xxh = XXH_versionNumber();
    std::string out = "ptool " PTOOL_BUILD_VERSION "\n";
    out += "build: " PTOOL_BUILD_TYPE ", " PTOOL_BUILD_LINKAGE "\n";
    out += std::string(OpenSSL_version(OPENSSL_VERSION)) + "\n";
    out += "xxHash " + std::to_string(xxh / 10000) + "." + std::to_string(xxh / 100 % 100) + "." +
           std::to_string(xxh % 100) + "\n";
    out += "BLAKE3 " + std::string(blake3_version()) + "\n";
    return out;
}

}  // namespace ptool
