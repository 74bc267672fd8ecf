#!/usr/bin/env bash
# usage: scripts/compare-cargo-deny.sh [WORKLOAD...]   (default: benches/workloads/medium benches/workloads/large)
#
# Agreement with cargo-deny: for each workload and each of two allow lists (the generous one of
# benches/workloads/peers/deny.toml, and a strict one derived from it), the set of crates
# `cargo deny check licenses` rejects is compared with the set `clearance check --policy
# deny.toml` rejects (the same file, read as clearance reads cargo-deny configurations).
# Differences are printed; exit 1 when they are not by design. By design, clearance also
# reads each package's license files: a license a file names that the declaration does not
# (`license-mismatch`) or a license-file outside the package (`license-file-outside`) rejects a
# crate that cargo-deny, which trusts the declaration, accepts.
# Installs cargo-deny with `cargo install --locked` when it is missing. Needs the workloads'
# crates in the cargo cache (`cargo fetch`). Not part of the tests. Set BENCH_WORKLOADS to use
# workloads other than benches/workloads.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bench=${BENCH_WORKLOADS:-$here/benches/workloads}
workloads=("$@")
[ ${#workloads[@]} -gt 0 ] || workloads=("$bench/medium" "$bench/large")
cargo deny --version >/dev/null 2>&1 || cargo install --locked cargo-deny
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
bin="$here/target/release/clearance"
scratch=$(mktemp -d); trap 'rm -rf "$scratch"' EXIT

# The strict allow list: permissive licenses only, no copyleft, no exceptions.
python3 - "$bench/peers/deny.toml" "$scratch/deny-strict.toml" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
strict = 'allow = ["MIT", "Apache-2.0", "Apache-2.0 WITH LLVM-exception", "BSD-2-Clause", "BSD-3-Clause", "ISC", "Unicode-3.0", "Zlib"]'
text = re.sub(r'(?ms)^allow = \[\n.*?^\]', strict, text, count=1)
open(sys.argv[2], "w").write(text)
PY
cp "$bench/peers/deny.toml" "$scratch/deny-generous.toml"

status=0
for w in "${workloads[@]}"; do
  name=$(basename "$w")
  for policy in generous strict; do
    work="$scratch/$name-$policy"; cp -r "$w" "$work"; rm -rf "$work/target"
    cp "$scratch/deny-$policy.toml" "$work/deny.toml"
    (cd "$work" && cargo deny --offline --format json check licenses 2>"$work/deny.jsonl" >/dev/null) || true
    "$bin" check --offline --manifest-path "$work/Cargo.toml" --policy "$work/deny.toml" --format json -o "$work/clearance.json" || true
    python3 - "$name" "$policy" "$work/deny.jsonl" "$work/clearance.json" <<'PY' || status=1
import json, sys
name, policy, deny_path, clearance_path = sys.argv[1:]
deny = set()
for line in open(deny_path):
    try:
        d = json.loads(line)
    except ValueError:
        continue
    f = d.get("fields", {})
    if d.get("type") != "diagnostic" or f.get("severity") != "error":
        continue
    for g in f.get("graphs", []):
        k = g.get("Krate") or {}
        if k.get("name"):
            deny.add(f'{k["name"]}@{k["version"]}')
report = json.load(open(clearance_path))
errors = [x for x in report["findings"] if x["severity"] == "error" and not x["component"].startswith("policy:")]
ours = {f'{x["name"]}@{x["version"]}' for x in errors}
by_design_codes = {"license-mismatch", "license-file-outside"}
declared_only = {f'{x["name"]}@{x["version"]}' for x in errors if x["code"] not in by_design_codes}
by_design = {f'{x["name"]}@{x["version"]}': x["message"] for x in errors if x["code"] in by_design_codes and f'{x["name"]}@{x["version"]}' not in deny}
only_deny, only_ours = sorted(deny - ours), sorted(declared_only - deny)
print(f"{name} / {policy} allow list: cargo-deny rejects {len(deny)}, clearance rejects {len(ours)}, both {len(deny & ours)}")
for c in only_deny:
    print(f"  only cargo-deny: {c}")
for c in only_ours:
    print(f"  only clearance:  {c}")
for c, why in sorted(by_design.items()):
    print(f"  only clearance, by design (reads license files): {c}: {why}")
sys.exit(0 if not only_deny and not only_ours else 1)
PY
  done
done
exit $status
