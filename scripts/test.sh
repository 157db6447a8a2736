#!/usr/bin/env bash
# Builds halo and runs every test, twice: a warnings-as-errors release build, then an
# AddressSanitizer + UndefinedBehaviorSanitizer build. Installs the Debian packages first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
jobs=$(nproc)

echo "== release build (-Werror) =="
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DHALO_WERROR=ON
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs"

echo "== ASan + UBSan build =="
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHALO_WERROR=ON \
  -DHALO_SANITIZE=ON -DHALO_BUILD_BENCH=OFF
cmake --build build-asan -j "$jobs"
# Leak checking stays on; a few long corpus tests carry the label "long" and run only above.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" -LE long
