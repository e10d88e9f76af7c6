// hashfile's test files and argv helpers (see named_files.hpp).
#include "named_files.hpp"

namespace ptool::test {

NamedFiles::NamedFiles(const std::vector<std::string>& names, size_t step, size_t extra,
                       uint64_t seed) {
    for (size_t i = 0; i < names.size(); ++i)
        write_file(dir / names[i], random_bytes(step * i + extra, seed + i));
}

RunOptions NamedFiles::in_dir(std::string input) const {
    RunOptions o;
    o.cwd = dir.path().string();
    o.input = std::move(input);
    return o;
}

std::vector<std::string> with(std::vector<std::string> head, const std::vector<std::string>& tail) {
    head.insert(head.end(), tail.begin(), tail.end());
    return head;
}

}  // namespace ptool::test
