#!/usr/bin/env bash
# usage: scripts/validate-workloads.sh [WORKLOAD...]   (default: benches/workloads/medium benches/workloads/large)
#
# Writes every SBOM format clearance produces for the benchmark workspaces (CycloneDX 1.5, 1.6,
# 1.7 with build and dev dependencies; SPDX 2.3; SPDX 3.0.1) and runs the independent validators
# of tests/validate on each. Needs the workloads' crates in the cargo cache (`cargo fetch`)
# and the validators' venv (scripts/test.sh makes it). Not part of the tests: it needs hundreds
# of downloaded crates. Set BENCH_WORKLOADS to use workloads other than benches/workloads.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bench=${BENCH_WORKLOADS:-$here/benches/workloads}
validate=$here/tests/validate
export VALIDATE_VENV=${VALIDATE_VENV:-$here/target/validate-venv}
workloads=("$@")
[ ${#workloads[@]} -gt 0 ] || workloads=("$bench/medium" "$bench/large")
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
bin="$here/target/release/clearance"
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}
# The workloads name no authors; the NTIA minimum elements need a supplier for the product.
supplier="clearance benchmark workloads"
status=0
for w in "${workloads[@]}"; do
  name=$(basename "$w"); m="$w/Cargo.toml"
  for v in 1.5 1.6 1.7; do
    "$bin" sbom --offline --manifest-path "$m" --supplier "$supplier" --include build,dev --spec-version "$v" -o "$out/$name-$v.cdx.json"
    "$validate/validate-cyclonedx.py" "$out/$name-$v.cdx.json" || status=1
  done
  "$bin" sbom --offline --manifest-path "$m" --supplier "$supplier" --format spdx-json -o "$out/$name.spdx.json"
  "$validate/validate-spdx.sh" "$out/$name.spdx.json" || status=1
  "$bin" sbom --offline --manifest-path "$m" --supplier "$supplier" --format spdx3-json -o "$out/$name.spdx3.json"
  if "$validate/validate-spdx3.py" "$out/$name.spdx3.json"; then
    echo "PASS spdx3-validate: $out/$name.spdx3.json"
  else
    status=1; echo "FAIL spdx3-validate: $out/$name.spdx3.json"
  fi
done
exit $status
