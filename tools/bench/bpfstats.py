#!/usr/bin/env python3
"""Keeps the kernel's BPF run-time statistics on while it runs.

BPF_ENABLE_STATS(BPF_STATS_RUN_TIME) returns a file descriptor; while any
such descriptor is open, the kernel adds every program run to the program's
run_cnt and run_time_ns (`bpftool prog show`). Holding the descriptor in a
process, rather than setting the kernel.bpf_stats_enabled sysctl, leaves no
setting behind: the statistics stop when this process ends (SIGTERM).

  bpfstats.py     # prints "on" once enabled, then waits to be ended
"""
import ctypes
import signal
import struct
import sys

NR_BPF = 321  # x86_64
BPF_ENABLE_STATS = 32
BPF_STATS_RUN_TIME = 0

libc = ctypes.CDLL(None, use_errno=True)
attr = ctypes.create_string_buffer(struct.pack("I", BPF_STATS_RUN_TIME) + bytes(124))
fd = libc.syscall(NR_BPF, BPF_ENABLE_STATS, attr, len(attr))
if fd < 0:
    sys.exit("bpfstats: BPF_ENABLE_STATS failed: errno %d" % ctypes.get_errno())
print("on", flush=True)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
while True:
    signal.pause()
