// bufdump: hex dumps and encodings (xxd, hexdump -C, base64, Node Buffer).
//
//   ptool bufdump [-f FORMAT] [-s OFFSET] [-n LENGTH] [-c COLS] [-g BYTES] [-u]
//                 [-e] [-o OFFSET] [-d] [-a] [-E] [-C] [--name NAME] [-v]
//                 [--border STYLE] [--plain] [--as TYPE [--endian ORDER]]
//                 [--wrap N] [--color WHEN] [FILE]
//   ptool bufdump -r [-f FORMAT] [-c COLS] [-s OFFSET] [-i] [FILE [OUTFILE]]
//   ptool bufdump --from ENC --to ENC [FILE]
//
// FORMAT: xxd (default), hexdump, panel, hex, base64, base64url, utf8, latin1, ascii,
// utf16le, json, c, bits. -r turns a format's text back into bytes; --from/--to
// converts between encodings in one pass. The input is read in large blocks
// and goes through two stages: a decoder (bytes, a byte form's text, or a
// character set's text) and a writer (a dump, a byte form or a character set),
// both taken from the format registry (libcommon/bytes/formats.hpp).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <memory>
#include <optional>
#include <string>

#include "libcommon/bytes/formats.hpp"
#include "libcommon/bytes/xxd.hpp"
#include "libcommon/core/error.hpp"
#include "libcommon/core/fd.hpp"
#include "libcommon/core/output.hpp"
#include "libcommon/core/parse.hpp"
#include "tools/ptool/ptool.hpp"

namespace ptool {

namespace {

struct Options {
    const ByteFormat* format = find_byte_format("xxd");
    std::string format_name = "xxd";  // as given, for messages
    std::string file = "-";
    std::string outfile = "-";
    std::optional<int64_t> seek;
    std::string seek_text;
    std::optional<uint64_t> length;
    std::optional<uint64_t> columns;
    std::optional<uint64_t> group;
    bool upper = false;
    std::optional<uint64_t> wrap;
    ColorMode color = ColorMode::automatic;
    bool reverse = false;
    bool ignore_garbage = false;
    const ByteFormat* from = nullptr;
    std::string from_name;
    const ByteFormat* to = nullptr;
    // xxd's and hexdump's other options.
    bool little_endian = false;
    bool decimal = false;
    bool ebcdic = false;
    bool autoskip = false;
    uint64_t display_offset = 0;
    bool no_squeeze = false;
    bool capitalize = false;
    std::string c_name;
    PanelBorder border = PanelBorder::unicode;
    bool plain = false;
    NumberColumns numbers;
};

const ByteFormat* parse_format(std::string_view name) {
    if (const ByteFormat* f = find_byte_format(name)) return f;
    throw UsageError("unknown encoding '" + std::string(name) + "' (" + byte_format_names() + ")");
}

// An offset as -s and -o take it: parse_offset's sizes, or hex after 0x as xxd reads it.
int64_t parse_dump_offset(std::string_view text) {
    std::string_view digits = text;
    bool negative = !digits.empty() && digits[0] == '-';
    if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) digits.remove_prefix(1);
    if (digits.size() < 3 || digits[0] != '0' || (digits[1] != 'x' && digits[1] != 'X'))
        return parse_offset(text);
    digits.remove_prefix(2);
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, 16);
    if (ec != std::errc() || end != digits.data() + digits.size() || v > uint64_t(INT64_MAX))
        throw UsageError("invalid offset '" + std::string(text) + "'");
    return negative ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
}

// The counts, read once; -1 where an option was not given.
struct Counts {
    int64_t columns = -1;
    int64_t group = -1;
    int64_t wrap = -1;
};

constexpr uint64_t kMaxCount = uint64_t(1) << 30;

Counts parse_counts(const Options& opts) {
    Counts c;
    auto read = [](const std::optional<uint64_t>& n) {
        return n ? static_cast<int64_t>(*n) : int64_t(-1);
    };
    c.columns = read(opts.columns);
    c.group = read(opts.group);
    c.wrap = read(opts.wrap);
    return c;
}

