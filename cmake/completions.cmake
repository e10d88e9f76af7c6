# Shell completions, installed where bash-completion, zsh and fish look for vendor
# scripts. Made at install time by the built ptool (`ptool completions SHELL`), so
# they come from the same option tables as --help and never drift from them.
set(PTOOL_COMPLETIONS
    "bash|bash-completion/completions|ptool"
    "zsh|zsh/vendor-completions|_ptool"
    "fish|fish/vendor_completions.d|ptool.fish")
foreach(entry IN LISTS PTOOL_COMPLETIONS)
  string(REPLACE "|" ";" parts "${entry}")
  list(GET parts 0 shell)
  list(GET parts 1 dir)
  list(GET parts 2 name)
  set(generated "${CMAKE_BINARY_DIR}/completions/${shell}/${name}")
  install(CODE "
    file(MAKE_DIRECTORY \"${CMAKE_BINARY_DIR}/completions/${shell}\")
    execute_process(COMMAND \"$<TARGET_FILE:ptool>\" completions ${shell}
                    OUTPUT_FILE \"${generated}\" COMMAND_ERROR_IS_FATAL ANY)
    file(INSTALL DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DATADIR}/${dir}\"
         TYPE FILE FILES \"${generated}\")")
endforeach()
