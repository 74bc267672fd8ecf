#!/usr/bin/env bash
# Seeds the fuzz corpora from the repository's own inputs: copies fixtures, shipped policies
# and templates, and examples from the docs into fuzz/corpus/<target>/, each file named by
# the SHA-1 of its content (as libFuzzer names what it adds), so seeding twice adds nothing.
#
# Usage: scripts/fuzz-seed.sh [TARGET...]     (every target when none is named)
#
# Every target is also seeded with the inputs that once crashed it, kept as regression
# fixtures under tests/fixtures/fuzz-regressions/<target>/.
#
# Sigstore bundles come from the sigstore-conformance vectors under tests/fixtures.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CORPUS="$ROOT/fuzz/corpus"

# add TARGET FILE...: copies each readable, non-empty file into TARGET's corpus.
add() {
    local target="$1"
    shift
    mkdir -p "$CORPUS/$target"
    local file sum
    for file in "$@"; do
        [[ -f "$file" && -s "$file" ]] || continue
        sum="$(sha1sum "$file" | cut -d' ' -f1)"
        cp "$file" "$CORPUS/$target/$sum"
    done
}

# add_text TARGET TEXT: adds TEXT itself as one input.
add_text() {
    local target="$1" text="$2" sum
    mkdir -p "$CORPUS/$target"
    sum="$(printf '%s' "$text" | sha1sum | cut -d' ' -f1)"
    printf '%s' "$text" >"$CORPUS/$target/$sum"
}