void declare_bufdump(cli::OptionTable& t, Options& o) {
    auto format = [](const ByteFormat*& out) {
        return [&out](std::string_view name) { out = parse_format(name); };
    };
    t.custom("-f,--format", "FORMAT",
             "xxd (default), hexdump, panel, hex, base64, base64url, utf8, latin1, ascii, "
             "utf16le, json, c, bits",
             cli::Kind::choice, format(o.format))
        .keep_text(o.format_name)
        .complete_words(byte_format_names());
    t.custom("-s,--seek", "OFFSET", "Start at OFFSET (negative: from the end)", cli::Kind::size,
             [&o](std::string_view text) { o.seek = parse_dump_offset(text); })
        .keep_text(o.seek_text);
    t.size("-n,--length", "SIZE", "Stop after SIZE bytes", o.length);
    t.count("-c,--cols", "N", "Bytes a line (xxd, bits, c, hex)", o.columns, kMaxCount);
    t.count("-g,--group", "N", "Bytes a group (xxd, bits)", o.group, kMaxCount);
    t.flag("-u,--upper", "Upper-case hex digits", o.upper);
    t.count("--wrap", "N", "Characters a line for hex/base64 (0: one line)", o.wrap, INT64_MAX);
    t.color("--color", "Color bytes by class: auto, always (the bare form), never", o.color);
    t.flag("-e,--little-endian", "xxd -e: each group's bytes in reverse order (groups of 4)",
           o.little_endian);
    t.custom("-o,--display-offset", "OFFSET", "xxd -o: add OFFSET to the offsets shown",
             cli::Kind::size, [&o](std::string_view text) {
                 int64_t v = parse_dump_offset(text);  // negative: wraps, as xxd's unsigned long
                 o.display_offset = static_cast<uint64_t>(v);
             });
    t.flag("-d,--decimal", "xxd -d: offsets in decimal", o.decimal);
    t.flag("-a,--autoskip", "xxd -a: one '*' for a run of NUL lines", o.autoskip);
    t.flag("-E,--ebcdic", "xxd -E: the text column read as EBCDIC", o.ebcdic);
    t.flag("-C,--capitalize", "xxd -C: -f c's names in capitals", o.capitalize);
    t.string("--name", "NAME", "xxd -n: -f c's array name (any input)", o.c_name);
    t.flag("-v,--no-squeezing", "hexdump -v: show repeated lines, no '*'", o.no_squeeze);
    t.choice<PanelBorder>("--border", "STYLE", "-f panel's borders: unicode, ascii, none", o.border,
                          {{"unicode", PanelBorder::unicode},
                           {"ascii", PanelBorder::ascii},
                           {"none", PanelBorder::none}});
    t.flag("--plain", "-f panel without borders or color", o.plain);
    t.choice<NumberType>("--as", "TYPE",
                         "Values after the text column: u8 i8 u16 i16 u32 i32 u64 i64 f32 f64",
                         o.numbers.type,
                         {{"u8", NumberType::u8},
                          {"i8", NumberType::i8},
                          {"u16", NumberType::u16},
                          {"i16", NumberType::i16},
                          {"u32", NumberType::u32},
                          {"i32", NumberType::i32},
                          {"u64", NumberType::u64},
                          {"i64", NumberType::i64},
                          {"f32", NumberType::f32},
                          {"f64", NumberType::f64}});
    t.choice<bool>("--endian", "ORDER", "Byte order for --as: little (default), big",
                   o.numbers.big_endian, {{"little", false}, {"big", true}});
    t.flag("-r,--reverse", "Turn FORMAT's text back into bytes", o.reverse);
    t.flag("-i,--ignore-garbage", "With -r -f hex/base64: skip characters outside the alphabet",
           o.ignore_garbage);
    t.custom("--from", "ENCODING", "Convert from this encoding (with --to)", cli::Kind::choice,
             format(o.from))
        .keep_text(o.from_name)
        .complete_words(byte_format_names());
    t.custom("--to", "ENCODING", "Convert to this encoding (with --from)", cli::Kind::choice,
             format(o.to))
        .complete_words(byte_format_names());
    t.positional("file", "Input file (default: standard input)", o.file);
    t.positional("outfile",
                 "Output file (default: standard output); with -r patched in place, as xxd -r",
                 o.outfile);
}

