# ctest helper (avikit_install, the fixture of the other packaging tests): installs the current
# build (the libraries it already built; nothing is rebuilt) into a fresh PREFIX with
# `cmake --install`, then checks the installed tree:
#   <libdir>/libavikit.so.<VERSION> (a file), libavikit.so.<SOVERSION> -> it, libavikit.so -> .so.<SOVERSION>,
#   <libdir>/libavikit.a, <includedir>/avikit.h and avikit.hpp (identical to include/),
#   <libdir>/pkgconfig/avikit.pc (prefix= the install prefix, Version, -lavikit),
#   <libdir>/cmake/avikit/avikitConfig.cmake and avikitConfigVersion.cmake.
#
#   cmake -DBUILD_DIR=... -DPREFIX=... -DSOURCE_DIR=<repo> -DLIBDIR=... -DINCLUDEDIR=...
#         -DVERSION=... -DSOVERSION=... [-DCONFIG=...] -P install_and_check.cmake
cmake_minimum_required(VERSION 3.16)

foreach(var BUILD_DIR PREFIX SOURCE_DIR LIBDIR INCLUDEDIR VERSION SOVERSION)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "install_and_check.cmake: -D${var}=... is required")
  endif()
endforeach()

set(failures "")

file(REMOVE_RECURSE "${PREFIX}")
unset(ENV{DESTDIR})
set(config_args "")
if(CONFIG)
  set(config_args --config "${CONFIG}")
endif()
execute_process(
  COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}" ${config_args}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${rc}):\n${err}")
endif()

foreach(kind LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${${kind}}")
    set(${kind}_ABS "${${kind}}")
  else()
    set(${kind}_ABS "${PREFIX}/${${kind}}")
  endif()
endforeach()
set(lib "${LIBDIR_ABS}")

# Libraries and soname links.
set(real "libavikit.so.${VERSION}")
set(so "libavikit.so.${SOVERSION}")
if(NOT EXISTS "${lib}/${real}" OR IS_SYMLINK "${lib}/${real}")
  list(APPEND failures "${lib}/${real} is missing or not a regular file")
endif()
foreach(pair "${so}=${real}" "libavikit.so=${so}")
  string(REPLACE "=" ";" pair "${pair}")
  list(GET pair 0 link)
  list(GET pair 1 target)
  if(IS_SYMLINK "${lib}/${link}")
    file(READ_SYMLINK "${lib}/${link}" points_to)
    if(NOT points_to STREQUAL target)
      list(APPEND failures "${lib}/${link} points to '${points_to}', expected '${target}'")
    endif()
  else()
    list(APPEND failures "${lib}/${link} is not a symlink")
  endif()
endforeach()
if(NOT EXISTS "${lib}/libavikit.a")
  list(APPEND failures "${lib}/libavikit.a is missing")
endif()

# Headers, byte for byte.
foreach(header avikit.h avikit.hpp)
  execute_process(COMMAND "${CMAKE_COMMAND}" -E compare_files
                          "${SOURCE_DIR}/include/${header}" "${INCLUDEDIR_ABS}/${header}"
                  RESULT_VARIABLE differ)
  if(NOT differ EQUAL 0)
    list(APPEND failures "${INCLUDEDIR_ABS}/${header} is missing or differs from include/")
  endif()
endforeach()

# pkg-config file.
set(pc "${lib}/pkgconfig/avikit.pc")
if(EXISTS "${pc}")
  file(READ "${pc}" pc_text)
  foreach(line "prefix=${PREFIX}" "Version: ${VERSION}" "Libs: -L\${libdir} -lavikit"
               "Libs.private: -lpthread -ldl -lm -lstdc++" "Cflags: -I\${includedir}")
    string(FIND "${pc_text}" "${line}\n" at)
    if(at EQUAL -1)
      list(APPEND failures "${pc} lacks the line '${line}'")
    endif()
  endforeach()
else()
  list(APPEND failures "${pc} is missing")
endif()

# CMake package.
foreach(file avikitConfig.cmake avikitConfigVersion.cmake)
  if(NOT EXISTS "${lib}/cmake/avikit/${file}")
    list(APPEND failures "${lib}/cmake/avikit/${file} is missing")
  endif()
endforeach()

if(failures)
  string(REPLACE ";" "\n  " failures "${failures}")
  message(FATAL_ERROR "the installed tree in ${PREFIX} is wrong:\n  ${failures}")
endif()
message(STATUS "installed and checked: ${PREFIX}")
