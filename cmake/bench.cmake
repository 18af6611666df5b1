# bench.cmake: `upager bench` (the benchmarks of bench/ built into the upager command) and its test
# Included from the top-level CMakeLists.txt, after the targets it adds to.

# Each benchmark's main becomes bench_<name>_main (BENCH_IN_CMD); the
# standalone bench_* programs are built from the same sources as before.
target_sources(upager_cmd PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/tools/bench.c
  ${CMAKE_CURRENT_SOURCE_DIR}/bench/bench_mmap.c
  ${CMAKE_CURRENT_SOURCE_DIR}/bench/bench_pread.c
  ${CMAKE_CURRENT_SOURCE_DIR}/bench/bench_budget.c)
target_compile_definitions(upager_cmd PRIVATE BENCH_IN_CMD)

# t_bench runs `upager bench` small and `upager stat` on preload_driver.
add_dependencies(t_bench upager_cmd upager_preload preload_driver)
target_compile_definitions(t_bench PRIVATE
  PRELOAD_LIB="$<TARGET_FILE:upager_preload>"
  PRELOAD_DRIVER="$<TARGET_FILE:preload_driver>"
  UPAGER_CMD="$<TARGET_FILE:upager_cmd>")
