#!/usr/bin/python3
"""dnsq.py SERVER NAME [TYPE] [--tcp]: one DNS query; prints "rcode N" and one
line per answer ("A 10.0.0.2", "PTR name.", "TYPE n"), exit 1 without reply.

Also `dnsq.py --serve IP NAME=ADDR...`: a tiny authoritative resolver for the
e2e tests' world (UDP and TCP on IP:53), NXDOMAIN for any other name; "big"
answers UDP with the TC bit and no records, so the asker retries over TCP.
Names for the attacks of 67-dns.bats:
  many.            60 A records (10.77.0.1..60), over 512 bytes over UDP too
  spoof.           first a reply with another id, then one to another question
                   (both 6.6.6.6, as a spoofer's), then the answer 198.18.99.9
  whoami.          A: the asker's source port (2 bytes), then its query id (2)
  *.blackhole.     read and dropped: a resolver that never answers

`dnsq.py --hostile SERVER`: a compression loop over UDP ("loop rcode N"), then
a TCP length prefix of 65535 followed by less ("tcp closed" when the server
hangs up rather than waiting for the rest).

`dnsq.py --flood SERVER SECONDS`: a sandbox hogging the DNS: 20 idle TCP
connections and a stream of UDP queries for names under blackhole., for
SECONDS; prints "flooding" once it has begun.
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


def a_answer(ident, question, addrs):
    ans = b"".join(b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton(a)
                   for a in addrs)
    return struct.pack("!HHHHHH", ident, 0x8180, 1, len(addrs), 0, 0) + question + ans


def reply(q, table, tcp, peer=None):
    """the replies to q, a list (None: stay silent)"""
    ident, _, qd = struct.unpack("!HHH", q[:6])
    name, end = read_name(q, 12)
    question = q[12:end + 4]
    qtype = struct.unpack("!H", q[end:end + 2])[0]
    name = name.lower()
    if name.endswith(".blackhole."):
        return None
    if name == "many.":
        return [a_answer(ident, question, ["10.77.0.%d" % i for i in range(1, 61)])]
    if name == "spoof.":
        evil = qname("evil.") + struct.pack("!HH", 1, 1)
        return [a_answer(ident ^ 0x5555, question, ["6.6.6.6"]),
                a_answer(ident, evil, ["6.6.6.6"]),
                a_answer(ident, question, ["198.18.99.9"])]
    if name == "whoami." and peer:
        port = peer[1]
        return [a_answer(ident, question, ["%d.%d.%d.%d" % (port >> 8, port & 255,
                                                             ident >> 8, ident & 255)])]
    if name == "big." and not tcp:
        return [struct.pack("!HHHHHH", ident, 0x8380, 1, 0, 0, 0) + question]
    addr = table.get(name)
    if addr is None:
        return [struct.pack("!HHHHHH", ident, 0x8183, 1, 0, 0, 0) + question]
    return [a_answer(ident, question, [addr] if qtype == 1 else [])]


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
                for r in reply(q, table, True) or []:
                    c.sendall(struct.pack("!H", len(r)) + r)
            except (OSError, struct.error, IndexError):
                pass
            c.close()

    threading.Thread(target=tcp_loop, daemon=True).start()
    print("serving", flush=True)
    while True:
        q, peer = u.recvfrom(4096)
        try:
            for r in reply(q, table, False, peer) or []:
                u.sendto(r, peer)
        except (IndexError, struct.error):
            pass


def hostile(server):
    loop = struct.pack("!HHHHHH", 0x4343, 0x0100, 1, 0, 0, 0) + b"\xc0\x0c" + \
        struct.pack("!HH", 1, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    s.sendto(loop, (server, 53))
    msg = s.recv(4096)
    assert msg[:2] == b"\x43\x43"
    print("loop rcode", msg[3] & 0xF)
    t = socket.create_connection((server, 53), timeout=10)
    t.sendall(b"\xff\xff" + b"\0" * 100)
    try:
        closed = t.recv(1) == b""
    except ConnectionResetError:
        closed = True
    print("tcp closed" if closed else "tcp answered")


def flood(server, seconds):
    import time
    conns = []
    for _ in range(20):
        try:
            conns.append(socket.create_connection((server, 53), timeout=2))
        except OSError:
            pass
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    end, i = time.time() + seconds, 0
    print("flooding", flush=True)
    while time.time() < end:
        for _ in range(40):
            i += 1
            q = struct.pack("!HHHHHH", i & 0xFFFF, 0x0100, 1, 0, 0, 0)
            u.sendto(q + qname("f%d.blackhole" % i) + struct.pack("!HH", 1, 1), (server, 53))
        time.sleep(0.2)


if __name__ == "__main__":
    if sys.argv[1] == "--serve":
        serve(sys.argv[2], sys.argv[3:])
    elif sys.argv[1] == "--hostile":
        hostile(sys.argv[2])
    elif sys.argv[1] == "--flood":
        flood(sys.argv[2], float(sys.argv[3]))
    else:
        args = [a for a in sys.argv[1:] if a != "--tcp"]
        try:
            ask(args[0], args[1], args[2] if len(args) > 2 else "A", "--tcp" in sys.argv)
        except OSError as e:
            print("no reply:", e)
            sys.exit(1)
