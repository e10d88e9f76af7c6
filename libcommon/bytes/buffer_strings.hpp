// buf.toString(enc) for the encodings tools print captured bytes in (exec
// --json's utf8, hex and base64): one include for the three formats' encoders.
#pragma once

#include "libcommon/bytes/base64.hpp"
#include "libcommon/bytes/hex.hpp"
#include "libcommon/bytes/text.hpp"
