// Checksum lines as GNU coreutils 9.1 (sha256sum), b3sum and xxhsum write and read
// them: name escaping, the shell-style quoting of names in messages (coreutils'
// quotef), formatting of GNU/BSD lines, and the `--check` line parser.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "tools/hashfile/digest.hpp"

namespace ptool {

// True when `escaping` would prefix this name's line with '\'.
bool name_needs_escape(std::string_view name, NameEscaping escaping);
// Appends `name` with the escapes `escaping` uses (no leading '\').
void append_escaped_name(std::string& out, std::string_view name, NameEscaping escaping);

// A name quoted for an error message as coreutils' quotef does (shell-escape style in a
// UTF-8 locale): `a`, `'sp ace'`, `"it's"`, `'nl'$'\n''x'`.
std::string quote_name(std::string_view name);

// One output line for `name`'s digest `hex` ending in `delim`: GNU "HEX  NAME", or BSD
// "TAG (NAME) = HEX" when `bsd` or when the peer writes BSD lines (xxh3). Names are
// escaped as the algorithm's peer does when delim is '\n'; never with -z (delim '\0').
void append_checksum_line(std::string& out, const DigestInfo& info, std::string_view hex,
                          std::string_view name, bool bsd, char delim);

struct CheckEntry {
    DigestAlgo algo;
    std::string hex;   // as written (either case)
    std::string file;  // unescaped
};

// Parses `--check` lines one at a time, as coreutils' split_3 does: GNU "HEX  NAME",
// "HEX *NAME", BSD "TAG (NAME) = HEX", a leading '\' for escaped names, and md5 -r's
// "HEX NAME" (never mixed with GNU lines in one run). The algorithm is `forced` when
// given, else the BSD tag, else the digest length (32 md5, 40 sha1, 56 sha224, 64 sha256,
// 96 sha384, 128 sha512, 16 xxh64).
class CheckLineParser {
public:
    explicit CheckLineParser(std::optional<DigestAlgo> forced = std::nullopt) : forced_(forced) {}
    // `line` without its newline and trailing CR, not a comment, not empty.
    // nullopt: improperly formatted.
    std::optional<CheckEntry> parse(std::string_view line);

private:
    std::optional<CheckEntry> parse_bsd(std::string_view rest, DigestAlgo algo, bool escaped);
    std::optional<DigestAlgo> forced_;
    int bsd_reversed_ = -1;  // -1 unknown, 0 GNU lines seen, 1 "HEX NAME" lines seen
};

// Splits one raw line of a check file as coreutils does: nullopt for a comment ('#...')
// or an empty line, else the line without its "\n" and one trailing "\r".
std::optional<std::string_view> check_line_body(std::string_view raw);

}  // namespace ptool
