// split_simple_command (cluster.hpp): whether an --agent command is plain words that
// can be executed directly, so the death signal reaches the agent, not a shell between.
// Apart from slots.cpp, which launches it.
#include <string>
#include <string_view>
#include <vector>

#include "tools/fork_cluster/cluster.hpp"

namespace ptool {

std::optional<std::vector<std::string>> split_simple_command(std::string_view command) {
    std::vector<std::string> words;
    std::string word;
    bool in_word = false;
    for (size_t i = 0; i < command.size(); ++i) {
        char c = command[i];
        if (c == ' ' || c == '\t') {
            if (in_word) words.push_back(std::move(word)), word.clear(), in_word = false;
            continue;
        }
        in_word = true;
        if (c == '\'') {
            size_t end = command.find('\'', i + 1);
            if (end == std::string_view::npos) return std::nullopt;
            word.append(command.substr(i + 1, end - i - 1));
            i = end;
        } else if (c == '"') {
            for (++i; i < command.size() && command[i] != '"'; ++i) {
                if (command[i] == '$' || command[i] == '`') return std::nullopt;
                if (command[i] == '\\' && i + 1 < command.size() &&
                    std::string_view("$`\"\\").find(command[i + 1]) != std::string_view::npos)
                    ++i;
                word += command[i];
            }
            if (i >= command.size()) return std::nullopt;
        } else if (c == '\\') {
            if (i + 1 >= command.size() || command[i + 1] == '\n') return std::nullopt;
            word += command[++i];
        } else if (std::string_view("|&;<>()$`*?[]{}~#!\n\r").find(c) != std::string_view::npos) {
            return std::nullopt;  // shell syntax
        } else {
            word += c;
        }
    }
    if (in_word) words.push_back(std::move(word));
    if (!words.empty() && words[0] == "exec") words.erase(words.begin());
    // An assignment "A=b cmd" is shell syntax too.
    if (words.empty() || words[0].empty() || words[0].starts_with("-") ||
        words[0].find('=') != std::string::npos)
        return std::nullopt;
    return words;
}

}  // namespace ptool
