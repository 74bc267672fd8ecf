#!/usr/bin/env bash
# usage: [VALIDATE_VENV=DIR] [PYTHON=python3] setup.sh
# Creates a Python venv (default: ./.venv-validate, or $VALIDATE_VENV) holding pinned SBOM validators:
#   cyclonedx-python-lib[json-validation] (CycloneDX JSON schemas 1.2-1.7 + strict validator),
#   spdx-tools (pyspdxtools: SPDX 2.2/2.3 validation), ntia-conformance-checker (ntia-checker: NTIA
#   minimum elements, SPDX input only), check-jsonschema (generic JSON Schema CLI; SARIF with
#   schemas/sarif-schema-2.1.0.json), spdx3-validate (SPDX 3.0.1, offline via validate-spdx3.py),
#   sigstore (sigstore-python: an independent verifier of Sigstore bundles).
# Every package, dependencies included, is pinned with its hashes in requirements.txt (generated
# from requirements.in by pip-compile --generate-hashes) and installed with --require-hashes.
# Then: validate-cyclonedx.py FILE, validate-spdx.sh FILE (both find the venv through $VALIDATE_VENV).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
VENV="${VALIDATE_VENV:-.venv-validate}"
PY="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  --require-hashes -r "$HERE/requirements.txt"
"$VENV/bin/python" -c 'import cyclonedx.validation.json, spdx_tools, ntia_conformance_checker'
"$VENV/bin/python" - "$VENV" <<'PY'
import sys
from importlib.metadata import version
names = ["cyclonedx-python-lib", "spdx-tools", "ntia-conformance-checker", "check-jsonschema", "jsonschema", "spdx3-validate", "sigstore"]
print(f"validators installed in {sys.argv[1]}: " + ", ".join(f"{n} {version(n)}" for n in names))
PY
