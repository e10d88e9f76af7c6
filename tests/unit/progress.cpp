// libcommon/progress: the progress line's layout and size formatting.
#include "tools/hashfile/progress.hpp"

#include <catch2/catch.hpp>

using namespace ptool;

TEST_CASE("human_size uses binary units with one decimal") {
    CHECK(human_size(0) == "0 B");
    CHECK(human_size(1023) == "1023 B");
    CHECK(human_size(1536) == "1.5 KiB");
    CHECK(human_size(1ull << 30) == "1.0 GiB");
}

TEST_CASE("the progress line shows label percentage bar and sizes within the width") {
    std::string line = ProgressBar::render("big.iso", 512ull << 20, 1ull << 30, 79);
    CHECK(line.rfind("big.iso  50% [", 0) == 0);
    CHECK(line.find("] 512.0 MiB/1.0 GiB") != std::string::npos);
    CHECK(line.size() <= 79);
}

TEST_CASE("a narrow progress line cuts the label and drops the bar") {
    std::string line = ProgressBar::render(std::string(100, 'n'), 1, 4, 30);
    CHECK(line.size() <= 30);
    CHECK(line.find('[') == std::string::npos);
    CHECK(line.find(" 25%") != std::string::npos);
}
