#!/usr/bin/env bash
# usage: scripts/bench.sh [WORKLOAD...]   (default: benches/workloads/medium benches/workloads/large)
#
# Times, on copies of the benchmark workspaces (hyperfine, 10 runs after 2 warm-ups):
#   - `clearance sbom` against `cargo metadata --offline --locked` (the floor it is held to)
#     and, where installed, cargo-cyclonedx and cargo-sbom;
#   - `clearance check` against `cargo deny check licenses`, both with the peers' deny.toml;
#   - `clearance diff` of two SBOM files of the workspace (CycloneDX base, SPDX head);
# and reports clearance's own peak RSS (scripts/peak-rss.py, children excluded). Needs hyperfine
# and the workloads' crates in the cargo cache (`cargo fetch --manifest-path WORKLOAD/Cargo.toml`
# once). Not part of the tests. Set BENCH_WORKLOADS to use workloads other than benches/workloads.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bench=${BENCH_WORKLOADS:-$here/benches/workloads}
workloads=("$@")
[ ${#workloads[@]} -gt 0 ] || workloads=("$bench/medium" "$bench/large")
command -v hyperfine >/dev/null || { echo "error: hyperfine not found (apt-get install hyperfine)" >&2; exit 2; }
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
bin="$here/target/release/clearance"
scratch=$(mktemp -d); trap 'rm -rf "$scratch"' EXIT

for src in "${workloads[@]}"; do
  name=$(basename "$src"); w="$scratch/$name"; cp -r "$src" "$w"; rm -rf "$w/target"
  m="$w/Cargo.toml"
  cmds=(-n "cargo metadata --offline --locked" "cargo metadata --format-version 1 --offline --locked --manifest-path $m"
        -n "clearance sbom (CycloneDX 1.6)" "$bin sbom --offline --manifest-path $m -o $scratch/out.cdx.json"
        -n "clearance sbom (SPDX 2.3)" "$bin sbom --offline --format spdx-json --manifest-path $m -o $scratch/out.spdx.json")
  if cargo cyclonedx --version >/dev/null 2>&1; then
    cmds+=(-n "cargo-cyclonedx 1.5" "cargo cyclonedx --format json --spec-version 1.5 --manifest-path $m")
  fi
  if cargo sbom --version >/dev/null 2>&1; then
    cmds+=(-n "cargo-sbom spdx 2.3" "cargo sbom --project-directory $w --output-format spdx_json_2_3")
  fi
  echo "== $name ($(grep -c '^\[\[package\]\]' "$w/Cargo.lock") locked packages)"
  hyperfine -N --style basic -w 2 -r 10 --export-markdown "$scratch/$name.md" "${cmds[@]}" >/dev/null
  cat "$scratch/$name.md"
  cp "$bench/peers/deny.toml" "$w/deny.toml"
  "$bin" sbom --offline --manifest-path "$m" --supplier bench -o "$scratch/base.cdx.json"
  SOURCE_DATE_EPOCH=0 "$bin" sbom --offline --manifest-path "$m" --supplier bench --format spdx-json -o "$scratch/head.spdx.json"
  cmds=(-n "cargo metadata --offline --locked" "cargo metadata --format-version 1 --offline --locked --manifest-path $m"
        -n "clearance check (deny.toml)" "$bin check --offline --manifest-path $m --policy $w/deny.toml --format json -o $scratch/check.json"
        -n "clearance diff (2 SBOM files)" "$bin diff --base $scratch/base.cdx.json --head $scratch/head.spdx.json --policy $w/deny.toml --format json -o $scratch/diff.json")
  if cargo deny --version >/dev/null 2>&1; then
    cmds+=(-n "cargo deny check licenses" "cargo deny --manifest-path $m --offline --config $w/deny.toml check licenses")
  fi
  hyperfine -N --style basic -w 2 -r 10 --export-markdown "$scratch/$name-check.md" "${cmds[@]}" >/dev/null
  cat "$scratch/$name-check.md"
  for fmt in cyclonedx-json spdx-json; do
    python3 "$here/scripts/peak-rss.py" "$bin" sbom --offline --supplier bench --format "$fmt" --manifest-path "$m" -o "$scratch/out" 2>&1 \
      | sed "s/^/clearance sbom --format $fmt own /"
  done
  echo
done
