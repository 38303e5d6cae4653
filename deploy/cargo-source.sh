#!/bin/sh
# Used by deploy/Dockerfile: with OFFLINE=1 (first argument) cargo builds from the crates
# in vendor/ (`cargo vendor --locked vendor`) and never reaches the registry; otherwise it
# uses crates.io as usual. Writes .cargo/offline-flag, the flag the build steps pass.
set -eu
mkdir -p .cargo
if [ "${1:-0}" = 1 ]; then
  if [ -z "$(ls -A vendor 2>/dev/null)" ]; then
    echo "OFFLINE=1 needs the vendored crates: run 'cargo vendor --locked vendor' at the repository root first" >&2
    exit 1
  fi
  cat > .cargo/config.toml <<'TOML'
[source.crates-io]
replace-with = "vendored-sources"

[source.vendored-sources]
directory = "vendor"
TOML
  echo "--offline" > .cargo/offline-flag
else
  : > .cargo/offline-flag
fi
