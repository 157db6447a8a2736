#!/usr/bin/env bash
# Installs the npm packages pinned by PACKAGE_DIR/package-lock.json into INSTALL_DIR with `npm ci`
# (exact versions and integrity hashes), reusing an earlier install while the lock file is unchanged.
# Usage: npm_ci.sh <package dir> <install dir>
# Fails loudly (never lets a test skip) when npm is missing or the registry cannot be reached.
set -euo pipefail
package_dir=$1
install_dir=$2
die() {
  echo "FATAL: $*" >&2
  exit 1
}
command -v npm >/dev/null 2>&1 || die "npm not found: install npm (scripts/install-deps.sh)"
mkdir -p "$install_dir"
if ! cmp -s "$package_dir/package-lock.json" "$install_dir/package-lock.json" || [ ! -d "$install_dir/node_modules" ]; then
  cp "$package_dir/package.json" "$package_dir/package-lock.json" "$install_dir/"
  echo "installing $(cd "$package_dir" && node -e 'console.log(Object.keys(require("./package.json").dependencies).join(", "))' 2>/dev/null || echo "npm packages") into $install_dir"
  if ! (cd "$install_dir" && npm ci --no-audit --no-fund --loglevel=error); then
    rm -f "$install_dir/package-lock.json"  # force a retry next time
    die "npm could not install the packages of $package_dir/package.json (is the npm registry reachable?)"
  fi
fi
