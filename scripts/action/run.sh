#!/usr/bin/env bash
# usage: run.sh
#
# The main step of the clearance GitHub Action (action.yml), runnable outside GitHub: runs
# `clearance check`, `diff` or `release`, writes the reports to an output folder, appends the
# Markdown report to $GITHUB_STEP_SUMMARY, writes the step outputs, and only then exits with
# clearance's exit code (0 pass, 1 findings at error severity, 2 unusable input).
#
# Inputs, from the environment (see docs/ci.md):
#   INPUT_COMMAND            check (default), diff or release
#   INPUT_WORKING_DIRECTORY  the folder the path inputs below are relative to (default: .)
#   INPUT_MANIFEST_PATH      the workspace's Cargo.toml (default: Cargo.toml)
#   INPUT_POLICY             the policy file (default: clearance's own choice)
#   INPUT_BASE_REF           diff: the base revision (required for diff)
#   INPUT_FAIL_ON            diff: new or any
#   INPUT_FORMATS            check, diff: report formats besides Markdown, comma-separated
#                            (human, json, sarif, junit, markdown)
#   INPUT_SARIF              true: also write SARIF (check, diff)
#   INPUT_SUMMARY            false: leave $GITHUB_STEP_SUMMARY alone (default: true)
#   INPUT_OUT_DIR            where the reports go (check, diff: a new folder under
#                            RUNNER_TEMP; release: dist/clearance)
#   INPUT_SIGN, INPUT_SIGSTORE, INPUT_EVIDENCE, INPUT_SUBJECT (one path a line)
#                            release: --sign, --sigstore, --evidence, --subject
#   INPUT_ARGS               more arguments for clearance, split at whitespace
#   CLEARANCE_BIN            the clearance binary (default: clearance on PATH)
# Commands run from GITHUB_WORKSPACE (default: the current directory), so that locations in
# SARIF are relative to the repository root; paths in INPUT_ARGS are relative to it too.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/action/lib.sh
. "$here/lib.sh"

command=${INPUT_COMMAND:-check}
wd=${INPUT_WORKING_DIRECTORY:-.}
clearance=${CLEARANCE_BIN:-clearance}
workspace=${GITHUB_WORKSPACE:-$PWD}
cd "$workspace"

rc=0
problem=
out=
markdown_file=
sarif_file=
junit_file=
json_file=
verify_command=

# The file a report format is written to, inside $out.
report_name() {
  case "$1" in
    human) echo report.txt ;;
    json) echo report.json ;;
    sarif) echo report.sarif ;;
    junit) echo report.junit.xml ;;
    markdown) echo report.md ;;
  esac
}

# $1 if that file exists, else nothing.
existing() {
  if [ -f "$1" ]; then
    printf '%s\n' "$1"
  fi
}

# The verdict an exit code stands for.
verdict_of() {
  case "$1" in
    0) echo pass ;;
    1) echo fail ;;
    *) echo error ;;
  esac
}

# $1 inside single quotes, for a shell command line.
shell_quote() {
  printf "'%s'" "${1//\'/\'\\\'\'}"
}

# $1 with the characters that are special in a regular expression escaped.
regex_escape() {
  printf '%s' "$1" | sed -e 's/[][\.*^$?+(){}|]/\\&/g'
}

# Runs clearance with the arguments given, echoing the command line first; keeps the highest
# exit code in $rc and returns clearance's.
run_clearance() {
  printf '+ clearance'
  printf ' %q' "$@"
  printf '\n'
  local code=0
  "$clearance" "$@" || code=$?
  if [ "$code" -gt "$rc" ]; then
    rc=$code
  fi
  return "$code"
}

