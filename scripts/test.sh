#!/usr/bin/env bash
# usage: scripts/test.sh
#
# The whole test suite, as CI runs it:
#   1. installs the independent SBOM validators from ../shared/validate/setup.sh into a venv
#      under target/validate-venv (reinstalled only when setup.sh changes);
#   2. cargo fmt --check, cargo clippy --all-targets -D warnings;
#   3. cargo test (unit and integration tests; the integration tests run the validators and
#      open the HTML report in Debian's headless Chromium, installed here with apt-get when
#      missing; a screenshot is kept in target/report-artifacts/).
# Set CLEARANCE_SHARED to use a shared/ directory other than ../shared.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mkdir -p "$root/target"
shared=${CLEARANCE_SHARED:-$root/../shared}
[ -f "$shared/validate/setup.sh" ] || { echo "error: $shared/validate/setup.sh not found; set CLEARANCE_SHARED" >&2; exit 2; }
export CLEARANCE_SHARED=$shared

venv=$root/target/validate-venv
stamp=$venv/.setup-sha256
want=$(sha256sum "$shared/validate/setup.sh" | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "== installing the validators into $venv"
  mkdir -p "$root/target"
  VALIDATE_VENV=$venv bash "$shared/validate/setup.sh"
  echo "$want" > "$stamp"
else
  echo "== validators already installed in $venv"
fi
export VALIDATE_VENV=$venv

echo "== cargo fetch --locked (every platform's dependencies: the tests read clearance's own graph offline)"
cargo fetch --locked --quiet

if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing Debian's chromium (the HTML report is tested in a headless browser)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium > "$root/target/apt-chromium.log" 2>&1 \
    || { cat "$root/target/apt-chromium.log"; exit 1; }
fi
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --locked -- -D warnings
echo "== cargo test"
log=$root/target/test-output.log
set +e
cargo test --locked 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
# One closing line for the whole run: the sum of every test binary's results.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed;?$/) p += $(i-1); if ($i ~ /^failed;?$/) f += $(i-1); if ($i ~ /^ignored;?$/) s += $(i-1) } }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$rc"
