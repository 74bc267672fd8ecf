#!/usr/bin/env python3
"""usage: peak-rss.py CMD [ARG...]

Runs CMD and prints the peak resident set size of CMD's own process (VmHWM, in MiB) on
stderr as `peak-rss-mib: N`, excluding its children (e.g. the `cargo metadata` that
clearance starts), which `/usr/bin/time -v` would report instead when they are larger.
VmHWM only grows, so the last reading before the process exits is its peak.
"""
import os
import subprocess
import sys
import time

if len(sys.argv) < 2:
    print(__doc__.strip(), file=sys.stderr)
    sys.exit(2)
proc = subprocess.Popen(sys.argv[1:])
peak_kib = 0
status = f"/proc/{proc.pid}/status"
while proc.poll() is None:
    try:
        with open(status) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    peak_kib = max(peak_kib, int(line.split()[1]))
    except (FileNotFoundError, ProcessLookupError, ValueError):
        pass
    time.sleep(0.002)
print(f"peak-rss-mib: {peak_kib / 1024:.1f}", file=sys.stderr)
sys.exit(proc.returncode)
