#!/usr/bin/env bash
# setup.sh: install what building and testing upager needs (idempotent).
set -euo pipefail
# liblmdb-dev, lmdb-utils and sqlite3: the unmodified programs the
# interposer tests run (t_lmdb, t_sqlite); groff-base and man-db: the
# manual pages' test (t_man); gnuplot-nox: the plots of `upager bench`;
# clang and libclang-rt-14-dev: the libFuzzer harness
pkgs=(build-essential cmake pkg-config liburing-dev liblmdb-dev lmdb-utils
  sqlite3 groff-base man-db gnuplot-nox clang libclang-rt-14-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
    missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
fi
