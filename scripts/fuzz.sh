#!/usr/bin/env bash
# fuzz.sh: build the libFuzzer harness of upager's API with clang and run it on a copy of the corpus
#
#   scripts/fuzz.sh            build build/fuzz/fuzz_api, fuzz for
#                              $UPAGER_FUZZ_SECONDS seconds (default 300)
#   scripts/fuzz.sh FILE...    build, then run the harness once on each file
#                              (to reproduce a crash input)
#
# One process (the machine is shared); new inputs go to build/fuzz/corpus,
# a working copy: tests/fuzz/corpus is only read.  A finding (crash, leak,
# timeout, failed model check) leaves the input in build/fuzz/artifacts/,
# prints its path and exits non-zero; keep it in tests/fuzz/corpus once the
# bug is fixed (tests/fuzz/pending/ until then).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${UPAGER_FUZZ_SECONDS:-300}
out=build/fuzz
cc=${UPAGER_FUZZ_CC:-clang}
bin=$out/fuzz_api
mkdir -p "$out"

# The library's sources (all but the interposer) and the harness, in one
# clang run: coverage and sanitizers in all of them, asserts and the
# invariant checker on.  Rebuilt when any source or header is newer.
srcs=()
for s in src/*.c; do
  [ "$s" = src/preload.c ] || srcs+=("$s")
done
srcs+=(tests/fuzz/fuzz_api.c)
# No coverage in loops that only cost time: the frame table's set-up at
# each upager_create, and the harness's own copies and compares.
cat >"$out/nocov.txt" <<'LIST'
fun:pg_init
fun:fill
fun:mread
fun:cmp_window
fun:cmp_middle
fun:pread_full
fun:vexpect
fun:vcheck
fun:copy_find
LIST
if [ ! -x "$bin" ] || [ -n "$(find src include tests/fuzz scripts/fuzz.sh \
    -newer "$bin" -name '*.[ch]' -o -newer "$bin" -name fuzz.sh | head -1)" ]; then
  echo "fuzz: building $bin with $cc"
  # shellcheck disable=SC2046
  "$cc" -g -O2 -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    -fsanitize-coverage-ignorelist="$out/nocov.txt" \
    -D_GNU_SOURCE -DUPAGER_DEBUG -Iinclude -Isrc \
    -Wall -Wextra -Wshadow -Wno-unused-parameter \
    $(pkg-config --cflags liburing) "${srcs[@]}" \
    -o "$bin" -lpthread $(pkg-config --libs liburing)
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:handle_abort=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
if [ $# -gt 0 ]; then
  exec "$bin" -runs=1 "$@"
fi

rm -rf "$out/corpus" "$out/artifacts"
mkdir -p "$out/corpus" "$out/artifacts"
cp tests/fuzz/corpus/* "$out/corpus/"
echo "fuzz: $bin for ${secs}s on a copy of tests/fuzz/corpus" \
  "($(ls tests/fuzz/corpus | wc -l) inputs); log in $out/fuzz.log"
rc=0
# -max_len: 48 calls of ~15 bytes on average fill the decoder
"$bin" -max_total_time="$secs" -max_len=1024 -timeout=60 \
  -rss_limit_mb=4096 -print_final_stats=1 \
  -artifact_prefix="$out/artifacts/" "$out/corpus" >"$out/fuzz.log" 2>&1 || rc=$?
grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' \
  "$out/fuzz.log" || true
if [ "$rc" -ne 0 ] || [ -n "$(ls -A "$out/artifacts")" ]; then
  tail -n 60 "$out/fuzz.log"
  for a in "$out"/artifacts/*; do
    [ -e "$a" ] && echo "fuzz: FINDING: $a (reproduce: scripts/fuzz.sh $a)"
  done
  echo "fuzz: failed (exit $rc)"
  exit 1
fi
echo "fuzz: no finding in ${secs}s"
