#!/usr/bin/python3
"""dnsq.py SERVER NAME [TYPE] [--tcp]: one DNS query; prints "rcode N" and one
line per answer ("A 10.0.0.2", "PTR name.", "TYPE n"), exit 1 without reply.

Also `dnsq.py --serve IP NAME=ADDR...`: a tiny authoritative resolver for the
e2e tests' world (UDP and TCP on IP:53), NXDOMAIN for any other name; "big"
answers UDP with the TC bit and no records, so the asker retries over TCP.
"""
import socket
import struct
import sys
import threading

TYPES = {"A": 1, "PTR": 12, "AAAA": 28, "MX": 15, "TXT": 16}


def qname(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def read_name(msg, off):
    labels, jumped, end = [], False, off
    while True:
        n = msg[off]
        if n & 0xC0 == 0xC0:
            if not jumped:
                end = off + 2
            off, jumped = ((n & 0x3F) << 8) | msg[off + 1], True
            continue
        if n == 0:
            if not jumped:
                end = off + 1
            return ".".join(labels) + ".", end
        labels.append(msg[off + 1:off + 1 + n].decode())
        off += 1 + n


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise OSError("connection closed")
        buf += chunk
    return buf


def ask(server, name, qtype, tcp):
    q = struct.pack("!HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0) + qname(name)
    q += struct.pack("!HH", TYPES[qtype], 1)
    if tcp:
        s = socket.create_connection((server, 53), timeout=5)
        s.sendall(struct.pack("!H", len(q)) + q)
        msg = recv_exact(s, struct.unpack("!H", recv_exact(s, 2))[0])
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(5)
        s.sendto(q, (server, 53))
        msg = s.recv(4096)
    ident, flags, qd, an = struct.unpack("!HHHH", msg[:8])
    assert ident == 0x4242
    print("rcode", flags & 0xF)
    if flags & 0x200:
        print("truncated")
    off = 12
    for _ in range(qd):
        off = read_name(msg, off)[1] + 4
    for _ in range(an):
        off = read_name(msg, off)[1]
        rtype, _, _, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
        off += 10
        if rtype == 1:
            print("A", socket.inet_ntoa(msg[off:off + 4]))
        elif rtype == 12:
            print("PTR", read_name(msg, off)[0])
        elif rtype == 28:
            print("AAAA", socket.inet_ntop(socket.AF_INET6, msg[off:off + 16]))
        else:
            print("TYPE", rtype)
        off += rdlen


def reply(q, table, tcp):
    ident, _, qd = struct.unpack("!HHH", q[:6])
    name, end = read_name(q, 12)
    question = q[12:end + 4]
    qtype = struct.unpack("!H", q[end:end + 2])[0]
    name = name.lower()
    if name == "big." and not tcp:
        return struct.pack("!HHHHHH", ident, 0x8380, 1, 0, 0, 0) + question
    addr = table.get(name)
    if addr is None:
        return struct.pack("!HHHHHH", ident, 0x8183, 1, 0, 0, 0) + question
    ans = b""
    if qtype == 1:
        ans = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton(addr)
    return struct.pack("!HHHHHH", ident, 0x8180, 1, 1 if ans else 0, 0, 0) + question + ans


def serve(ip, pairs):
    table = {}
    for p in pairs:
        k, v = p.split("=")
        table[k.lower().rstrip(".") + "."] = v
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((ip, 53))
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((ip, 53))
    t.listen(16)

    def tcp_loop():
        while True:
            c, _ = t.accept()
            try:
                q = recv_exact(c, struct.unpack("!H", recv_exact(c, 2))[0])
                r = reply(q, table, True)
                c.sendall(struct.pack("!H", len(r)) + r)
            except (OSError, struct.error):
                pass
            c.close()

    threading.Thread(target=tcp_loop, daemon=True).start()
    print("serving", flush=True)
    while True:
        q, peer = u.recvfrom(4096)
        try:
            u.sendto(reply(q, table, False), peer)
        except (IndexError, struct.error):
            pass


if __name__ == "__main__":
    if sys.argv[1] == "--serve":
        serve(sys.argv[2], sys.argv[3:])
    else:
        args = [a for a in sys.argv[1:] if a != "--tcp"]
        try:
            ask(args[0], args[1], args[2] if len(args) > 2 else "A", "--tcp" in sys.argv)
        except OSError as e:
            print("no reply:", e)
            sys.exit(1)
