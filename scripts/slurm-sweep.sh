#!/usr/bin/env bash
# One shard of a halo sweep per Slurm array task, every shard writing into one results root on a
# shared filesystem (docs/sweep.md, "Several machines"). Each task runs
#   halo sweep ARGS --shard I/N
# with I = SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN and N = SLURM_ARRAY_TASK_COUNT, so an array of
# N tasks covers the plan once; a resubmitted task resumes where it stopped. Example, 4 nodes with
# 8 GPUs each (one worker per GPU):
#
#   sbatch --array=0-3 --nodes=1 --gres=gpu:8 scripts/slurm-sweep.sh \
#     --model Qwen3-1.7B --rnn runs/stage1 --data data/ --out /shared/sweep --device cuda:all
#
# HALO names the halo binary (default: halo on PATH). When every task is done: halo rank --root ROOT.
#SBATCH --job-name=halo-sweep
#SBATCH --output=halo-sweep-%A_%a.out
set -euo pipefail
if [ -z "${SLURM_ARRAY_TASK_ID:-}" ] || [ -z "${SLURM_ARRAY_TASK_COUNT:-}" ]; then
  echo "slurm-sweep.sh: run it as a Slurm array job (sbatch --array=0-N ...); SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT are not set" >&2
  exit 2
fi
index=$((SLURM_ARRAY_TASK_ID - ${SLURM_ARRAY_TASK_MIN:-0}))
exec "${HALO:-halo}" sweep "$@" --shard "${index}/${SLURM_ARRAY_TASK_COUNT}"
