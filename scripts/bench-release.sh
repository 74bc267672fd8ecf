#!/usr/bin/env bash
# `clearance release` on benches/workloads/large (or the workload named by $1: medium|large),
# signing through a local sigstore-dev started for each run, against `cargo metadata
# --offline --locked` alone, with hyperfine; then each one's peak memory with /usr/bin/time -v.
# The license cache is warmed by one run first (detections are cached per package checksum).
#
# Usage: scripts/bench-release.sh [medium|large] [hyperfine options...]
# Needs the workload's crates fetched: cargo fetch --manifest-path benches/workloads/large/Cargo.toml
# Set BENCH_WORKLOADS to use workloads other than benches/workloads.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
workload=${1:-large}
shift || true
workloads=${BENCH_WORKLOADS:-$repo/benches/workloads}
[[ -f $workloads/$workload/Cargo.lock ]] || { echo "no workload at $workloads/$workload: set BENCH_WORKLOADS" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "hyperfine is not installed" >&2; exit 2; }

cargo build --release --quiet --manifest-path "$repo/Cargo.toml"
bin=${CARGO_TARGET_DIR:-$repo/target}/release/clearance

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp -r "$workloads/$workload" "$scratch/w"
export CLEARANCE_SIGSTORE_DEV_DIR=$scratch/sigstore-dev
release=("$bin" release --offline --sigstore dev --manifest-path "$scratch/w/Cargo.toml"
         --out "$scratch/out" --evidence "$scratch/evidence")
metadata=(cargo metadata --format-version 1 --offline --locked --manifest-path "$scratch/w/Cargo.toml")

echo "== warming the license cache"
"${release[@]}" > /dev/null || [[ $? == 1 ]]

hyperfine --warmup 1 --min-runs 5 -i "$@" \
    --command-name "cargo metadata --offline --locked" "$(printf '%q ' "${metadata[@]}")" \
    --command-name "clearance release --sigstore dev" "$(printf '%q ' "${release[@]}")"

echo "== peak memory (max RSS of the largest process, /usr/bin/time -v)"
for name in metadata release; do
    declare -n cmd=$name
    /usr/bin/time -v "${cmd[@]}" > /dev/null 2> "$scratch/time.txt" || true
    printf '%-10s %s KiB\n' "$name" "$(awk -F': ' '/Maximum resident/ {print $2}' "$scratch/time.txt")"
done
echo "== components in the last release: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["components"])' "$scratch/out/license-report.json")"
