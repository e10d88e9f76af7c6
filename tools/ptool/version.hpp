// `ptool --version`: what was built and what is linked in. OpenSSL and xxHash are
// linked statically by default (PTOOL_STATIC_DEPS), so a security fix there needs
// ptool rebuilt: the text names the versions a user actually runs.
#pragma once

#include <string>

namespace ptool {

// "ptool VERSION\n" then the build and the libraries' versions, one per line.
std::string version_text();

}  // namespace ptool
