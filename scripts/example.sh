#!/usr/bin/env bash
# The main job on the embedded example, from a fresh Debian 12 machine: install the packages, build
# halo, then run the whole attention-layer selection on the shipped trained demo model
# (examples/halo-demo) on the CPU:
#   halo sweep  the original and each of the 6 single-layer hybrids on the six tasks
#   halo rank   score the layers (HALO mode), keep 2 as attention, write the report and the
#               HypeNet config
# Outputs go to out/halo-demo (sweep root) and out/halo-demo-rank (ranking, report).
#
#   bash scripts/example.sh                 # the demo, 50 documents per task (about a minute)
#   bash scripts/example.sh --limit 300     # more documents per task (slower, tighter numbers)
#   bash scripts/example.sh --published     # re-rank the published HypeNet-2B sweep instead
set -euo pipefail
cd "$(dirname "$0")/.."

limit=50
published=0
while [ $# -gt 0 ]; do
  case "$1" in
    --published) published=1 ;;
    --limit) limit="$2"; shift ;;
    *) echo "example.sh: unknown argument '$1' (use --limit N or --published)" >&2; exit 2 ;;
  esac
  shift
done

bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --target halo -j "$(nproc)"
halo=build/apps/halo/halo

if [ "$published" = 1 ]; then
  # Published HypeNet-2B sweep logs (tables only): prints layers 2, 3, 6, 8, 9, 21, 25.
  exec "$halo" rank --results examples/hypenet-2b/sweep.json --select 7 --out out/hypenet-2b
fi

demo=examples/halo-demo
start=$(date +%s.%N)
# The demo model was trained for 1,024-token contexts, so RULER runs at that length.
"$halo" sweep --model "$demo/model" --rnn "$demo/stage1" --model-name halo-demo-lightning \
  --tasks commonsense,retrieval --data "$demo/data" --ruler-lengths 1024 --limit "$limit" \
  --out out/halo-demo
"$halo" rank --root out/halo-demo --model halo-demo-lightning --select 2 \
  --config "$demo/stage1/orig_config.json" --out out/halo-demo-rank
end=$(date +%s.%N)
awk -v a="$start" -v b="$end" 'BEGIN { printf "sweep + rank took %.0f s; report: out/halo-demo-rank/report.html\n", b - a }'