// The settings a format's factories take; color is looked at only for a writer.
FormatSettings format_settings(const Options& opts, const Counts& counts) {
    FormatSettings s;
    s.columns = counts.columns;
    s.group = counts.group;
    s.wrap = counts.wrap;
    s.upper = opts.upper;
    s.ignore_garbage = opts.ignore_garbage;
    if (opts.file != "-") s.file_name = opts.file;
    s.little_endian = opts.little_endian;
    s.decimal = opts.decimal;
    s.ebcdic = opts.ebcdic;
    s.autoskip = opts.autoskip;
    s.display_offset = opts.display_offset;
    s.squeeze = !opts.no_squeeze;
    s.c_name = opts.c_name;
    s.capitalize = opts.capitalize;
    s.border = opts.plain ? PanelBorder::none : opts.border;
    s.numbers = opts.numbers;
    return s;
}

// xxd's -c limit, for the formats that have it.
void check_columns(const ByteFormat& format, const Counts& counts) {
    if (format.max_columns > 0 && counts.columns > static_cast<int64_t>(format.max_columns))
        throw UsageError("-c: at most " + std::to_string(format.max_columns) + " columns");
}

// -e as xxd takes it: the xxd dump only, a group a power of 2 (when it is not a whole line).
void check_little_endian(const Options& opts, const ByteFormat& format, const Counts& counts) {
    if (!opts.little_endian) return;
    if (format.name != "xxd") throw UsageError("-e goes with -f xxd");
    int64_t cols = counts.columns > 0 ? counts.columns : 16;
    int64_t group = counts.group >= 0 ? counts.group : 4;
    if (group >= 1 && group <= cols && (group & (group - 1)) != 0)
        throw UsageError("-e: bytes a group must be a power of 2");
}

// ---- Stage one: input bytes -> bytes or UTF-8 text ----

// Decodes a character set's bytes into UTF-8 text, carrying cut sequences.
class CharsetDecoder {
public:
    explicit CharsetDecoder(const ByteFormat& charset) : decode_(charset.decode_text) {}
    void feed(std::string_view in, std::string& out, bool final) {
        std::string_view data = in;
        if (!carry_.empty()) {
            carry_.append(in);
            data = carry_;
        }
        size_t left = decode_(out, data, final);
        carry_.assign(data.substr(data.size() - left));
    }

private:
    ByteFormat::DecodeText decode_;
    std::string carry_;
};

// ---- The input: -s/-n applied, read in large blocks ----

struct Input {
    UniqueFd owned;
    int fd = STDIN_FILENO;
    uint64_t offset = 0;  // of the first byte read, as dumps show it
    uint64_t remaining = UINT64_MAX;
};

// Files are read, not mapped: a block read into a buffer that stays in cache
// costs a third of the CPU time of faulting in a mapping's pages (256 MiB xxd).
Input open_input(const Options& opts, bool seek_input) {
    Input in;
    if (opts.file != "-") {
        in.owned = open_file(opts.file, O_RDONLY);
        in.fd = in.owned.get();
    }
    if (opts.length) in.remaining = *opts.length;
    struct stat st {};
    if (::fstat(in.fd, &st) < 0) throw SysError(opts.file, errno);
    if (!opts.seek || !seek_input) return in;
    int64_t seek = *opts.seek;
    bool seekable = S_ISREG(st.st_mode) || S_ISBLK(st.st_mode);
    if (seek < 0) {
        if (!seekable) throw Error(opts.file + ": cannot seek from the end: not a regular file");
        off_t end = ::lseek(in.fd, 0, SEEK_END);
        if (end < 0) throw SysError(opts.file, errno);
        if (-seek > end)
            throw Error(opts.file + ": seek " + opts.seek_text + " is before the start");
        seek += end;
    }
    in.offset = static_cast<uint64_t>(seek);
    if (seekable && ::lseek(in.fd, static_cast<off_t>(seek), SEEK_SET) >= 0) return in;
    // A pipe: read and drop.
    std::string skip(64 * 1024, '\0');
    for (uint64_t left = in.offset; left > 0;) {
        ssize_t n = read_full(in.fd, skip.data(), std::min<uint64_t>(left, skip.size()));
        if (n < 0) throw SysError(opts.file, errno);
        if (n == 0) break;
        left -= static_cast<uint64_t>(n);
    }
    return in;
}

