# fuzz.cmake: the fuzz harness with a plain main() over tests/fuzz/corpus, as the test t_fuzz_corpus
# tests/fuzz/fuzz_api.c is the libFuzzer harness that scripts/fuzz.sh
# builds with clang; here any compiler builds it with fuzz_main.c, which
# feeds it every file of the corpus once, so the corpus (crash inputs
# found and fixed included) runs in the plain and the sanitizer builds,
# once per I/O engine like every test.
add_executable(fuzz_corpus tests/fuzz/fuzz_api.c tests/fuzz/fuzz_main.c)
target_link_libraries(fuzz_corpus PRIVATE upager_static)
target_compile_definitions(fuzz_corpus PRIVATE
  FUZZ_CORPUS="${CMAKE_CURRENT_SOURCE_DIR}/tests/fuzz/corpus")
foreach(engine io_uring threads)
  set(tname t_fuzz_corpus)
  if(engine STREQUAL "threads")
    set(tname t_fuzz_corpus.threads)
  endif()
  add_test(NAME ${tname} COMMAND fuzz_corpus)
  set_tests_properties(${tname} PROPERTIES TIMEOUT 600
    ENVIRONMENT UPAGER_IOENGINE=${engine} LABELS "engine-${engine}")
endforeach()
