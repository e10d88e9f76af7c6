// The colored dumps' direct lines (xxd_color.cpp, hexdump's and the panel's)
// against the general path that paints each plain line (color_runs.cpp), which
// wrote every colored line before: the same bytes for every layout and input
// (the panel's plain direct lines, too, against the plain line it paints).
#include <sys/mman.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "libcommon/bytes/hexdump.hpp"
#include "libcommon/bytes/panel.hpp"
#include "libcommon/bytes/xxd.hpp"
#include "libcommon/core/fd.hpp"
#include "test_support.hpp"

using namespace ptool;

namespace {

// Runs `fill` with an OutputBuffer on a memory file and returns what was written.
template <typename Fill>
std::string capture(Fill fill) {
    UniqueFd fd(memfd_create("dump", MFD_CLOEXEC));
    REQUIRE(fd.get() >= 0);
    OutputBuffer out(fd.get(), 8192);
    fill(out);
    out.flush();
    std::string text(static_cast<size_t>(lseek(fd.get(), 0, SEEK_CUR)), '\0');
    REQUIRE(pread(fd.get(), text.data(), text.size(), 0) == static_cast<ssize_t>(text.size()));
    return text;
}

// Lines of one class (NULs, letters, blanks, controls, high bytes), classes
// changing at line boundaries and inside lines, every byte value, random bytes.
std::vector<std::string> color_inputs() {
    std::string all;
    for (int i = 0; i < 512; ++i) all += static_cast<char>(i & 0xFF);
    std::string runs;
    for (char c : {'\0', 'A', ' ', '\x01', '\xff'}) runs += std::string(48, c);
    std::string mixed;
    for (int k = 0; k < 40; ++k) {
        mixed += "text\tline " + std::to_string(k) + "\n";
        mixed += test::random_bytes(static_cast<size_t>(k * 3 % 37), static_cast<uint64_t>(k));
        mixed += std::string(static_cast<size_t>(k % 19), '\0');
    }
    std::vector<std::string> inputs = {all, runs, mixed, test::random_bytes(5000, 3)};
    const size_t lengths[] = {0, 1, 15, 16, 17, 33, 40};  // around one and two lines
    for (size_t n : lengths) inputs.push_back(test::random_bytes(n, n + 100));
    return inputs;
}

}  // namespace

TEST_CASE("XxdWriter's direct colored lines are the painted plain lines") {
    struct Case {
        size_t columns, group;
        bool upper, ebcdic, autoskip;
    };
    const Case cases[] = {
        {16, 2, false, false, false},  {16, 2, true, false, false},  {7, 3, false, false, false},
        {1, 1, false, false, false},   {8, 1, false, false, false},  {32, 4, false, false, false},
        {256, 8, false, false, false}, {16, 0, false, false, false}, {16, 16, false, false, false},
        {16, 3, false, false, false},  {5, 4, false, false, false},  {13, 5, false, false, false},
        {16, 2, false, true, false},   {16, 2, false, false, true},
    };
    std::vector<std::string> inputs = color_inputs();
    // Offsets whose lines end below, at and past 4 GiB (where the direct lines stop).
    for (uint64_t offset : {uint64_t(0), uint64_t(0xFFFFFFB0), uint64_t(0x100000000)}) {
        for (const Case& c : cases) {
            for (const std::string& data : inputs) {
                auto dump = [&](bool paint) {
                    return capture([&](OutputBuffer& out) {
                        XxdLayout layout;
                        layout.columns = c.columns;
                        layout.group = c.group;
                        layout.upper = c.upper;
                        layout.ebcdic = c.ebcdic;
                        layout.autoskip = c.autoskip;
                        layout.color = true;
                        layout.paint_plain_lines = paint;
                        XxdWriter w(out, layout, offset);
                        // Odd chunks, so that lines are carried across writes.
                        for (size_t at = 0; at < data.size(); at += 23)
                            w.write(std::string_view(data).substr(at, 23));
                        w.finish();
                    });
                };
                INFO("-c " << c.columns << " -g " << c.group << " upper " << c.upper << " ebcdic "
                           << c.ebcdic << " autoskip " << c.autoskip << " offset " << offset
                           << " length " << data.size());
                REQUIRE(dump(false) == dump(true));
            }
        }
    }
}

TEST_CASE("HexdumpWriter's direct colored lines are the painted plain lines") {
    std::vector<std::string> inputs = color_inputs();
    for (uint64_t offset : {uint64_t(0), uint64_t(0xFFFFFFB0), uint64_t(0x100000000)}) {
        for (bool squeeze : {true, false}) {
            for (const std::string& data : inputs) {
                auto dump = [&](bool paint) {
                    return capture([&](OutputBuffer& out) {
                        HexdumpWriter w(out, offset, true, squeeze, paint);
                        for (size_t at = 0; at < data.size(); at += 23)
                            w.write(std::string_view(data).substr(at, 23));
                        w.finish();
                    });
                };
                INFO("squeeze " << squeeze << " offset " << offset << " length " << data.size());
                REQUIRE(dump(false) == dump(true));
            }
        }
    }
}

TEST_CASE("PanelWriter's direct lines, colored and plain, are the line builder's") {
    std::vector<std::string> inputs = color_inputs();
    inputs.push_back(std::string(80, '\0') + "x" + std::string(47, '\0'));  // squeezed runs
    inputs.push_back(std::string(64, 'A'));                                 // squeezed at the end
    // Offsets below 4 GiB, crossing it (where the offset widens) and near 2^64.
    for (uint64_t offset :
         {uint64_t(0), uint64_t(0xFFFFFFB0), uint64_t(0x100000000), uint64_t(0xFFFFFFFFFFFFFFF0)}) {
        for (PanelBorder border : {PanelBorder::unicode, PanelBorder::ascii, PanelBorder::none}) {
            for (int mode = 0; mode < 4; ++mode) {
                bool color = mode & 1, squeeze = mode & 2;
                for (const std::string& data : inputs) {
                    auto dump = [&](bool paint) {
                        return capture([&](OutputBuffer& out) {
                            PanelWriter w(out, offset, border, color, squeeze, paint);
                            for (size_t at = 0; at < data.size(); at += 23)
                                w.write(std::string_view(data).substr(at, 23));
                            w.finish();
                        });
                    };
                    INFO("border " << static_cast<int>(border) << " color " << color << " squeeze "
                                   << squeeze << " offset " << offset << " length " << data.size());
                    REQUIRE(dump(false) == dump(true));
                }
            }
        }
    }
}