// The next block, read into `buf`: up to buf.size() bytes, fewer only at the end.
std::string_view read_block(Input& in, std::string& buf, const std::string& name) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), in.remaining));
    if (want == 0) return std::string_view(buf.data(), 0);  // never null: writers memcpy it
    ssize_t n = read_full(in.fd, buf.data(), want);
    if (n < 0) throw SysError(name, errno);
    in.remaining -= static_cast<uint64_t>(n);
    return std::string_view(buf.data(), static_cast<size_t>(n));
}

// What the two stages are for the options given.
struct Plan {
    const ByteFormat* decode_bytes = nullptr;    // a byte form's text -> bytes
    const ByteFormat* decode_charset = nullptr;  // a character set's bytes -> UTF-8 text
    const ByteFormat* write = nullptr;           // bytes/text -> this form; none: raw
};

Plan make_plan(const Options& opts) {
    Plan plan;
    if (opts.from || opts.to) {
        if (!opts.from || !opts.to) throw UsageError("--from and --to go together");
        if (opts.reverse) throw UsageError("-r and --from/--to do not go together");
        const ByteFormat& from = *opts.from;
        const ByteFormat& to = *opts.to;
        if (from.is_charset()) {
            plan.decode_charset = &from;
        } else if (from.make_decoder) {
            plan.decode_bytes = &from;
        } else {
            throw UsageError("--from: '" + opts.from_name + "' cannot be read back");
        }
        plan.write = &to;
        return plan;
    }
    const ByteFormat& format = *opts.format;
    if (!opts.reverse) {
        if (format.is_charset()) {
            plan.decode_charset = &format;
        } else {
            plan.write = &format;
        }
    } else if (format.is_charset()) {
        plan.write = &format;  // UTF-8 text -> Buffer.from(str, format)
    } else if (format.make_decoder) {
        plan.decode_bytes = &format;
    } else {
        throw UsageError("-r: format '" + opts.format_name + "' has no reverse");
    }
    return plan;
}

// --as: the xxd dump, whole values a line.
void check_numbers(const Options& opts, const ByteFormat& format, const Counts& counts) {
    if (opts.numbers.type == NumberType::none) return;
    if (format.name != "xxd") throw UsageError("--as goes with -f xxd");
    size_t size = number_size(opts.numbers.type);
    int64_t cols = counts.columns > 0 ? counts.columns : 16;
    if (cols % static_cast<int64_t>(size) != 0)
        throw UsageError("--as: -c must be a multiple of " + std::to_string(size));
}

std::unique_ptr<ByteDecoder> make_decoder(const Options& opts, const Counts& counts,
                                          const ByteFormat& format) {
    if (opts.ignore_garbage && !format.skips_garbage)
        throw UsageError("-i goes with reading hex, base64 or base64url");
    check_columns(format, counts);
    return format.make_decoder(format_settings(opts, counts));
}

std::unique_ptr<ByteWriter> make_writer(const Options& opts, const Counts& counts,
                                        const ByteFormat& format, OutputBuffer& out,
                                        uint64_t offset) {
    FormatSettings s = format_settings(opts, counts);
    s.color = !opts.plain && use_color(opts.color, STDOUT_FILENO);
    check_columns(format, counts);
    check_little_endian(opts, format, counts);
    check_numbers(opts, format, counts);
    return format.make_writer(out, s, offset);
}

// The output: standard output or OUTFILE, which -r patches in place (opened
// without O_TRUNC, as xxd -r opens it); a dump replaces it.
struct Output {
    UniqueFd owned;
    int fd = STDOUT_FILENO;
};

Output open_output(const Options& opts) {
    Output o;
    if (opts.outfile == "-") return o;
    if (opts.outfile.empty()) throw UsageError("OUTFILE: empty name");
    o.owned = open_file(opts.outfile, O_WRONLY | O_CREAT | O_NOCTTY | (opts.reverse ? 0 : O_TRUNC));
    o.fd = o.owned.get();
    return o;
}

