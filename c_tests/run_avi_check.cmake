# ctest helper: cmake -DPYTHON=... -DSCRIPT=avi_check.py -DFILE=x.avi -DVIDEO_FRAMES=N
#                     -DAUDIO_BYTES=N -P run_avi_check.cmake   (AUDIO_BYTES=none: no audio check)
# Runs avi_check.py on FILE; removes FILE when the check passes, keeps it for inspection if not.
foreach(var PYTHON SCRIPT FILE VIDEO_FRAMES AUDIO_BYTES)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_avi_check.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT EXISTS "${FILE}")
  message(FATAL_ERROR "run_avi_check.cmake: ${FILE} does not exist (did the test that writes it fail?)")
endif()
set(audio_check --audio-bytes ${AUDIO_BYTES})
if(AUDIO_BYTES STREQUAL "none")
  set(audio_check "")
endif()
execute_process(
  COMMAND "${PYTHON}" "${SCRIPT}" "${FILE}"
          --video-frames ${VIDEO_FRAMES} ${audio_check}
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message("${out}")
  message(FATAL_ERROR "avi_check.py failed (exit ${rc}) on ${FILE} (kept):\n${err}")
endif()
message(STATUS "avi_check.py passed on ${FILE}")
file(REMOVE "${FILE}")
