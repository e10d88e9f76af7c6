// `ptool completions bash|zsh|fish` in the real shells: bash through `complete -p`
// and COMP_WORDS/COMP_CWORD -> COMPREPLY, fish through `complete -C`, zsh through
// compinit with the script as _ptool (registered for ptool, loadable, valid syntax) and an
// interactive zsh in a pty (zpty) that is sent a line and TAB. The words come
// from the option tables, so a check here covers a subcommand, an option prefix, a value (-a) and a
// file.
#include <catch2/catch.hpp>

#include <sstream>

#include "test_support.hpp"

using namespace ptool::test;

namespace {

// The words bash's _ptool offers for `line` (split on spaces, the last word being
// completed), run in `dir`.
std::vector<std::string> bash_complete(const std::string& line, const std::string& dir = "") {
    std::string script =
        "source <(\"$PTOOL\" completions bash) || exit 3\n"
        "read -ra COMP_WORDS <<< " +
        shell_quote(line) + "\n" + (line.ends_with(" ") ? "COMP_WORDS+=('')\n" : "") +
        "COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n"
        "_ptool\n"
        "printf '%s\\n' \"${COMPREPLY[@]}\"\n";
    RunOptions opts;
    opts.cwd = dir;
    auto r = run({"bash", "--norc", "-c", script}, [&] {
        opts.env["PTOOL"] = ptool_bin();
        return opts;
    }());
    REQUIRE(r.status == 0);
    std::vector<std::string> words;
    std::istringstream in(r.out);
    for (std::string word; std::getline(in, word);)
        if (!word.empty()) words.push_back(word);
    std::sort(words.begin(), words.end());
    return words;
}

bool has(const std::vector<std::string>& words, const std::string& word) {
    return std::find(words.begin(), words.end(), word) != words.end();
}

}  // namespace

TEST_CASE("completions: bash registers _ptool for ptool") {
    RunOptions opts;
    opts.env["PTOOL"] = ptool_bin();
    auto r =
        run({"bash", "--norc", "-c", "source <(\"$PTOOL\" completions bash) && complete -p ptool"},
            opts);
    CHECK(r.status == 0);
    CHECK(r.out == "complete -F _ptool ptool\n");
}

TEST_CASE("completions: bash completes subcommands, options, values and files") {
    CHECK(bash_complete("ptool hash") == std::vector<std::string>{"hashfile"});
    CHECK(bash_complete("ptool fork") == std::vector<std::string>{"fork-cluster"});
    CHECK(bash_complete("ptool hashfile --al") == std::vector<std::string>{"--algo"});
    CHECK(bash_complete("ptool hashfile --recur") == std::vector<std::string>{"--recursive"});
    auto algos = bash_complete("ptool hashfile -a bla");
    CHECK(algos == std::vector<std::string>{"blake2b", "blake2s", "blake3"});
    CHECK(has(bash_complete("ptool hashfile --algo = sha"), "sha256"));
    CHECK(bash_complete("ptool bufdump -f base") ==
          std::vector<std::string>{"base64", "base64url"});
    CHECK(bash_complete("ptool bufdump --color =") ==
          std::vector<std::string>{"always", "auto", "never"});
    CHECK(has(bash_complete("ptool spawn --kill-signal TE"), "TERM"));
    CHECK(bash_complete("ptool completions z") == std::vector<std::string>{"zsh"});
    CHECK(bash_complete("ptool help pst") == std::vector<std::string>{"pstree"});
    TempDir dir;
    write_file(dir / "alpha.txt", "");
    write_file(dir / "beta", "");
    CHECK(bash_complete("ptool hashfile al", dir.path().string()) ==
          std::vector<std::string>{"alpha.txt"});
    CHECK(bash_complete("ptool hashfile -a md5 be", dir.path().string()) ==
          std::vector<std::string>{"beta"});
}

TEST_CASE("completions: bash completes spawn's program as a command, after its options") {
    CHECK(has(bash_complete("ptool spawn --env A = 1 ech"), "echo"));
    CHECK(has(bash_complete("ptool spawn --timeout 5s -- ech"), "echo"));
    // The program's own options are its own, not spawn's.
    CHECK_FALSE(has(bash_complete("ptool spawn sh --ti"), "--timeout"));
}

