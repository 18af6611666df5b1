#!/usr/bin/env bash
# test.sh: set up, build and run the whole test suite: a debug build,
# the same under AddressSanitizer + UndefinedBehaviorSanitizer, the
# concurrency tests under ThreadSanitizer, then the API under libFuzzer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
jobs=$(nproc)
run() {  # run DIR SANITIZERS [ctest args...]
  local dir=$1 san=$2; shift 2
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DUPAGER_SANITIZE="$san" >/dev/null
  cmake --build "$dir" -j "$jobs" >/dev/null
  (cd "$dir" && ctest --output-on-failure "$@")
}
echo "== tests: debug build"
run build/test ""
echo "== tests: AddressSanitizer + UndefinedBehaviorSanitizer"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run build/asan "address,undefined"
echo "== tests: ThreadSanitizer (concurrency tests)"
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
  run build/tsan "thread" -L concurrency
echo "== fuzz: libFuzzer on the API, ${UPAGER_FUZZ_SECONDS:-300}s (scripts/fuzz.sh)"
scripts/fuzz.sh
