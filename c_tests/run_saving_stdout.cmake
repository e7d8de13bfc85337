# ctest helper: cmake "-DCOMMAND=<program;args...>" -DOUTPUT=<file> -P run_saving_stdout.cmake
# Runs COMMAND, shows what it printed, and saves its standard output to OUTPUT for a check that
# runs after it (a fixture). Fails when the program does.
foreach(var COMMAND OUTPUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_saving_stdout.cmake: -D${var}=... is required")
  endif()
endforeach()
execute_process(COMMAND ${COMMAND} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
file(WRITE "${OUTPUT}" "${out}")
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${COMMAND} failed (exit ${rc})")
endif()
