#!/usr/bin/env python3
"""Open N connections to HOST:PORT that send half an HTTP request and then
nothing (a slow client), from the given source addresses in turn; print
"open K" once all are tried, keep them for at most HOLD seconds, then exit.

    halfsent.py HOST PORT N HOLD SRC [SRC...]

Bounded: N connections, each connect with a timeout, HOLD seconds at most.
For loopback or namespace addresses only (the tests' own servers).
"""
import resource
import socket
import sys
import time


def main():
    host, port, n, hold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    srcs = sys.argv[5:] or ["127.0.0.1"]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, n + 64)), hard))
    socks, opened = [], 0
    deadline = time.monotonic() + hold
    for i in range(n):
        if time.monotonic() > deadline:
            break
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(2)
        try:
            s.bind((srcs[i % len(srcs)], 0))
            s.connect((host, port))
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            opened += 1
        except OSError:
            s.close()
            continue
        socks.append(s)
    print("open %d" % opened, flush=True)
    while time.monotonic() < deadline:
        time.sleep(0.2)
    for s in socks:
        s.close()


if __name__ == "__main__":
    main()
