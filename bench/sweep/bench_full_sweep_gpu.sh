#!/usr/bin/env bash
# The full sweep on one GPU (docs/PERFORMANCE.md, issue 12): the random-weight Qwen3-1.7B shape with
# a Stage-1 run for all 28 layers, full-size synthetic data (every task at its real row count), the
# original and all 28 single-layer hybrids. A device call lasts at most 10 minutes and the sweep
# longer, so the script runs `halo sweep` until DEADLINE (a Unix time) and then kills it with
# SIGKILL; the next call (same warm machine, same WORK) resumes it from its journal. Every call
# appends its sweep wall time to WORK/sweep-walls.txt; the sum is the sweep's time, restarts
# (weights loaded again, requests built again) included.
#   bench/sweep/bench_full_sweep_gpu.sh HALO WORK TOKENIZER_DIR DEADLINE [extra sweep flags]
set -euo pipefail
cd "$(dirname "$0")/../.."
halo=$1
work=$2
tokenizer=$3
deadline=$4
shift 4
mkdir -p "$work"
if [ ! -f "$work/q17/config.json" ]; then
  python3 tools/cuda/make_random_model.py "$work/q17" --shape 1.7b --run "$work/q17_run" --layer all
fi
cp "$tokenizer/tokenizer.json" "$tokenizer/tokenizer_config.json" "$work/q17/"
[ -d "$work/data" ] || python3 tools/cuda/make_synthetic_data.py "$work/data"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
start=$(date +%s.%N)
seconds=$((deadline - $(date +%s)))
set +e
timeout -s KILL "$seconds" "$halo" sweep --model "$work/q17" --rnn "$work/q17_run" --data "$work/data" \
  --device cuda --out "$work/sweep" "$@" >> "$work/sweep.out" 2>> "$work/sweep.log"
rc=$?
set -e
wall=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
echo "$wall $rc" >> "$work/sweep-walls.txt"
echo "this call: ${wall} s, exit ${rc} (137 = killed at the time limit; the next call resumes)"
echo "variants finished: $(find "$work/sweep" -name results.json | wc -l) of 29"
awk '{ s += $1 } END { printf "sweep wall so far, over %d calls: %.1f s\n", NR, s }' "$work/sweep-walls.txt"
tail -n 5 "$work/sweep.log"
if [ "$rc" -eq 0 ]; then cat "$work/sweep.out"; fi
