#!/usr/bin/env bash
# usage: install.sh plan|install
#
# The install steps of the clearance GitHub Action (action.yml), runnable outside GitHub.
#   plan     decides how clearance is installed and where, and writes the step outputs
#            `method`, `root` (an install root) and `key` (a cache key for `root`, empty
#            when the install is not worth caching);
#   install  installs clearance into `root` unless it is already there (a restored cache),
#            adds `root/bin` to `$GITHUB_PATH`, and writes the outputs `bin` and `version`.
#
# Inputs, from the environment (the first one set wins):
#   INPUT_BINARY         path or http(s) URL of a prebuilt clearance binary; its SHA-256 is
#                        checked against INPUT_BINARY_SHA256 when that is set
#   INPUT_INSTALL_GIT    cargo install --locked --git URL [--rev INPUT_INSTALL_REV]
#   INPUT_INSTALL_PATH   cargo install --locked --path PATH (default: GITHUB_ACTION_PATH,
#                        the action's own source)
# Relative paths are relative to GITHUB_WORKSPACE (default: the current directory).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/action/lib.sh
. "$here/lib.sh"

step=${1:-}
workspace=${GITHUB_WORKSPACE:-$PWD}
binary=${INPUT_BINARY:-}
binary_sha256=${INPUT_BINARY_SHA256:-}
git_url=${INPUT_INSTALL_GIT:-}
git_rev=${INPUT_INSTALL_REV:-}
source_path=${INPUT_INSTALL_PATH:-${GITHUB_ACTION_PATH:-}}

# The runner's OS, architecture and image: a binary built on one image may not run on another.
platform() {
  printf '%s-%s-%s\n' "${RUNNER_OS:-$(uname -s)}" "${RUNNER_ARCH:-$(uname -m)}" "${ImageOS:-local}"
}

# The SHA-256 of standard input, as hex.
digest_of_stdin() {
  "${sha256[@]}" - | cut -d' ' -f1
}

# One digest over the names and contents of every file under $1 but target/ and .git/.
source_digest() {
  (
    cd "$1"
    find . \( -name target -o -name .git \) -prune -o -type f -print0 \
      | LC_ALL=C sort -z \
      | xargs -0 "${sha256[@]}" \
      | digest_of_stdin
  )
}

if [ -n "$binary" ]; then
  method=binary
  key=
elif [ -n "$git_url" ]; then
  method=git
  key=
  if [ -n "$git_rev" ]; then
    key="clearance-$(platform)-git-$(printf '%s@%s' "$git_url" "$git_rev" | digest_of_stdin)"
  fi
elif [ -n "$source_path" ]; then
  method=path
  source_path=$(cd "$workspace" && cd "$source_path" && pwd) \
    || die 2 "install-path: $source_path is not a directory"
  key="clearance-$(platform)-src-$(source_digest "$source_path")"
else
  die 2 "no way to install clearance: set binary, install-git or install-path"
fi
root="${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}}/clearance/${key:-$method}"
bin="$root/bin/clearance"

# Copies or downloads the prebuilt binary to $bin, checking its digest when one is given.
install_binary() {
  local part="$bin.part"
  mkdir -p "$root/bin"
  case "$binary" in
    http://* | https://*)
      echo "downloading clearance from $binary"
      curl --fail --silent --show-error --location --retry 3 --output "$part" "$binary"
      ;;
    *)
      local from
      from=$(under "$workspace" "$binary")
      [ -f "$from" ] || die 2 "binary: $from does not exist"
      cp "$from" "$part"
      ;;
  esac
  if [ -n "$binary_sha256" ]; then
    local actual
    actual=$("${sha256[@]}" "$part" | cut -d' ' -f1)
    if [ "$actual" != "$binary_sha256" ]; then
      rm -f "$part"
      die 2 "binary: SHA-256 $actual, expected $binary_sha256"
    fi
  fi
  chmod 755 "$part"
  mv -f "$part" "$bin"
}

# Builds clearance with cargo install into $root.
install_with_cargo() {
  local from=()
  if [ "$method" = git ]; then
    from=(--git "$git_url")
    if [ -n "$git_rev" ]; then
      from+=(--rev "$git_rev")
    fi
  else
    from=(--path "$source_path")
  fi
  echo "cargo install --locked --root $root ${from[*]}"
  cargo install --locked --force --root "$root" "${from[@]}"
}

case "$step" in
  plan)
    echo "clearance: install by $method into $root${key:+ (cache key $key)}"
    set_output method "$method"
    set_output root "$root"
    set_output key "$key"
    ;;
  install)
    if [ -n "$key" ] && [ -x "$bin" ]; then
      echo "clearance: already installed in $root"
    elif [ "$method" = binary ]; then
      install_binary
    else
      install_with_cargo
    fi
    version=$("$bin" --version)
    echo "$version"
    printf '%s\n' "$root/bin" >> "${GITHUB_PATH:-/dev/null}"
    set_output bin "$bin"
    set_output version "$version"
    ;;
  *)
    die 2 "usage: install.sh plan|install"
    ;;
esac
