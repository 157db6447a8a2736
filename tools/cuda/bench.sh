#!/usr/bin/env bash
# The CUDA benchmark (docs/cuda.md, docs/PERFORMANCE.md): writes random-weight checkpoints, then
# runs halo (bench_cuda_model) and PyTorch + transformers (bench_torch.py) on the same card, one
# after the other, and prints their JSON lines; the part "attention" runs bench_cuda_attention (the
# attention kernels alone, from BENCH_EXE's directory) for both shapes.
#   tools/cuda/bench.sh BENCH_EXE WORK_DIR [1.7b|lightning|8b|attention ...]   (default: all four)
# WORK_DIR needs ~25 GB for the 8B checkpoint.
set -euo pipefail
cd "$(dirname "$0")/../.."
exe=$1
work=$2
shift 2
parts=("${@:-1.7b lightning 8b attention}")
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
mkdir -p "$work"
for part in ${parts[*]}; do
  case "$part" in
    1.7b)
      [ -f "$work/q17/config.json" ] || python3 tools/cuda/make_random_model.py "$work/q17" --shape 1.7b --run "$work/q17_run" --layer 14
      "$exe" "$work/q17"
      python3 tools/cuda/bench_torch.py "$work/q17"
      ;;
    lightning)
      [ -f "$work/q17/config.json" ] || python3 tools/cuda/make_random_model.py "$work/q17" --shape 1.7b --run "$work/q17_run" --layer 14
      "$exe" "$work/q17" --rnn "$work/q17_run" --convert 14 --label "lightning at 14"
      ;;
    8b)
      [ -f "$work/q8/config.json" ] || python3 tools/cuda/make_random_model.py "$work/q8" --shape 8b
      "$exe" "$work/q8" --skip-b32
      python3 tools/cuda/bench_torch.py "$work/q8" --skip-b32
      rm -rf "$work/q8"
      ;;
    attention)
      "$(dirname "$exe")/bench_cuda_attention" --shape 1.7b
      "$(dirname "$exe")/bench_cuda_attention" --shape 8b
      ;;
    *) echo "unknown part $part" >&2; exit 2 ;;
  esac
done
