#!/usr/bin/env bash
# `clearance snapshot` over 50 releases of benches/workloads/large (about 1,300 components
# each), all signed through a local sigstore-dev into one evidence store, timed with hyperfine:
# unsigned (--sign none) and with the manifest signed through sigstore-dev. Then the archive's
# size, and `snapshot verify` of it.
#
# Usage: scripts/bench-snapshot.sh [RELEASES] [hyperfine options...]
# Needs the workload's crates fetched: cargo fetch --manifest-path benches/workloads/large/Cargo.toml
# Set BENCH_WORKLOADS to use workloads other than benches/workloads.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
releases=${1:-50}
shift || true
workloads=${BENCH_WORKLOADS:-$repo/benches/workloads}
[[ -f $workloads/large/Cargo.lock ]] || { echo "no workload at $workloads/large: set BENCH_WORKLOADS" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "hyperfine is not installed" >&2; exit 2; }

cargo build --release --quiet --manifest-path "$repo/Cargo.toml"
bin=${CARGO_TARGET_DIR:-$repo/target}/release/clearance

scratch=${BENCH_SCRATCH:-$(mktemp -d)}
mkdir -p "$scratch"
[[ -n ${BENCH_SCRATCH:-} ]] || trap 'rm -rf "$scratch"' EXIT
[[ -d $scratch/w ]] || cp -r "$workloads/large" "$scratch/w"
export CLEARANCE_SIGSTORE_DEV_DIR=$scratch/sigstore-dev
store=$scratch/evidence
mkdir -p "$store"

# 2026-10-01T00:00:00Z, then one release a day.
start=1790812800
have=$(find "$store" -mindepth 1 -maxdepth 1 -type d | wc -l)
echo "== recording $releases releases in $store ($have there already)"
for ((i = have; i < releases; i++)); do
    SOURCE_DATE_EPOCH=$((start + i * 86400)) "$bin" release --offline --sigstore dev \
        --manifest-path "$scratch/w/Cargo.toml" --out "$scratch/out" --evidence "$store" \
        > /dev/null || [[ $? == 1 ]]
done
du -sh "$store"

san=https://github.com/clearance-dev/example/.github/workflows/release.yml@refs/heads/main
issuer=https://token.actions.githubusercontent.com
snapshot() {
    printf '%q ' "$bin" snapshot --period 2026-Q4 --evidence "$store" --sigstore dev \
        --identity "$san" --issuer "$issuer" -o "$scratch/snapshot.tar.gz" "$@"
}
hyperfine --warmup 1 --min-runs 5 "$@" \
    --command-name "snapshot --sign none" "$(snapshot --sign none)" \
    --command-name "snapshot (manifest signed)" "$(snapshot)"

ls -l "$scratch/snapshot.tar.gz"
/usr/bin/time -v bash -c "$(snapshot)" > /dev/null 2> "$scratch/time.txt"
echo "snapshot peak memory: $(awk -F': ' '/Maximum resident/ {print $2}' "$scratch/time.txt") KiB"
verify=("$bin" snapshot verify "$scratch/snapshot.tar.gz" --sigstore dev --identity "$san" --issuer "$issuer")
hyperfine --warmup 1 --min-runs 5 --command-name "snapshot verify" "$(printf '%q ' "${verify[@]}")"
/usr/bin/time -v "${verify[@]}" > /dev/null 2> "$scratch/time-verify.txt" || true
echo "snapshot verify peak memory: $(awk -F': ' '/Maximum resident/ {print $2}' "$scratch/time-verify.txt") KiB"
