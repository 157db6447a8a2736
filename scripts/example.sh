#!/usr/bin/env bash
# The main job on the embedded example, from a fresh Debian 12 machine: install the packages,
# build halo, and rank the layers of the published HypeNet-2B sweep (examples/hypenet-2b). Prints
# the ranked layers and the chosen attention layers 2, 3, 6, 8, 9, 21, 25, and writes the report.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --target halo -j "$(nproc)"
build/apps/halo/halo rank --results examples/hypenet-2b/sweep.json --select 7 --out out/hypenet-2b "$@"
