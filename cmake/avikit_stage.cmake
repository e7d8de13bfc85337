# cmake -P script run at build time (see CMakeLists.txt): stages the libraries cargo built into
# OUT_DIR in the form they are installed in, and the tests link against:
#
#   libavikit.so.<VERSION>                    copy of cargo's cdylib (soname libavikit.so.<SOVERSION>,
#   libavikit.so.<SOVERSION> -> .so.<VERSION>  set by build.rs)
#   libavikit.so -> libavikit.so.<SOVERSION>
#   libavikit.a                               cargo's staticlib, with LOCALIZE=ON "localized":
#
# cargo's libavikit.a is an archive of Rust std, the crates and the bundled libjpeg-turbo, all
# with global symbols (jpeg_*, tj*, Rust runtime symbols). A program that also links another
# libjpeg gets one of the two copies for both users, silently (see c_tests/CMakeLists.txt). With
# LOCALIZE=ON the archive is partially linked into one object (ld -r, unused sections dropped,
# the avk_* functions as roots) whose only global definitions are the avk_* functions
# (objcopy), like the cdylib's export list. The LLVM bitcode/address-significance sections are
# dropped: bitcode is unused without cross-language LTO, and objcopy reorders the symbol table
# that .llvm_addrsig indexes.
#
# Variables: SHARED_IN, STATIC_IN, OUT_DIR, VERSION, SOVERSION, LOCALIZE (ON/OFF), LINKER,
# OBJCOPY, AR, NM (tools; only needed for LOCALIZE).

cmake_minimum_required(VERSION 3.16)

foreach(var SHARED_IN STATIC_IN OUT_DIR VERSION SOVERSION)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "avikit_stage.cmake: ${var} is not set")
  endif()
endforeach()

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "avikit_stage: '${cmd}' failed (${rc}):\n${out}${err}")
  endif()
  set(RUN_OUTPUT "${out}" PARENT_SCOPE)
endfunction()

file(MAKE_DIRECTORY "${OUT_DIR}")

# ---- shared library ---------------------------------------------------------------------------
set(real "libavikit.so.${VERSION}")
set(so "libavikit.so.${SOVERSION}")
run("${CMAKE_COMMAND}" -E copy_if_different "${SHARED_IN}" "${OUT_DIR}/${real}")
foreach(link_and_target "${so}:${real}" "libavikit.so:${so}")
  string(REPLACE ":" ";" pair "${link_and_target}")
  list(GET pair 0 link)
  list(GET pair 1 target)
  set(current "")
  if(IS_SYMLINK "${OUT_DIR}/${link}")
    file(READ_SYMLINK "${OUT_DIR}/${link}" current)
  endif()
  if(NOT current STREQUAL target)
    file(REMOVE "${OUT_DIR}/${link}")
    file(CREATE_LINK "${target}" "${OUT_DIR}/${link}" SYMBOLIC)
  endif()
endforeach()

# ---- static library -------------------------------------------------------------------------
set(static_out "${OUT_DIR}/libavikit.a")
if(NOT LOCALIZE)
  run("${CMAKE_COMMAND}" -E copy_if_different "${STATIC_IN}" "${static_out}")
  return()
endif()

foreach(tool LINKER OBJCOPY AR NM)
  if(NOT ${tool})
    message(FATAL_ERROR "avikit_stage: LOCALIZE=ON needs ${tool}")
  endif()
endforeach()

# Roots: every avk_* function the archive defines.
run("${NM}" -g --defined-only "${STATIC_IN}")
string(REGEX MATCHALL "[0-9a-fA-F]+ T avk_[A-Za-z0-9_]+" defs "${RUN_OUTPUT}")
set(roots "")
set(names "")
foreach(def IN LISTS defs)
  string(REGEX REPLACE ".* T " "" name "${def}")
  if(NOT name IN_LIST names)
    list(APPEND names "${name}")
    list(APPEND roots -u "${name}")
  endif()
endforeach()
if(NOT names)
  message(FATAL_ERROR "avikit_stage: ${STATIC_IN} defines no avk_* function")
endif()

set(tmp "${OUT_DIR}/avikit-static.tmp")
file(REMOVE_RECURSE "${tmp}")
file(MAKE_DIRECTORY "${tmp}")
run("${LINKER}" -r --gc-sections ${roots} -o "${tmp}/all.o"
    --whole-archive "${STATIC_IN}" --no-whole-archive)
run("${OBJCOPY}" --wildcard "--keep-global-symbol=avk_*"
    --remove-section=.llvmbc --remove-section=.llvmcmd --remove-section=.llvm_addrsig
    "${tmp}/all.o" "${tmp}/avikit.o")
file(REMOVE "${tmp}/libavikit.a")
run("${AR}" rcs "${tmp}/libavikit.a" "${tmp}/avikit.o")
file(RENAME "${tmp}/libavikit.a" "${static_out}")
file(REMOVE_RECURSE "${tmp}")
list(LENGTH names count)
message(STATUS "avikit: ${static_out}: localized, ${count} global avk_* functions")
