#!/usr/bin/env bash
# Wall-clock cost of one `clearance verify` process (release build), measured with hyperfine on
# a happy-path message-signature bundle and a happy-path DSSE attestation bundle of the
# sigstore-conformance vectors, against the embedded public-good trusted root.
#
# Usage: scripts/bench-verify.sh [hyperfine options...]
# The vectors are the tests' copy, in tests/fixtures/sigstore-conformance.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cases=$repo/tests/fixtures/sigstore-conformance/test/assets/bundle-verify
[[ -d $cases ]] || { echo "no conformance data at $cases" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "hyperfine is not installed" >&2; exit 2; }

cargo build --release --quiet --manifest-path "$repo/Cargo.toml"
bin=${CARGO_TARGET_DIR:-$repo/target}/release/clearance

identity=https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main
issuer=https://token.actions.githubusercontent.com
verify() {
    printf '%q ' "$bin" verify --bundle "$cases/$1/bundle.sigstore.json" \
        --certificate-identity "$identity" --certificate-oidc-issuer "$issuer" \
        --github-repository sigstore-conformance/extremely-dangerous-public-oidc-beacon \
        "$cases/a.txt"
}

hyperfine --warmup 20 --min-runs 200 -N "$@" \
    --command-name message-signature "$(verify happy-path-v0.3)" \
    --command-name dsse-attestation "$(verify happy-path-intoto-in-dsse-v3)"
