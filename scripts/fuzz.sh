#!/usr/bin/env bash
# Fuzzes clearance's input surfaces with cargo-fuzz (libFuzzer), one target after another,
# and prints what each did. See docs/fuzzing.md.
#
# Usage:
#   scripts/fuzz.sh [SECONDS] [TARGET...]   run the targets (all by default) SECONDS each (60)
#   scripts/fuzz.sh --list                  list the targets and what each exercises
#
# Each target is seeded from the repository (scripts/fuzz-seed.sh) into fuzz/corpus/TARGET/,
# which keeps growing from run to run, and runs with -max_total_time=SECONDS,
# -rss_limit_mb=2048 and -timeout=10. A crash (panic, abort, out of memory, timeout) leaves
# its input under fuzz/artifacts/TARGET/; the script then exits 1. Logs are written to
# fuzz/target/fuzz-logs/TARGET.log.
#
# Environment:
#   CLEARANCE_FUZZ_TOOLCHAIN   the toolchain cargo-fuzz runs with (default: nightly)
#   CLEARANCE_FUZZ_SANITIZER   none (default), address, leak, memory or thread
#   CLEARANCE_FUZZ_ARGS        more libFuzzer options, e.g. "-max_len=65536 -dict=FILE"
#
# Fuzzing is heavy: on a shared machine run it as `nice -n 19 scripts/fuzz.sh`.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FUZZ="$ROOT/fuzz"
TOOLCHAIN="${CLEARANCE_FUZZ_TOOLCHAIN:-nightly}"
SANITIZER="${CLEARANCE_FUZZ_SANITIZER:-none}"
LOGS="$FUZZ/target/fuzz-logs"
DEFAULT_SECONDS=60

usage() {
    sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

# The targets, in the order they run: the files under fuzz/fuzz_targets.
all_targets() {
    local file
    for file in "$FUZZ"/fuzz_targets/*.rs; do
        basename "$file" .rs
    done
}

# What a target fuzzes: its documentation's first paragraph, up to the first colon.
describe() {
    sed -n '/^\/\/!/!q; s|^//! *||p' "$FUZZ/fuzz_targets/$1.rs" | tr '\n' ' ' |
        sed -e 's/: .*//' -e 's/ *$//'
}

list() {
    local target
    while IFS= read -r target; do
        printf '%-16s %s\n' "$target" "$(describe "$target")"
    done < <(all_targets)
}

cargo_fuzz() {
    (cd "$FUZZ" && cargo "+$TOOLCHAIN" fuzz "$@")
}

# The crash, timeout and out-of-memory inputs saved for a target, one per line.
artifacts_of() {
    local dir="$FUZZ/artifacts/$1"
    [[ -d "$dir" ]] || return 0
    find "$dir" -maxdepth 1 -type f \
        \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) | sort
}

# The value of libFuzzer's final statistic NAME in LOG, or "?".
stat_of() {
    local value
    value="$(sed -n "s/^stat::$2: *\([0-9]*\).*/\1/p" "$1" | tail -n 1)"
    printf '%s\n' "${value:-?}"
}

# The last coverage figure libFuzzer printed in LOG, or "?".
coverage_of() {
    local value
    value="$(grep -o ' cov: [0-9]*' "$1" | tail -n 1 | tr -dc '0-9')"
    printf '%s\n' "${value:-?}"
}

# The kind of crash libFuzzer reported in LOG.
crash_kind() {
    local log="$1"
    if grep -q 'ERROR: libFuzzer: timeout' "$log"; then
        echo timeout
    elif grep -q 'ERROR: libFuzzer: out-of-memory' "$log"; then
        echo out-of-memory
    elif grep -q "has overflowed its stack" "$log"; then
        echo stack-overflow
    elif grep -q 'panicked at' "$log"; then
        echo panic
    elif grep -q 'ERROR: libFuzzer: deadly signal' "$log"; then
        echo deadly-signal
    elif grep -q 'ERROR: AddressSanitizer' "$log"; then
        echo address-sanitizer
    else
        echo failure
    fi
}

declare -a ROWS=()
CRASHED=0

