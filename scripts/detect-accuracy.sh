#!/usr/bin/env bash
# usage: scripts/detect-accuracy.sh [WORKLOAD]   (default: benches/workloads/large)
#
# How well license detection agrees with what packages declare: for every package whose
# declared expression is a single id or an OR/AND of ids (no WITH, no LicenseRef), the ids
# detected in its license files (at the default policy's min-confidence) are compared with the
# declared ones. A package agrees when every detected id is declared and, if it ships license
# files, something was detected (the -only and -or-later forms of a GNU license count as one
# text, as `check` counts them). Packages without license files are counted apart. Prints the
# rate and every disagreement. Uses `clearance notice --dump-context` with a fresh cache (the
# first run is also the cold-cache timing). Not part of the tests. Set BENCH_WORKLOADS to use
# workloads other than benches/workloads.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
w=${1:-${BENCH_WORKLOADS:-$here/benches/workloads}/large}
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
scratch=$(mktemp -d); trap 'rm -rf "$scratch"' EXIT
export CLEARANCE_CACHE_DIR="$scratch/cache"
start=$(date +%s.%N)
"$here/target/release/clearance" notice --offline --manifest-path "$w/Cargo.toml" --dump-context -o "$scratch/context.json"
echo "cold cache: $(echo "$(date +%s.%N) - $start" | bc) s"
python3 - "$scratch/context.json" <<'PY'
import json, re, sys
ctx = json.load(open(sys.argv[1]))
def base(i):
    # The -only and -or-later forms of a GNU license are the same text.
    return re.sub(r"-(only|or-later)$", "", i) if re.match(r"^(A|L)?GPL-|^GFDL-", i) else i
considered = agree = nofiles = 0
bad = []
for p in ctx["packages"]:
    lic = p["license"]
    if not lic or "WITH" in lic or "LicenseRef-" in lic or "+" in lic:
        continue
    declared = set(base(t) for t in re.split(r"[\s()]+", lic) if t and t not in ("AND", "OR"))
    if not p["files"]:
        nofiles += 1
        continue
    considered += 1
    detected = set(base(d) for d in p["detected"])
    if detected and detected <= declared:
        agree += 1
    else:
        bad.append((p["name"], p["version"], lic, sorted(detected), p["files"]))
print(f"packages with a plain declared expression and license files: {considered}")
print(f"agree: {agree} ({100.0 * agree / max(considered, 1):.1f}%); without license files (not counted): {nofiles}")
for name, version, lic, det, files in bad:
    print(f"  {name} {version}: declared {lic}; detected {det or 'nothing'} in {files}")
PY
