# CPack: `cpack -G DEB` in a build tree (scripts/package does it) makes ptool_VERSION_ARCH.deb
# from what `cmake --install` puts under /usr: bin/ptool, the man pages, the completions
# and share/doc/ptool/{copyright,changelog.gz}. Depends: comes from dpkg-shlibdeps; with
# PTOOL_STATIC_DEPS (the default) the binary needs only libc6, everything else is linked in.
set(CPACK_PACKAGE_NAME ptool)
set(CPACK_PACKAGE_VENDOR "the ptool authors")
# A placeholder: a distributor configures with -DCPACK_PACKAGE_CONTACT="Name <mail>"
# (lintian's bogus-mail-host error is about this default).
if(NOT CPACK_PACKAGE_CONTACT)
  set(CPACK_PACKAGE_CONTACT "ptool maintainers <ptool@localhost>")
endif()
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Node.js's process and byte tools for shell pipelines")
set(CPACK_PACKAGE_DESCRIPTION
    "One native binary, busybox-style, that brings the process and byte tools of
Node.js (child_process, cluster, process, Buffer, crypto) to shell pipelines,
ops scripts and CI: pstree, hashfile, bufdump, spawn, exec, daemonize,
fork-cluster and ipc-send, run as 'ptool COMMAND'.")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_GENERATOR DEB)
set(CPACK_SOURCE_GENERATOR TGZ)
set(CPACK_SOURCE_IGNORE_FILES /\\.git /build/ /\\.cache/)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/ptool/ptool")
# Files and folders 0644/0755 owned by root whatever the build tree's umask was.
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
    GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

include(CPack)