TEST_CASE("completions: fish completes options with their help, and values") {
    auto fish = [](const std::string& line) {
        auto r = run({"fish", "--no-config", "-c",
                      shell_quote(ptool_bin()) + " completions fish | source; complete -C" +
                          shell_quote(line)});
        REQUIRE(r.status == 0);
        return r.out;
    };
    std::string algo = fish("ptool hashfile --al");
    CHECK(algo.rfind("--algo\tDigest algorithm", 0) == 0);
    auto words = [](const std::string& out) {
        std::vector<std::string> first;
        std::istringstream in(out);
        for (std::string line; std::getline(in, line);)
            first.push_back(line.substr(0, line.find('\t')));
        return first;
    };
    CHECK(words(fish("ptool hashfile -a bla")) ==
          std::vector<std::string>{"blake2b", "blake2s", "blake3"});
    CHECK(words(fish("ptool hashf")) == std::vector<std::string>{"hashfile"});
    CHECK(words(fish("ptool bufdump --color=n")) == std::vector<std::string>{"--color=never"});
}

TEST_CASE("completions: zsh loads _ptool through compinit") {
    TempDir dir;
    REQUIRE(run_shell("\"$PTOOL\" completions zsh > " + shell_quote(dir / "_ptool")).status == 0);
    auto r = run({"zsh", "-f", "-c",
                  "fpath=(" + shell_quote(dir.path().string()) +
                      " $fpath); autoload -U compinit; compinit -u -D; "
                      "print -r -- $_comps[ptool]; autoload -Uz +X _ptool && print loaded"});
    CHECK(r.status == 0);
    CHECK(r.out == "_ptool\nloaded\n");
    CHECK(run({"zsh", "-n", dir / "_ptool"}).status == 0);
}

namespace {

// An interactive zsh in a pty (zsh/zpty) with _ptool on its fpath is sent BUFFER and TAB;
// compadd is wrapped to print each match it is given between <M> and </M>. Every read
// waits for a pattern (the prompt), never for a time; `timeout` bounds a zsh that hangs.
constexpr const char* kZshCapture = R"zsh(
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "fpath=(${(q)1} \$fpath); autoload -U compinit; compinit -u -D"
zpty -w z 'compadd () {
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return $?; fi
  typeset -a __hits; builtin compadd -A __hits "$@"
  (( $#__hits )) && print -r -l -- "<M>"${^__hits}"</M>"
}'
zpty -w z "PROMPT='<P>'"
zpty -w z "bindkey '^XS' send-break"
zpty -w z "print -r '<READY>'"
zpty -r z line '*<READY>*'
zpty -r z line '*<P>*'
zpty -w -n z "$2"$'\t\C-XS'
zpty -r z out '*<P>*'
print -r -- "$out"
zpty -d z
)zsh";

std::vector<std::string> zsh_complete(const TempDir& dir, const std::string& buffer) {
    auto r = run({"timeout", "20", "zsh", "-f", dir / "capture.zsh", dir.path().string(), buffer});
    REQUIRE(r.status == 0);
    std::vector<std::string> words;
    for (size_t at = 0; (at = r.out.find("<M>", at)) != std::string::npos;) {
        size_t end = r.out.find("</M>", at);
        if (end == std::string::npos) break;
        words.push_back(r.out.substr(at + 3, end - at - 3));
        at = end;
    }
    std::sort(words.begin(), words.end());
    return words;
}

}  // namespace

TEST_CASE("completions: zsh completes subcommands, option values and files in a real zsh") {
    TempDir dir;
    REQUIRE(run_shell("\"$PTOOL\" completions zsh > " + shell_quote(dir / "_ptool")).status == 0);
    write_file(dir / "capture.zsh", kZshCapture);
    write_file(dir / "somefile.bin", "");
    CHECK(zsh_complete(dir, "ptool hashf") == std::vector<std::string>{"hashfile"});
    CHECK(zsh_complete(dir, "ptool hashfile -a bla") ==
          std::vector<std::string>{"blake2b", "blake2s", "blake3"});
    CHECK(zsh_complete(dir, "ptool bufdump --color=n") == std::vector<std::string>{"never"});
    CHECK(zsh_complete(dir, "ptool spawn --kill-s") == std::vector<std::string>{"--kill-signal"});
    CHECK(zsh_complete(dir, "ptool hashfile " + dir / "some") ==
          std::vector<std::string>{"somefile.bin"});
}
