# ctest helper (avikit_consumer_*): builds c_tests/consumer against the avikit installed in
# PREFIX (by the avikit_install test) and runs it. Nothing of the avikit build tree is used.
#
#   cmake -DMODE=<cmake-shared|cmake-static|pkgconfig|jpeg-shared|jpeg-static>
#         -DPREFIX=<install prefix> -DLIBDIR=<libdir relative to PREFIX> -DSOURCE_DIR=<consumer/>
#         -DWORK_DIR=<scratch dir> -DGENERATOR=<cmake generator> -DC_COMPILER=<cc>
#         [-DMAKE_PROGRAM=...] [-DPKG_CONFIG=<pkg-config>] -P run_consumer.cmake
#
# pkgconfig also compiles consumer.c with a bare compiler line from `pkg-config --cflags --libs
# avikit`, as a Makefile would, and checks --modversion and `--static --libs`.
cmake_minimum_required(VERSION 3.16)

foreach(var MODE PREFIX LIBDIR SOURCE_DIR WORK_DIR GENERATOR C_COMPILER)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "run_consumer.cmake: -D${var}=... is required")
  endif()
endforeach()

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "${what} failed (${rc}): ${cmd}\n${out}\n${err}")
  endif()
  message(STATUS "${what}: ok")
  if(NOT out STREQUAL "")
    message("${out}")
  endif()
  set(RUN_OUTPUT "${out}" PARENT_SCOPE)
endfunction()

if(IS_ABSOLUTE "${LIBDIR}")
  set(libdir "${LIBDIR}")
else()
  set(libdir "${PREFIX}/${LIBDIR}")
endif()
if(NOT EXISTS "${libdir}/libavikit.so")
  message(FATAL_ERROR "${libdir}/libavikit.so is missing: did the avikit_install test run?")
endif()

# No avikit from the environment: only PREFIX may provide it.
set(ENV{PKG_CONFIG_PATH} "${libdir}/pkgconfig")
unset(ENV{CMAKE_PREFIX_PATH})
unset(ENV{avikit_DIR})
unset(ENV{avikit_ROOT})

set(via cmake)
set(link shared)
set(jpeg OFF)
if(MODE STREQUAL "cmake-static")
  set(link static)
elseif(MODE STREQUAL "pkgconfig")
  set(via pkgconfig)
elseif(MODE STREQUAL "jpeg-shared")
  set(jpeg ON)
elseif(MODE STREQUAL "jpeg-static")
  set(link static)
  set(jpeg ON)
elseif(NOT MODE STREQUAL "cmake-shared")
  message(FATAL_ERROR "run_consumer.cmake: unknown MODE ${MODE}")
endif()

set(build "${WORK_DIR}/${MODE}")
file(REMOVE_RECURSE "${build}")
file(MAKE_DIRECTORY "${build}")
set(extra "")
if(MAKE_PROGRAM)
  list(APPEND extra "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
endif()
if(PKG_CONFIG)
  list(APPEND extra "-DPKG_CONFIG_EXECUTABLE=${PKG_CONFIG}")
endif()
run("configure the consumer (${MODE})"
  "${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${build}" -G "${GENERATOR}"
  "-DCMAKE_C_COMPILER=${C_COMPILER}" -DCMAKE_BUILD_TYPE=Release
  "-DCMAKE_PREFIX_PATH=${PREFIX}" "-DAVIKIT_CONSUMER_PREFIX=${PREFIX}"
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
  "-DAVIKIT_CONSUMER_VIA=${via}" "-DAVIKIT_CONSUMER_LINK=${link}"
  "-DAVIKIT_CONSUMER_WITH_JPEG=${jpeg}" ${extra})
run("build the consumer (${MODE})" "${CMAKE_COMMAND}" --build "${build}")

if(link STREQUAL "static")
  set(origin static)
else()
  set(origin "${libdir}")
endif()
if(jpeg)
  run("consumer_jpeg_first" "${build}/consumer_jpeg_first" "${build}/jpeg_first.avi" "${origin}" jpeg)
  run("consumer_avikit_first" "${build}/consumer_avikit_first" "${build}/avikit_first.avi" "${origin}" jpeg)
else()
  run("consumer" "${build}/consumer" "${build}/consumer.avi" "${origin}")
endif()

if(via STREQUAL "pkgconfig")
  if(NOT PKG_CONFIG)
    message(FATAL_ERROR "run_consumer.cmake: pkgconfig needs -DPKG_CONFIG=...")
  endif()
  run("pkg-config --modversion avikit" "${PKG_CONFIG}" --modversion avikit)
  string(STRIP "${RUN_OUTPUT}" version)
  if(NOT DEFINED VERSION OR NOT version STREQUAL VERSION)
    message(FATAL_ERROR "pkg-config reports avikit ${version}, expected ${VERSION}")
  endif()
  run("pkg-config --static --libs avikit" "${PKG_CONFIG}" --static --libs avikit)
  separate_arguments(static_flags UNIX_COMMAND "${RUN_OUTPUT}")
  foreach(flag -lavikit -lpthread -ldl -lm -lstdc++)
    if(NOT flag IN_LIST static_flags)
      message(FATAL_ERROR "`pkg-config --static --libs avikit` lacks ${flag}: ${RUN_OUTPUT}")
    endif()
  endforeach()
  run("pkg-config --cflags --libs avikit" "${PKG_CONFIG}" --cflags --libs avikit)
  string(STRIP "${RUN_OUTPUT}" flags)
  separate_arguments(flags UNIX_COMMAND "${flags}")
  # A bare compiler line, as a Makefile using pkg-config would have.
  run("cc consumer.c $(pkg-config --cflags --libs avikit)"
    "${C_COMPILER}" -std=c11 -Wall -Wextra -Werror -pedantic
    "${SOURCE_DIR}/consumer.c" ${flags} -ldl -o "${build}/consumer_cc")
  set(ENV{LD_LIBRARY_PATH} "${libdir}")
  run("consumer_cc" "${build}/consumer_cc" "${build}/consumer_cc.avi" "${libdir}")
endif()

file(REMOVE_RECURSE "${build}")
