#!/usr/bin/env bash
# usage: scripts/test.sh
#
# The whole test suite, as CI runs it:
#   1. checks that Chromium is installed (the integration tests open the HTML report in
#      headless Chromium); only when CI=true is a missing one installed, with apt-get as root;
#   2. installs the independent SBOM validators with tests/validate/setup.sh (every Python
#      package pinned by hash in tests/validate/requirements.txt) into a venv under
#      target/validate-venv, made again only when requirements.txt or setup.sh changes;
#   3. cargo fmt --check, cargo clippy --workspace --all-targets -D warnings (and once without
#      the default features);
#   4. cargo test (unit and integration tests; the integration tests run the validators and
#      the browser; a screenshot is kept in target/report-artifacts/);
# and closes with one line summing up every test binary's results.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mkdir -p "$root/target"

# The paths the tests look for (tests/cli/report.rs).
have_chromium() { [ -x /usr/bin/chromium ] || [ -x /usr/bin/chromium-browser ]; }
if ! have_chromium; then
  if [ "${CI:-}" = true ]; then
    # As root, directly or through sudo without a password.
    as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }
    if [ "$(id -u)" -ne 0 ] && ! { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; }; then
      echo "error: Chromium is not installed, and installing it needs root (or sudo without a password)" >&2
      exit 2
    fi
    echo "== installing Debian's chromium (the HTML report is tested in a headless browser)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends chromium > "$root/target/apt-chromium.log" 2>&1 \
      || { cat "$root/target/apt-chromium.log"; exit 1; }
    have_chromium || { echo "error: apt-get installed chromium, but /usr/bin/chromium is missing" >&2; exit 1; }
  else
    cat >&2 <<'EOF'
error: Chromium is not installed: the tests open the HTML report in headless Chromium, at
/usr/bin/chromium or /usr/bin/chromium-browser. Install it, then run scripts/test.sh again:
  Debian:  sudo apt-get install --no-install-recommends chromium
  Ubuntu:  sudo apt-get install chromium-browser
(With CI=true, scripts/test.sh installs Debian's chromium itself, as root.)
EOF
    exit 2
  fi
fi

venv=$root/target/validate-venv
stamp=$venv/.setup-sha256
want=$(cat tests/validate/requirements.txt tests/validate/setup.sh | sha256sum | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "== installing the validators into $venv"
  rm -rf "$venv"
  VALIDATE_VENV=$venv bash tests/validate/setup.sh
  echo "$want" > "$stamp"
else
  echo "== validators already installed in $venv"
fi
export VALIDATE_VENV=$venv

echo "== cargo fetch --locked (every platform's dependencies: the tests read clearance's own graph offline)"
cargo fetch --locked --quiet

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo clippy -p clearance --no-default-features --locked -- -D warnings
echo "== cargo test"
log=$root/target/test-output.log
set +e
cargo test --workspace --locked 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
# One closing line for the whole run: the sum of every test binary's results.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed;?$/) p += $(i-1); if ($i ~ /^failed;?$/) f += $(i-1); if ($i ~ /^ignored;?$/) s += $(i-1) } }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$rc"