# run TARGET SECONDS: seeds and runs one target, prints its line and records its row.
run_target() {
    local target="$1" seconds="$2"
    local log="$LOGS/$target.log"
    local before after status=0 new=() line
    mkdir -p "$FUZZ/corpus/$target" "$FUZZ/artifacts/$target"
    before="$(artifacts_of "$target")"
    # The targets write scratch files into the temporary directory; keep them in here.
    local scratch="$FUZZ/target/fuzz-tmp/$target"
    rm -rf "$scratch"
    mkdir -p "$scratch"
    echo "== $target: $seconds s ($(describe "$target"))"
    # shellcheck disable=SC2086 # CLEARANCE_FUZZ_ARGS holds several options on purpose.
    TMPDIR="$scratch" cargo_fuzz run --sanitizer "$SANITIZER" "$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        ${CLEARANCE_FUZZ_ARGS:-} >"$log" 2>&1 || status=$?
    rm -rf "$scratch"
    after="$(artifacts_of "$target")"
    while IFS= read -r line; do
        [[ -n "$line" ]] && new+=("$line")
    done < <(comm -13 <(printf '%s\n' "$before") <(printf '%s\n' "$after"))

    local execs cov units crashes=${#new[@]} kind="" artifact=""
    execs="$(stat_of "$log" number_of_executed_units)"
    cov="$(coverage_of "$log")"
    units="$(find "$FUZZ/corpus/$target" -type f | wc -l | tr -d ' ')"
    if ((status != 0 && crashes == 0)); then
        # libFuzzer failed without saving an input: count it, the log says why.
        crashes=1
    fi
    if ((crashes > 0)); then
        CRASHED=1
        kind="$(crash_kind "$log")"
        artifact="${new[0]:-(none saved; see $log)}"
        artifact="${artifact#"$ROOT"/}"
        echo "   CRASH ($kind): $artifact"
        echo "   log: ${log#"$ROOT"/}"
        grep -m 1 -A 3 'panicked at' "$log" | sed 's/^/   | /' || true
    fi
    printf '   executions: %s, coverage: %s, corpus: %s inputs, crashes: %s\n' \
        "$execs" "$cov" "$units" "$crashes"
    ROWS+=("$(printf '%-16s %7s %12s %8s %8s %8s  %s' "$target" "$seconds" "$execs" "$cov" \
        "$units" "$crashes" "${kind:+$kind: }$artifact")")
}

main() {
    local seconds="$DEFAULT_SECONDS"
    case "${1:-}" in
    -h | --help)
        usage
        return 0
        ;;
    -l | --list)
        list
        return 0
        ;;
    esac
    if [[ $# -gt 0 ]]; then
        if [[ ! "$1" =~ ^[1-9][0-9]*$ ]]; then
            echo "fuzz.sh: SECONDS must be a positive whole number, not '$1'" >&2
            usage >&2
            return 2
        fi
        seconds="$1"
        shift
    fi

    local known targets=() target
    known="$(all_targets)"
    if [[ $# -eq 0 ]]; then
        mapfile -t targets <<<"$known"
    else
        for target in "$@"; do
            if ! grep -qx -- "$target" <<<"$known"; then
                echo "fuzz.sh: no target '$target'; the targets are:" >&2
                list >&2
                return 2
            fi
            targets+=("$target")
        done
    fi

    if ! cargo "+$TOOLCHAIN" fuzz --version >/dev/null 2>&1; then
        echo "fuzz.sh: cargo-fuzz is missing: cargo install cargo-fuzz --locked" \
            "(and rustup toolchain install $TOOLCHAIN)" >&2
        return 2
    fi

    "$ROOT/scripts/fuzz-seed.sh" "${targets[@]}"

    mkdir -p "$LOGS"
    echo "== building ${targets[*]} (sanitizer: $SANITIZER)"
    for target in "${targets[@]}"; do
        if ! cargo_fuzz build --sanitizer "$SANITIZER" "$target" >"$LOGS/build.log" 2>&1; then
            tail -n 30 "$LOGS/build.log" >&2
            echo "fuzz.sh: building $target failed; see ${LOGS#"$ROOT"/}/build.log" >&2
            return 2
        fi
    done

    for target in "${targets[@]}"; do
        run_target "$target" "$seconds"
    done

    echo
    printf '%-16s %7s %12s %8s %8s %8s  %s\n' target seconds executions coverage corpus \
        crashes reproducer
    printf '%s\n' "${ROWS[@]}"
    if ((CRASHED)); then
        echo
        echo "Some target crashed: reproduce with" \
            "(cd fuzz && cargo +$TOOLCHAIN fuzz run --sanitizer $SANITIZER TARGET ARTIFACT);" \
            "docs/fuzzing.md says how to make it a regression test."
        return 1
    fi
}

main "$@"
