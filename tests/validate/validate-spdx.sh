#!/usr/bin/env bash
# usage: validate-spdx.sh FILE [--no-ntia]
# Validates an SPDX 2.2/2.3 document (JSON, or any format pyspdxtools reads by file extension) with
# spdx-tools' `pyspdxtools -i FILE`, then checks the NTIA minimum elements with
# `ntia-checker -c ntia FILE` (ntia-conformance-checker; SPDX input only, it also re-validates).
# Issue lists are grouped (count x message). Exit status: 0 all checks pass, 1 a check failed,
# 2 usage error or missing tools. Tools come from $VALIDATE_VENV (default ./.venv-validate, made by
# setup.sh) or else from PATH.
set -uo pipefail
if [ $# -lt 1 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; [ $# -ge 1 ] && exit 0 || exit 2
fi
FILE=$1; shift
NTIA=1
for a in "$@"; do
  case "$a" in
    --no-ntia) NTIA=0 ;;
    *) echo "error: unknown option $a" >&2; exit 2 ;;
  esac
done
[ -r "$FILE" ] || { echo "error: cannot read $FILE" >&2; exit 2; }
VENV="${VALIDATE_VENV:-.venv-validate}"
tool() { if [ -x "$VENV/bin/$1" ]; then echo "$VENV/bin/$1"; elif command -v "$1" >/dev/null; then command -v "$1"; else echo ""; fi; }
PYSPDX=$(tool pyspdxtools); NTIACHK=$(tool ntia-checker)
[ -n "$PYSPDX" ] || { echo "error: pyspdxtools not found (run setup.sh or set VALIDATE_VENV)" >&2; exit 2; }
status=0
tmp=$(mktemp); trap 'rm -f "$tmp"' EXIT

"$PYSPDX" -i "$FILE" >"$tmp" 2>&1; rc=$?
if [ $rc -eq 0 ]; then
  echo "PASS spdx-validation (pyspdxtools): $FILE"
else
  status=1
  n=$(grep -c -v -e '^ERROR:root:' -e '^\s*$' "$tmp")
  echo "FAIL spdx-validation (pyspdxtools, rc=$rc): $FILE: $n issue(s), grouped:"
  grep -v -e '^ERROR:root:' -e '^\s*$' "$tmp" | sort | uniq -c | sort -rn | head -20 | sed 's/^/  /'
  grep '^ERROR:root:' "$tmp" | grep -v 'The document is invalid' | head -5 | sed 's/^/  /'
fi

if [ $NTIA -eq 1 ]; then
  if [ -z "$NTIACHK" ]; then
    echo "error: ntia-checker not found (run setup.sh or set VALIDATE_VENV)" >&2; exit 2
  fi
  "$NTIACHK" -c ntia "$FILE" >"$tmp" 2>&1; rc=$?
  if [ $rc -eq 0 ] && grep -q '^Conformant: True' "$tmp"; then
    echo "PASS ntia-minimum-elements (ntia-checker): $FILE"
  else
    status=1
    echo "FAIL ntia-minimum-elements (ntia-checker, rc=$rc): $FILE"
    # conformance table and notes, without the (long) repeated validation violation list
    sed -n '/^The document is not valid/q;p' "$tmp" | grep -v '^\s*$' | sed 's/^/  /'
  fi
fi
exit $status
