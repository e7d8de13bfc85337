# Included by the install script (install(CODE) in CMakeLists.txt): writes avikit.pc for the
# prefix actually installed to (CMAKE_INSTALL_PREFIX here is `cmake --install --prefix`'s, or
# the configured one; DESTDIR is not part of it) and installs it to <libdir>/pkgconfig.
# In: AVIKIT_PC_TEMPLATE, AVIKIT_PC_OUT, AVIKIT_VERSION, AVIKIT_LIBDIR, AVIKIT_INCLUDEDIR
# (the last two relative to the prefix, or absolute).

cmake_policy(PUSH)
cmake_policy(VERSION 3.16)
set(AVIKIT_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
foreach(kind LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${AVIKIT_${kind}}")
    set(AVIKIT_PC_${kind} "${AVIKIT_${kind}}")
  else()
    set(AVIKIT_PC_${kind} "\${prefix}/${AVIKIT_${kind}}")
  endif()
endforeach()
if(IS_ABSOLUTE "${AVIKIT_LIBDIR}")
  set(avikit_pc_destination "${AVIKIT_LIBDIR}/pkgconfig")
else()
  set(avikit_pc_destination "${CMAKE_INSTALL_PREFIX}/${AVIKIT_LIBDIR}/pkgconfig")
endif()
configure_file("${AVIKIT_PC_TEMPLATE}" "${AVIKIT_PC_OUT}" @ONLY)
file(INSTALL DESTINATION "${avikit_pc_destination}" TYPE FILE FILES "${AVIKIT_PC_OUT}")
cmake_policy(POP)
