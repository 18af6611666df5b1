#!/usr/bin/env bash
# demo.sh: set up, build and run upager's main job on built-in sample data.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j "$(nproc)" >/dev/null
exec build/release/upager demo "$@"
