#!/usr/bin/env bash
# GPU parity of the CUDA backend (docs/cuda.md), on a machine with a CUDA GPU:
#   tools/cuda/parity.sh [BUILD_DIR]      builds BUILD_DIR (default build-gpu) and runs the tests
#   HALO_PREBUILT=DIR tools/cuda/parity.sh runs DIR/test_cuda_parity (built elsewhere) instead
# test_backend_ops is the table of every op on the CPU and on each GPU against the float64
# reference backend; test_cuda_parity is lazily zeroed memory, chunked vs recurrent lightning, the
# golden fixtures against the CPU path and incremental decode vs full recompute. The script exits
# non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -n "${HALO_PREBUILT:-}" ]; then
  dir="$HALO_PREBUILT"
else
  build=${1:-build-gpu}
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHALO_CUDA=ON -DHALO_CUDA_GPU_TESTS=ON
  cmake --build "$build" --target test_cuda_parity test_cuda_host test_backend_ops
  dir="$build/tests/backend/cuda"
  ops="$build/tests/backend/test_backend_ops"
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
"$dir/test_cuda_host" --gtest_brief=1
HALO_TEST_DATA="$PWD/tests/data" "$dir/test_cuda_parity" --gtest_brief=1
"${ops:-$dir/test_backend_ops}" --gtest_brief=1