# add_blocks TARGET LANGUAGE FILE...: adds every fenced ```LANGUAGE block of the Markdown
# files as one input each.
add_blocks() {
    local target="$1" language="$2"
    shift 2
    local file block
    for file in "$@"; do
        [[ -f "$file" ]] || continue
        while IFS= read -r -d '' block; do
            add_text "$target" "$block"
        done < <(awk -v lang="$language" '
            $0 == "```" lang { inside = 1; text = ""; next }
            inside && /^```/ { inside = 0; printf "%s%c", text, 0; next }
            inside { text = text $0 "\n" }
        ' "$file")
    done
}

# add_lines TARGET: adds each line of standard input (without its newline) as one input.
add_lines() {
    local target="$1" line
    while IFS= read -r line; do
        [[ -n "$line" ]] && add_text "$target" "$line"
    done
}

# Every file under DIR whose name matches PATTERN, NUL-separated, into the array FILES.
collect() {
    local dir="$1" pattern="$2"
    FILES=()
    [[ -d "$dir" ]] || return 0
    while IFS= read -r -d '' file; do
        FILES+=("$file")
    done < <(find "$dir" -type f -name "$pattern" -print0 | sort -z)
}

seed_sbom_read() {
    collect "$ROOT/tests/fixtures/sboms" '*.json'
    add sbom_read "${FILES[@]}"
    # JSON that is not an SBOM, to start the reader's refusals from.
    collect "$ROOT/tests/fixtures/cargo-metadata" '*.json'
    add sbom_read "${FILES[@]}"
    add_blocks sbom_read json "$ROOT"/docs/*.md "$ROOT"/docs/commands/*.md
}

seed_policy_parse() {
    collect "$ROOT/tests/fixtures/policies" '*.toml'
    add policy_parse "${FILES[@]}"
    collect "$ROOT/policies" '*.toml'
    add policy_parse "${FILES[@]}"
    add policy_parse "$ROOT/clearance.toml" "$ROOT/tests/fixtures/deny-licenses/deny.toml"
    collect "$ROOT/tests/fixtures/bad" '*.toml'
    add policy_parse "${FILES[@]}"
    collect "$ROOT/benches/workloads" 'deny.toml'
    add policy_parse "${FILES[@]}"
    add_blocks policy_parse toml "$ROOT"/docs/*.md "$ROOT"/docs/commands/*.md
}

seed_signers_parse() {
    add signers_parse "$ROOT/policies/signers.example.toml"
    add_blocks signers_parse toml "$ROOT"/docs/*.md "$ROOT"/docs/commands/*.md
    # The example in the signers module's documentation (the backticks are its fences).
    # shellcheck disable=SC2016
    add_text signers_parse "$(sed -n '/^\/\/! ```toml/,/^\/\/! ```$/p' "$ROOT/crates/clearance-attest/src/signers.rs" |
        sed -e '1d' -e '$d' -e 's|^//! \{0,1\}||')"
}

seed_license_expr() {
    # Declared licenses of the fixtures' packages and SBOMs, the policies' lists, and the
    # forms the normaliser's own tests name.
    {
        grep -rhoE '^license *= *"[^"]*"' --include=Cargo.toml "$ROOT/tests/fixtures" |
            sed -E 's/^license *= *"(.*)"$/\1/'
        grep -rhoE '"(expression|licenseDeclared|licenseConcluded|id)": *"[^"]*"' \
            "$ROOT/tests/fixtures/sboms" | sed -E 's/^"[^"]*": *"(.*)"$/\1/'
        grep -rhoE '"[A-Za-z0-9.+ ()/-]+"' "$ROOT/policies" "$ROOT/tests/fixtures/policies" |
            tr -d '"'
        grep -hoE '(norm|normalise_declared)\("[^"]*"\)' "$ROOT/crates/clearance-core/src/license/expr.rs" |
            sed -E 's/^[a-z_]+\("(.*)"\)$/\1/'
    } | sort -u | add_lines license_expr
}

seed_bundle_verify() {
    collect "$ROOT/tests/fixtures" '*.sigstore.json'
    add bundle_verify "${FILES[@]}"
    add_blocks bundle_verify json "$ROOT/docs/attestations.md"
}

seed_template_render() {
    collect "$ROOT/templates" '*.hbs'
    add template_render "${FILES[@]}"
    collect "$ROOT/benches/workloads" '*.hbs'
    add template_render "${FILES[@]}"
    add_blocks template_render handlebars "$ROOT/docs/templates.md"
}

# Small snapshot archives, made here: a well-formed one, one with a link, one with `..`, one
# with a release split around another, one with a header claiming more than it holds.
seed_snapshot_archive() {
    mkdir -p "$CORPUS/snapshot_archive"
    python3 - "$CORPUS/snapshot_archive" <<'PY'
import gzip, hashlib, io, json, sys, tarfile
out = sys.argv[1]

def archive(entries):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, data, kind in entries:
            info = tarfile.TarInfo(name)
            if kind == "link":
                info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    packed = gzip.compress(raw.getvalue(), mtime=0)
    name = hashlib.sha1(packed).hexdigest()
    open(f"{out}/{name}", "wb").write(packed)
    return raw.getvalue()

record = json.dumps({"schema": "clearance-release/1", "product": {"name": "app", "version": "1.0.0"},
    "git_commit": None, "time": "2026-10-03T00:00:00Z", "tool": {"name": "clearance", "version": "0.1.0"},
    "verdict": "pass", "signing": None, "attestations": [], "files": [{"path": "NOTICE",
    "sha256": hashlib.sha256(b"notice").hexdigest()}]}).encode()
manifest = json.dumps({"schema": "clearance-snapshot/1", "period": {"label": "2026-Q4",
    "since": "2026-10-01", "until": "2026-12-31"}, "created": "2026-11-18T00:00:00Z",
    "tool": {"name": "clearance", "version": "0.1.0"}, "trusted_root": {"origin": "x", "sha256": ""},
    "signers": {"origin": "x", "evidence": [], "snapshot": []}, "releases": [], "changes": [],
    "problems": [], "files": []}).encode()
top = "snapshot-2026-Q4/"
good = [(top + "manifest.json", manifest, "file"), (top + "releases/r1/NOTICE", b"notice", "file"),
        (top + "releases/r1/release.json", record, "file")]
archive(good)
archive(good + [(top + "releases/r1/link", b"", "link")])
archive([(top + "../escape", b"x", "file")] + good)
archive(good + [(top + "releases/r2/NOTICE", b"n", "file"), (top + "releases/r1/extra", b"e", "file")])
tar = archive(good)
header = bytearray(tar[:512])
header[124:136] = b"77777777777\0"
open(f"{out}/claims-too-much", "wb").write(gzip.compress(bytes(header), mtime=0))
PY
}

main() {
    local targets=("$@") target
    if [[ ${#targets[@]} -eq 0 ]]; then
        targets=(sbom_read policy_parse signers_parse license_expr bundle_verify template_render snapshot_archive)
    fi
    for target in "${targets[@]}"; do
        if ! declare -F "seed_$target" >/dev/null; then
            echo "fuzz-seed.sh: no seeds are known for target $target" >&2
            continue
        fi
        "seed_$target"
        # Inputs that once crashed the target stay in its corpus.
        collect "$ROOT/tests/fixtures/fuzz-regressions/$target" '*'
        add "$target" "${FILES[@]}"
        echo "$target: $(find "$CORPUS/$target" -type f | wc -l) inputs in fuzz/corpus/$target"
    done
}

main "$@"
