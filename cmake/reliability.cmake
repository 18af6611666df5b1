# reliability.cmake: the reliability tests' label and the long stress run
#
# tests/t_faults.c (the model under injected faults), t_crash.c (SIGKILL
# durability) and t_hygiene.c (descriptors, close-on-exec, signal masks,
# read-only files) are registered with every other tests/t_*.c; here they
# get the label "reliability" too: `ctest -L reliability`.
foreach(t t_faults t_crash t_hygiene)
  if(TEST ${t})
    set_property(TEST ${t} ${t}.threads APPEND PROPERTY LABELS reliability)
  endif()
endforeach()

# `cmake --build DIR --target stress`: each concurrency test (t_conc_*)
# in stress mode for UPAGER_STRESS_SECONDS seconds, once per I/O engine,
# one after the other, outside ctest (whose 600 s timeout would stop a
# long run).  The CI runs them once each, with their short defaults.
set(UPAGER_STRESS_SECONDS 600 CACHE STRING
  "seconds each concurrency test runs for under the stress target")
file(GLOB UPAGER_CONC_TESTS ${CMAKE_CURRENT_SOURCE_DIR}/tests/t_conc_*.c)
set(UPAGER_STRESS_COMMANDS "")
foreach(src ${UPAGER_CONC_TESTS})
  get_filename_component(name ${src} NAME_WE)
  foreach(engine io_uring threads)
    list(APPEND UPAGER_STRESS_COMMANDS COMMAND ${CMAKE_COMMAND} -E env
      UPAGER_STRESS_SECONDS=${UPAGER_STRESS_SECONDS}
      UPAGER_IOENGINE=${engine} $<TARGET_FILE:${name}>)
  endforeach()
endforeach()
add_custom_target(stress ${UPAGER_STRESS_COMMANDS}
  WORKING_DIRECTORY ${CMAKE_BINARY_DIR} USES_TERMINAL VERBATIM)