# Writes the step summary and the outputs, then exits with $rc.
finish() {
  local verdict
  verdict=$(verdict_of "$rc")
  if [ "${INPUT_SUMMARY:-true}" != false ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    write_summary >> "$GITHUB_STEP_SUMMARY"
  fi
  set_output exit-code "$rc"
  set_output verdict "$verdict"
  set_output out-dir "$(if [ -d "$out" ]; then printf '%s' "$out"; fi)"
  set_output markdown-file "$markdown_file"
  set_output sarif-file "$sarif_file"
  set_output junit-file "$junit_file"
  set_output json-file "$json_file"
  set_output verify-command "$verify_command"
  if [ -n "$markdown_file" ] && [ ! -f "$out/report.txt" ]; then
    echo "::group::clearance $command report"
    cat "$markdown_file"
    echo "::endgroup::"
  fi
  echo "clearance $command: $verdict (exit code $rc)"
  exit "$rc"
}

# The step summary: the Markdown report, or why there is none; for a release, the evidence
# and how to verify it.
write_summary() {
  if [ -n "$markdown_file" ]; then
    cat "$markdown_file"
  else
    printf '### clearance %s\n\n⚠️ No report: %s (exit code %s).\n' \
      "$command" "${problem:-clearance could not run, see the log}" "$rc"
  fi
  if [ "$command" = release ] && [ -f "$out/release.json" ]; then
    local attestations='' file
    for file in "$out"/*.sigstore.json "$out"/*.intoto.json; do
      if [ -f "$file" ]; then
        attestations+="${attestations:+, }\`$(basename "$file")\`"
      fi
    done
    # shellcheck disable=SC2016 # Markdown backticks
    printf '\n**Release evidence** in `%s`: %s files; attestations: %s.\n' \
      "$out" "$(find "$out" -maxdepth 1 -type f | wc -l | tr -d ' ')" "${attestations:-none}"
  fi
  if [ -n "$verify_command" ]; then
    # shellcheck disable=SC2016 # Markdown backticks
    printf '\n**Verify** (in a folder holding the release assets):\n\n```sh\n%s\n```\n' \
      "$verify_command"
  fi
}

# Stops with exit code 2 and $1 as the reason, after the summary and the outputs.
bad_input() {
  printf '::error title=clearance::%s\n' "$1"
  problem=$1
  rc=2
  finish
}

# The `clearance verify` line a consumer runs on this release's assets, when it was signed
# keylessly in a github.com workflow: the identity is this workflow file, at any tag when
# the run is for a tag, else at this ref.
release_verify_command() {
  local server=${GITHUB_SERVER_URL:-https://github.com}
  local workflow_ref=${GITHUB_WORKFLOW_REF:-}
  local sign=$1 sigstore=$2 first_subject=$3
  if [ "$sign" != keyless ] || [ -z "$workflow_ref" ] || [ "$server" != https://github.com ]; then
    return 0
  fi
  local bundle file
  if [ -n "$first_subject" ]; then
    bundle=provenance.sigstore.json
    file=$(basename "$first_subject")
  else
    bundle=sbom.cdx.sigstore.json
    file=$(cd "$out" && find . -maxdepth 1 -name '*.cdx.json' | sed -e 's|^\./||' | head -n 1)
  fi
  if [ ! -f "$out/$bundle" ] || [ -z "$file" ]; then
    return 0
  fi
  local git_ref=${workflow_ref##*@}
  local identity
  identity="$(regex_escape "$server/${workflow_ref%@*}")@"
  case "$git_ref" in
    refs/tags/*) identity+='refs/tags/.*' ;;
    *) identity+=$(regex_escape "$git_ref") ;;
  esac
  local instance=
  if [ "$sigstore" != public-good ]; then
    instance=" --sigstore $(shell_quote "$sigstore")"
  fi
  printf 'clearance verify%s --bundle %s --certificate-identity-regexp %s --certificate-oidc-issuer %s %s\n' \
    "$instance" "$(shell_quote "$bundle")" "$(shell_quote "$identity")" \
    https://token.actions.githubusercontent.com "$(shell_quote "$file")"
}

# check or diff: one run per report format, into a folder of their own.
check_or_diff() {
  local formats=(markdown) requested=() format
  if [ "${INPUT_SARIF:-false}" = true ]; then
    formats+=(sarif)
  fi
  IFS=', ' read -r -a requested <<< "${INPUT_FORMATS:-}"
  for format in "${requested[@]}"; do
    case "$format" in
      human | json | sarif | junit | markdown) ;;
      *) bad_input "formats: \`$format\` is not one of human, json, sarif, junit, markdown" ;;
    esac
    if [[ " ${formats[*]} " != *" $format "* ]]; then
      formats+=("$format")
    fi
  done

  local args=("$command" --manifest-path "$manifest")
  if [ -n "$policy" ]; then
    args+=(--policy "$policy")
  fi
  if [ "$command" = diff ]; then
    [ -n "${INPUT_BASE_REF:-}" ] || bad_input "diff needs base-ref, the base revision to compare with"
    args+=(--base-ref "$INPUT_BASE_REF")
    if [ -n "${INPUT_FAIL_ON:-}" ]; then
      args+=(--fail-on "$INPUT_FAIL_ON")
    fi
  fi
  args+=("${extra[@]}")

  if [ -n "${INPUT_OUT_DIR:-}" ]; then
    out=$(under "$workspace" "$(under "$wd" "$INPUT_OUT_DIR")")
    mkdir -p "$out"
  else
    out=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/clearance-$command.XXXXXX")
  fi
  for format in "${formats[@]}"; do
    # An unusable input fails the same way in every format: one message is enough.
    if ! run_clearance "${args[@]}" --format "$format" \
      --output "$out/$(report_name "$format")" && [ "$rc" -ge 2 ]; then
      break
    fi
  done
  markdown_file=$(existing "$out/report.md")
  sarif_file=$(existing "$out/report.sarif")
  junit_file=$(existing "$out/report.junit.xml")
  json_file=$(existing "$out/report.json")
  if [ -f "$out/report.txt" ]; then
    cat "$out/report.txt"
  fi
}

# release: the evidence folder, signed (or not), and how to verify it.
release() {
  local sign=${INPUT_SIGN:-keyless} sigstore=${INPUT_SIGSTORE:-public-good}
  case "$sigstore" in
    public-good | staging | dev) ;;
    *) sigstore=$(under "$workspace" "$(under "$wd" "$sigstore")") ;;
  esac
  out=$(under "$workspace" "$(under "$wd" "${INPUT_OUT_DIR:-dist/clearance}")")
  local evidence
  evidence=$(under "$wd" "${INPUT_EVIDENCE:-.clearance/evidence}")
  local args=(release --manifest-path "$manifest" --out "$out" --evidence "$evidence"
    --sign "$sign" --sigstore "$sigstore")
  if [ -n "$policy" ]; then
    args+=(--policy "$policy")
  fi
  local line first_subject=
  while IFS= read -r line; do
    line="${line#"${line%%[![:space:]]*}"}"
    line="${line%"${line##*[![:space:]]}"}"
    if [ -n "$line" ]; then
      args+=(--subject "$(under "$wd" "$line")")
      first_subject=${first_subject:-$line}
    fi
  done <<< "${INPUT_SUBJECT:-}"
  args+=("${extra[@]}")

  run_clearance "${args[@]}" || true
  markdown_file=$(existing "$out/license-report.md")
  json_file=$(existing "$out/license-report.json")
  if [ "$rc" -lt 2 ]; then
    verify_command=$(release_verify_command "$sign" "$sigstore" "$first_subject")
  fi
}

case "$command" in
  check | diff | release) ;;
  *) bad_input "command: \`$command\` is not check, diff or release" ;;
esac
manifest=$(under "$wd" "${INPUT_MANIFEST_PATH:-Cargo.toml}")
policy=
if [ -n "${INPUT_POLICY:-}" ]; then
  policy=$(under "$wd" "$INPUT_POLICY")
fi
extra=()
# Every line of the input, split at whitespace (read stops at the end of input with status 1).
read -r -d '' -a extra <<< "${INPUT_ARGS:-}" || true

if [ "$command" = release ]; then
  release
else
  check_or_diff
fi
finish