// Where xxd -r's offsets take the bytes: a seekable output is sought (holes in
// a new file stay sparse, bytes between patches stay as they were), any other
// output gets zeros for a forward jump and cannot go back.
void route_xxd_offsets(XxdReverseDecoder& xxd, ByteWriter& writer, OutputBuffer& out, bool raw) {
    off_t start = raw ? ::lseek(out.fd(), 0, SEEK_CUR) : -1;
    if (start >= 0) {
        xxd.on_seek = [&writer, &out, start](std::string& decoded, uint64_t, uint64_t position) {
            writer.write(decoded);
            decoded.clear();
            out.flush();
            if (position > static_cast<uint64_t>(INT64_MAX - start)) return false;
            return ::lseek(out.fd(), start + static_cast<off_t>(position), SEEK_SET) >= 0;
        };
        return;
    }
    xxd.on_seek = [&writer](std::string& decoded, uint64_t here, uint64_t position) {
        writer.write(decoded);
        decoded.clear();
        if (position < here) return false;
        static const std::string zeros(64 * 1024, '\0');
        for (uint64_t left = position - here; left > 0;) {
            size_t n = static_cast<size_t>(std::min<uint64_t>(left, zeros.size()));
            writer.write(std::string_view(zeros).substr(0, n));
            left -= n;
        }
        return true;
    };
}

int run_bufdump(const Options& opts) {
    Plan plan = make_plan(opts);
    Counts counts = parse_counts(opts);
    if (opts.ignore_garbage && !plan.decode_bytes)
        throw UsageError("-i goes with -r (or --from) hex, base64 or base64url");
    std::unique_ptr<ByteDecoder> decoder =
        plan.decode_bytes ? make_decoder(opts, counts, *plan.decode_bytes) : nullptr;
    auto* xxd = dynamic_cast<XxdReverseDecoder*>(decoder.get());
    if (xxd && opts.seek) xxd->set_base_offset(*opts.seek);  // xxd -r -s: moves the output
    Input in = open_input(opts, !xxd);
    Output output = open_output(opts);
    OutputBuffer out(output.fd, 1 << 20);
    std::unique_ptr<ByteWriter> writer =
        plan.write ? make_writer(opts, counts, *plan.write, out, in.offset)
                   : std::make_unique<RawWriter>(out);
    if (xxd) route_xxd_offsets(*xxd, *writer, out, !plan.write);
    std::optional<CharsetDecoder> charset;
    if (plan.decode_charset) charset.emplace(*plan.decode_charset);

    // Blocks a whole number of dump lines and base64 groups long.
    size_t line = counts.columns > 0 && counts.columns <= int64_t(kXxdMaxColumns)
                      ? static_cast<size_t>(counts.columns)
                      : 16;
    std::string block((1 << 20) / (3 * line) * 3 * line + 3 * line, '\0');
    std::string decoded;
    const std::string name = opts.file;
    try {
        for (;;) {
            std::string_view data = read_block(in, block, name);
            bool final = data.empty();
            if (decoder) {
                decoded.clear();
                if (final) {
                    decoder->finish(decoded);
                } else {
                    decoder->feed(data, decoded);
                }
                writer->write(decoded);
            } else if (charset) {
                decoded.clear();
                charset->feed(data, decoded, final);
                writer->write(decoded);
            } else {
                writer->write(data);
            }
            if (final) break;
        }
    } catch (const DecodeError& e) {
        // Output streams: what was decoded before the bad character is written.
        writer->write(decoded);
        writer->finish();
        out.flush();
        throw Error(name + ":" + std::to_string(e.line()) + ":" + std::to_string(e.column()) +
                    ": " + e.what());
    }
    writer->finish();
    out.flush();
    return exit_code::ok;
}

}  // namespace

const ToolEntry bufdump_tool{"bufdump",
                             "hex dumps and encodings (xxd, hexdump -C, base64, Node Buffer)",
                             tool_main<Options, declare_bufdump, run_bufdump>};

}  // namespace ptool
