# ctest helper (avikit_exports_shared, avikit_exports_static): the symbols a library makes
# visible to the programs that link it must be exactly the functions declared in avikit.h.
#
#   MODE=shared: `nm -D --defined-only LIB` lists only avk_* functions, the same set avikit.h
#     declares (nothing of Rust std, libjpeg-turbo or the other crates), and the ELF soname of
#     LIB is SONAME. Tolerated, should a linker add them: the linker-defined _init, _fini,
#     _edata, _end and __bss_start (ALLOWED below); none is there with GNU ld 2.40 + rustc's
#     version script.
#   MODE=static: `nm -g --defined-only LIB` (the localized libavikit.a; see
#     cmake/avikit_stage.cmake) lists only those same avk_* functions: the bundled libjpeg-turbo
#     (jpeg_*, tj*), Rust std and compiler-builtins symbols are all local.
#
#   cmake -DMODE=shared|static -DLIB=<file> -DHEADER=<avikit.h> -DNM=<nm> [-DREADELF=<readelf>]
#         [-DSONAME=libavikit.so.0] -P check_exports.cmake
cmake_minimum_required(VERSION 3.16)

foreach(var MODE LIB HEADER NM)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "check_exports.cmake: -D${var}=... is required")
  endif()
endforeach()
set(ALLOWED _init _fini _edata _end __bss_start)

# Functions declared by the header: lines such as "avk_status avk_writer_close(...);".
file(STRINGS "${HEADER}" lines REGEX "^[A-Za-z_].*[ *]avk_[a-z0-9_]+\\(")
set(declared "")
foreach(line IN LISTS lines)
  if(line MATCHES "^typedef")
    continue()
  endif()
  string(REGEX MATCH "[ *](avk_[a-z0-9_]+)\\(" m "${line}")
  list(APPEND declared "${CMAKE_MATCH_1}")
endforeach()
list(REMOVE_DUPLICATES declared)
list(SORT declared)
list(LENGTH declared declared_count)
if(declared_count LESS 10)
  message(FATAL_ERROR "found only ${declared_count} function declarations in ${HEADER}")
endif()

if(MODE STREQUAL "shared")
  set(nm_args -D --defined-only)
elseif(MODE STREQUAL "static")
  set(nm_args -g --defined-only)
else()
  message(FATAL_ERROR "check_exports.cmake: MODE must be shared or static")
endif()
execute_process(COMMAND "${NM}" ${nm_args} "${LIB}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${NM} ${nm_args} ${LIB} failed (${rc}):\n${err}")
endif()

# nm lines: "<address> <type> <name>[@@version]"; archive member headers ("x.o:") and blank
# lines are skipped.
string(REPLACE "\n" ";" nm_lines "${out}")
set(exported "")
set(unexpected "")
set(not_functions "")
foreach(line IN LISTS nm_lines)
  if(NOT line MATCHES "^[0-9a-fA-F]+ ([A-Za-z]) ([^ @]+)")
    continue()
  endif()
  set(type "${CMAKE_MATCH_1}")
  set(name "${CMAKE_MATCH_2}")
  if(name IN_LIST ALLOWED)
    continue()
  endif()
  if(name MATCHES "^avk_")
    list(APPEND exported "${name}")
    if(NOT type STREQUAL "T")
      list(APPEND not_functions "${type} ${name}")
    endif()
  else()
    list(APPEND unexpected "${type} ${name}")
  endif()
endforeach()
list(REMOVE_DUPLICATES exported)
list(SORT exported)

set(failures "")
if(unexpected)
  list(LENGTH unexpected n)
  list(SUBLIST unexpected 0 40 shown)
  string(REPLACE ";" "\n    " shown "${shown}")
  list(APPEND failures "${n} visible symbols outside avk_* (first 40):\n    ${shown}")
endif()
if(not_functions)
  list(APPEND failures "avk_* symbols that are not functions in .text: ${not_functions}")
endif()
set(missing "${declared}")
list(REMOVE_ITEM missing ${exported})
set(undeclared "${exported}")
list(REMOVE_ITEM undeclared ${declared})
if(missing)
  list(APPEND failures "declared in avikit.h but not exported: ${missing}")
endif()
if(undeclared)
  list(APPEND failures "exported but not declared in avikit.h: ${undeclared}")
endif()

if(MODE STREQUAL "shared")
  if(NOT READELF)
    find_program(READELF readelf)
  endif()
  execute_process(COMMAND "${READELF}" -d "${LIB}" RESULT_VARIABLE rc OUTPUT_VARIABLE dyn)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "readelf -d ${LIB} failed")
  endif()
  if(dyn MATCHES "\\(SONAME\\)[^[]*\\[([^]]*)\\]")
    set(soname "${CMAKE_MATCH_1}")
  else()
    set(soname "")
  endif()
  if(SONAME AND NOT soname STREQUAL SONAME)
    if(soname STREQUAL "")
      list(APPEND failures
           "${LIB} has no soname, expected ${SONAME} (build.rs passes -Wl,-soname to the cdylib)")
    else()
      list(APPEND failures "${LIB} has soname ${soname}, expected ${SONAME}")
    endif()
  endif()
endif()

if(failures)
  string(REPLACE ";" "\n  " failures "${failures}")
  message(FATAL_ERROR "${LIB} (${MODE}):\n  ${failures}")
endif()
list(LENGTH exported n)
message(STATUS "${LIB}: exactly the ${n} functions of avikit.h are visible")
if(MODE STREQUAL "shared")
  message(STATUS "soname: ${soname}")
endif()
