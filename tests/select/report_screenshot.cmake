# Renders report.html from the shipped example in headless Chromium and checks the result:
# a real PNG of the requested size that is not blank, and the rendered DOM showing the chosen
# layers. Arguments: -DHALO=<halo binary> -DRESULTS=<sweep.json> -DWORK=<scratch folder>.
cmake_minimum_required(VERSION 3.25)
set(CHROMIUM /usr/bin/chromium)
if(NOT EXISTS ${CHROMIUM})
  message(FATAL_ERROR "${CHROMIUM} not found: install the Debian chromium package (scripts/install-deps.sh)")
endif()
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})

execute_process(COMMAND ${HALO} rank --results ${RESULTS} --select 7 --out ${WORK}/out
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "halo rank failed (${rc}): ${err}")
endif()

set(FLAGS --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
          --disable-background-networking --disable-component-update --disable-sync
          --window-size=1200,1600)
set(PAGE file://${WORK}/out/report.html)
set(PNG ${WORK}/report.png)
execute_process(COMMAND ${CHROMIUM} ${FLAGS} --user-data-dir=${WORK}/profile-shot
                        --screenshot=${PNG} ${PAGE}
                RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET TIMEOUT 90)
if(NOT rc EQUAL 0 OR NOT EXISTS ${PNG})
  message(FATAL_ERROR "chromium produced no screenshot (exit ${rc})")
endif()

# PNG signature, then the IHDR chunk: width and height as big-endian 32-bit integers.
file(READ ${PNG} head LIMIT 24 HEX)
string(SUBSTRING "${head}" 0 16 signature)
string(SUBSTRING "${head}" 32 16 size)
if(NOT signature STREQUAL "89504e470d0a1a0a")
  message(FATAL_ERROR "${PNG} is not a PNG (starts with ${signature})")
endif()
if(NOT size STREQUAL "000004b000000640")
  message(FATAL_ERROR "${PNG} is not 1200x1600 (IHDR size ${size})")
endif()
# A blank or single-colour 1200x1600 page compresses to a few KB; the report's charts, text and
# table take well over 50 KB.
file(SIZE ${PNG} png_bytes)
if(png_bytes LESS 50000)
  message(FATAL_ERROR "${PNG} is only ${png_bytes} bytes: the page looks blank")
endif()

execute_process(COMMAND ${CHROMIUM} ${FLAGS} --user-data-dir=${WORK}/profile-dom --dump-dom ${PAGE}
                RESULT_VARIABLE rc OUTPUT_VARIABLE dom ERROR_QUIET TIMEOUT 90)
foreach(needle "data-attention-layers=\"2,3,6,8,9,21,25\"" "<b>2, 3, 6, 8, 9, 21, 25</b>"
               "<svg" "hypenet-2b-lightning (HALO)")
  string(FIND "${dom}" "${needle}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "rendered DOM lacks ${needle}")
  endif()
endforeach()
message(STATUS "report screenshot ${PNG}: ${png_bytes} bytes")
