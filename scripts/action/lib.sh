# shellcheck shell=bash
# Helpers shared by the GitHub Action's step scripts (install.sh, run.sh, comment.sh).
# Sourced, not run.

# set_output NAME VALUE: a step output (`$GITHUB_OUTPUT`; discarded when it is unset).
set_output() {
  printf '%s=%s\n' "$1" "$2" >> "${GITHUB_OUTPUT:-/dev/null}"
}

# under DIR PATH: PATH if it is absolute, else PATH inside DIR.
under() {
  case "$2" in
    /*) printf '%s\n' "$2" ;;
    *) if [ "$1" = . ]; then printf '%s\n' "$2"; else printf '%s/%s\n' "${1%/}" "$2"; fi ;;
  esac
}

# The SHA-256 command: sha256sum, or shasum on macOS. `"${sha256[@]}" FILE...` prints
# "DIGEST  NAME" lines; `-` reads standard input.
# shellcheck disable=SC2034 # used by the scripts that source this file
if command -v sha256sum > /dev/null 2>&1; then
  sha256=(sha256sum)
else
  sha256=(shasum -a 256)
fi

# die CODE MESSAGE: an error annotation, then exit CODE.
die() {
  printf "::error title=clearance::%s\n" "$2"
  exit "$1"
}
