#!/usr/bin/env python3
"""conv.py T0 PINGLOG: milliseconds from T0 (Unix seconds) to the first echo reply that
`ping -D` logged in PINGLOG, or null when none came (tools/bench/bench.sh's run_converge)."""
import re
import sys

t0 = float(sys.argv[1])
with open(sys.argv[2]) as f:
    for line in f:
        m = re.match(r"\[([0-9.]+)\] \d+ bytes from", line)
        if m:
            print("%.1f" % ((float(m.group(1)) - t0) * 1e3))
            break
    else:
        print("null")
