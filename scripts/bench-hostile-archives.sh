#!/usr/bin/env bash
# `clearance snapshot verify` on hostile archives, with its peak memory and time
# (/usr/bin/time -v): an 87-byte .tar.gz whose tar header claims 2^60 bytes, and a gzip bomb
# of a few MB that unpacks to 3 GiB of zeros (one file, and six files under the per-file
# limit). Each must be refused with exit 2, quickly and
# within a few tens of MiB.
#
# Usage: scripts/bench-hostile-archives.sh
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$repo/Cargo.toml"
bin=${CARGO_TARGET_DIR:-$repo/target}/release/clearance
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

python3 - "$scratch" <<'PY'
import gzip, io, sys, tarfile
out = sys.argv[1]
header = tarfile.TarInfo("snapshot-2026-Q4/manifest.json")
header.size = 1 << 60
block = header.tobuf(format=tarfile.GNU_FORMAT)
with open(f"{out}/tiny.tar.gz", "wb") as f:
    f.write(gzip.compress(block[:512], compresslevel=9, mtime=0))

class Zeros(io.RawIOBase):
    def __init__(self, n):
        self.left = n
    def readable(self):
        return True
    def readinto(self, b):
        n = min(len(b), self.left)
        b[:n] = bytes(n)
        self.left -= n
        return n

size = 3 << 30
with open(f"{out}/bomb.tar.gz", "wb") as raw, gzip.GzipFile(
    fileobj=raw, mode="wb", compresslevel=9, mtime=0
) as gz:
    with tarfile.open(fileobj=gz, mode="w|", format=tarfile.GNU_FORMAT) as tar:
        info = tarfile.TarInfo("snapshot-2026-Q4/releases/r/NOTICE")
        info.size = size
        tar.addfile(info, io.BufferedReader(Zeros(size), 1 << 20))

# The same 3 GiB in six files of 512 MiB, each under the per-file limit: the ratio stops it.
part = 512 << 20
with open(f"{out}/bomb-split.tar.gz", "wb") as raw, gzip.GzipFile(
    fileobj=raw, mode="wb", compresslevel=9, mtime=0
) as gz:
    with tarfile.open(fileobj=gz, mode="w|", format=tarfile.GNU_FORMAT) as tar:
        for n in range(6):
            info = tarfile.TarInfo(f"snapshot-2026-Q4/releases/r/NOTICE-{n}")
            info.size = part
            tar.addfile(info, io.BufferedReader(Zeros(part), 1 << 20))
PY

for archive in tiny bomb bomb-split; do
    file=$scratch/$archive.tar.gz
    set +e
    /usr/bin/time -v "$bin" snapshot verify "$file" --identity x --issuer https://issuer.example \
        > /dev/null 2> "$scratch/$archive.err"
    code=$?
    set -e
    rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$scratch/$archive.err")
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$scratch/$archive.err")
    printf '%-5s %9d bytes  exit %d  peak %6d KiB  wall %s\n' "$archive" \
        "$(stat -c %s "$file")" "$code" "$rss" "$wall"
    grep -m1 '^error' "$scratch/$archive.err" || true
done
