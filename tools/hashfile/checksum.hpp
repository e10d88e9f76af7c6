// Checksum lines as GNU coreutils 9.1 (sha256sum), b3sum and xxhsum write and read
// them: name escaping, the shell-style quoting of names in messages (coreutils'
// quotef), formatting of GNU/BSD lines, and the `--check` line parser.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tools/hashfile/digest.hpp"

namespace ptool {

// True when `escaping` would prefix this name's line with '\'.
bool name_needs_escape(std::string_view name, NameEscaping escaping);
// Appends `name` with the escapes `escaping` uses (no leading '\').
void append_escaped_name(std::string& out, std::string_view name, NameEscaping escaping);

// A name quoted for an error message as coreutils' quotef does (shell-escape style in a
// UTF-8 locale): `a`, `'sp ace'`, `"it's"`, `'nl'$'\n''x'`.
std::string quote_name(std::string_view name);

// One output line for `name`'s digest `hex` ending in `delim`: GNU "HEX  NAME" ("HEX
// *NAME" when `binary`), or BSD "TAG (NAME) = HEX" when `bsd` or when the peer writes BSD
// lines (xxh3); a blake2b digest of another length has b2sum's tag "BLAKE2b-BITS". Names
// are escaped as the algorithm's peer does when delim is '\n'; never with -z (delim '\0').
// cksum digests are cksum's "CRC SIZE NAME" whatever `bsd` says (append_cksum_line).
void append_checksum_line(std::string& out, const DigestInfo& info, std::string_view hex,
                          std::string_view name, bool bsd, char delim, bool binary = false);
// cksum's line "CRC SIZE NAME" (CRC in decimal from the 8 hex digits); no " NAME" when
// `name` is null (cksum reading standard input without a name).
void append_cksum_line(std::string& out, std::string_view hex, uint64_t size,
                       const std::string_view* name, char delim);

// The algorithm -c takes an untagged line of `hex_digits` digits for: 8 xxh32, 16 xxh64,
// 32 md5, 40 sha1, 56 sha224, 64 sha256, 96 sha384, 128 sha512 (what each length's peer
// writes); nullopt for other lengths.
std::optional<DigestAlgo> default_algo_for_hex_length(size_t hex_digits);
// Every algorithm whose untagged lines have `hex_digits` digits (cksum lines aside).
std::vector<DigestAlgo> algos_of_hex_length(size_t hex_digits);
// Whether an untagged line of `algo` with `hex_digits` digits would be read back as
// another algorithm: such lines are BSD lines in multi-algorithm output.
bool ambiguous_untagged(DigestAlgo algo, size_t hex_digits);

struct CheckEntry {
    DigestAlgo algo;
    std::string hex;      // as written (either case); cksum: the CRC as 8 hex digits
    std::string file;     // unescaped
    bool tagged = false;  // a BSD line (or a cksum line): the algorithm is not a guess
    size_t length = 0;    // digest bytes when not the algorithm's default (BLAKE2b-256)
};

// Parses `--check` lines one at a time, as coreutils' split_3 does: GNU "HEX  NAME",
// "HEX *NAME", BSD "TAG (NAME) = HEX", a leading '\' for escaped names, and md5 -r's
// "HEX NAME" (never mixed with GNU lines in one run). The algorithm is `forced` when
// given, else the BSD tag, else the digest length (32 md5, 40 sha1, 56 sha224, 64 sha256,
// 96 sha384, 128 sha512, 16 xxh64, 8 xxh32); cksum's "CRC SIZE NAME" lines are cksum.
// Forced blake2b or blake3 take any length of digits (b2sum -l, b3sum --length).
class CheckLineParser {
public:
    explicit CheckLineParser(std::optional<DigestAlgo> forced = std::nullopt) : forced_(forced) {}
    // `line` without its newline and trailing CR, not a comment, not empty.
    // nullopt: improperly formatted.
    std::optional<CheckEntry> parse(std::string_view line);

private:
    std::optional<CheckEntry> parse_bsd(std::string_view rest, DigestAlgo algo, bool escaped,
                                        size_t length);
    std::optional<DigestAlgo> forced_;
    int bsd_reversed_ = -1;  // -1 unknown, 0 GNU lines seen, 1 "HEX NAME" lines seen
};

// coreutils' filename_unescape: only \\, \n and \r; nullopt on anything else or a NUL.
std::optional<std::string> unescape_name(std::string_view s);

// Splits one raw line of a check file as coreutils does: nullopt for a comment ('#...')
// or an empty line, else the line without its "\n" and one trailing "\r".
std::optional<std::string_view> check_line_body(std::string_view raw);

}  // namespace ptool
