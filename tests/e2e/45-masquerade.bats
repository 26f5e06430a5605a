#!/usr/bin/env bats
# Masquerade in BPF: sandboxes reach the outside world as the uplink's address.
#
#   world ($NB_WORLD) wan0 198.18.0.2 ──veth── up0 198.18.0.1  host ($NB_HOST)
#   servers: http :80, peer tcp :9000,              [tc uplink_in/uplink_out: SNAT/DNAT]
#            peer tcp :9001 (1.5 s delay),          │ nbg gateways
#            peer udp :9053                 ┌───────┼──────────────────┬──────────────────┐
#   route 10.94.2.0/24 via 198.18.0.1    masq 10.94.1.0/24     plain 10.94.2.0/24   intern 10.94.3.0/24
#   (plain's replies only)               m1 (-p 8080:80), m2   n1                   i1
#                                        masquerade (default)  enable_ip_masquerade --internal
#                                                              =false (routed)
#
# The world has no route to masq's subnet: an answer that gets back to m1 or
# m2 went through the uplink's SNAT. The servers log the client address of
# every request. Every test ends checking that the host netns has no bridge
# and no firewall rule.

load lib
load nat

masq_setup() {
	nb_setup_instance
	nbctl network create --subnet 10.94.1.0/24 masq
	nbctl network create --subnet 10.94.2.0/24 \
		-o com.docker.network.bridge.enable_ip_masquerade=false plain
	nbctl network create --subnet 10.94.3.0/24 --internal intern
	nbctl sandbox create --network masq -p 8080:80 "$(sb m1)"
	nbctl sandbox create --network masq "$(sb m2)"
	nbctl sandbox create --network plain "$(sb n1)"
	nbctl sandbox create --network intern "$(sb i1)"
	ip -n "$NB_WORLD" route add 10.94.2.0/24 via 198.18.0.1
	http_serve world 80
	peer_serve world tcp 9000
	peer_serve world tcp 9001 1.5
	peer_serve world udp 9053
}
setup_file() { nb_setup_file masq_setup; }
teardown_file() { nb_teardown_instance; }
setup() { nb_setup_ok; }
# the world's servers live for the whole file: only the tests' own go here
teardown() {
	# a test that narrowed the masquerade port range and stopped early
	if [ -e "$NB_TMP/masq-ports.narrowed" ]; then
		nbctl up --masq-ports 1024-65535 >/dev/null
		rm -f "$NB_TMP/masq-ports.narrowed"
	fi
	assert_no_bridge_no_rules
}

# server_saw LOG PATTERN: a line of the log matches (grep -E)
server_saw() {
	grep -qE "$2" "$1" || {
		echo "no line matching \"$2\" in $1:"
		cat "$1"
		return 1
	}
}

@test "TCP: curl from a sandbox reaches the world, which sees the uplink's address" {
	m1=$(sb_ip m1)
	run http_get m1 http://198.18.0.2/
	echo "$output"
	assert_success
	assert_output "world:80"
	server_saw "$NB_TMP/http.world.80.log" '^198\.18\.0\.1 - - .*"GET / HTTP/1.1" 200'
	refute grep -q "^$m1 " "$NB_TMP/http.world.80.log"
}

@test "UDP: a request/response exchange as the uplink's address" {
	run udp_ask m1 198.18.0.2 9053 hello-udp
	echo "$output"
	assert_success
	assert_output --regexp '^PEER 198\.18\.0\.1:[0-9]+ hello-udp$'
	server_saw "$NB_TMP/peer.world.udp.9053.log" '^PEER 198\.18\.0\.1:[0-9]+ hello-udp$'
}

@test "ping from a sandbox to the world, translated (ICMP echo id)" {
	ping_ok m1 198.18.0.2
	ping_ok m2 198.18.0.2
	run nbctl ct ls
	echo "$output"
	assert_success
	assert_line --regexp "^icmp +snat +[A-Z]+ +$(sb_ip m1) -> 198\.18\.0\.2 id [0-9]+ +198\.18\.0\.1 -> 198\.18\.0\.2 id [0-9]+"
}

@test "two sandboxes from the same source port to the same server at the same time" {
	local out1=$NB_TMP/sp.m1 out2=$NB_TMP/sp.m2
	# the server holds each connection 1.5 s before answering: both are open at once
	(echo from-m1 | in_sb m1 timeout 8 socat -t4 - TCP:198.18.0.2:9001,sourceport=40000 \
		>"$out1" 2>&1) 3>&- &
	local p1=$!
	(echo from-m2 | in_sb m2 timeout 8 socat -t4 - TCP:198.18.0.2:9001,sourceport=40000 \
		>"$out2" 2>&1) 3>&- &
	local p2=$!
	local rc1=0 rc2=0
	wait "$p1" || rc1=$?
	wait "$p2" || rc2=$?
	cat "$out1" "$out2"
	assert_regex "$(cat "$out1")" '^PEER 198\.18\.0\.1:([0-9]+) from-m1$'
	local port1=${BASH_REMATCH[1]}
	assert_regex "$(cat "$out2")" '^PEER 198\.18\.0\.1:([0-9]+) from-m2$'
	local port2=${BASH_REMATCH[1]}
	assert_equal "$rc1 $rc2" "0 0"
	# one kept 40000, the other was moved: the reply tuples differ
	assert_not_equal "$port1" "$port2"
	[ "$port1" = 40000 ] || [ "$port2" = 40000 ]
	# and UDP the same way
	run in_sb m1 python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 40001)); s.settimeout(3)
s.sendto(b"u1", ("198.18.0.2", 9053)); print(s.recvfrom(200)[0].decode().strip())'
	echo "$output"
	assert_success
	assert_output --regexp '^PEER 198\.18\.0\.1:[0-9]+ u1$'
	run in_sb m2 python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 40001)); s.settimeout(3)
s.sendto(b"u2", ("198.18.0.2", 9053)); print(s.recvfrom(200)[0].decode().strip())'
	echo "$output"
	assert_success
	assert_output --regexp '^PEER 198\.18\.0\.1:[0-9]+ u2$'
}

@test "enable_ip_masquerade=false: traffic leaves with the sandbox's own address" {
	n1=$(sb_ip n1)
	assert_regex "$n1" '^10\.94\.2\.[0-9]+$'
	run http_get n1 http://198.18.0.2/
	echo "$output"
	assert_success
	assert_output "world:80"
	server_saw "$NB_TMP/http.world.80.log" "^${n1//./\\.} - - "
	run udp_ask n1 198.18.0.2 9053 plain-udp
	assert_success
	assert_output --regexp "^PEER ${n1//./\\.}:[0-9]+ plain-udp$"
	# no snat flow for it
	refute sh -c "nsenter --net=/run/netns/$NB_HOST $NETBPFCTL ct ls | grep -q ' $n1:'"
}

@test "an --internal network cannot reach the world" {
	ping_fails i1 198.18.0.2
	run http_get i1 http://198.18.0.2/ --max-time 2
	echo "$output"
	assert_failure
	run udp_ask i1 198.18.0.2 9053 internal-udp
	refute_output --partial PEER
	refute grep -q "internal-udp" "$NB_TMP/peer.world.udp.9053.log"
	# the gateway stays reachable
	ping_ok i1 10.94.3.1
}

@test "ct ls shows published (dnat) and masquerade (snat) flows side by side" {
	http_serve m1 80
	m1=$(sb_ip m1)
	assert_equal "$(http_get world http://198.18.0.1:8080/)" "m1:80"
	assert_equal "$(http_get m1 http://198.18.0.2/)" "world:80"
	run nbctl ct ls
	echo "$output"
	assert_success
	assert_line --regexp "^tcp +dnat .* 198\.18\.0\.2:[0-9]+ -> 198\.18\.0\.1:8080 +198\.18\.0\.2:[0-9]+ -> ${m1//./\\.}:80 "
	assert_line --regexp "^tcp +snat .* ${m1//./\\.}:[0-9]+ -> 198\.18\.0\.2:80 +198\.18\.0\.1:[0-9]+ -> 198\.18\.0\.2:80 "
	run nbctl ct ls --format json
	assert_success
	types=$(echo "$output" | json 'sorted(set(f["type"] for f in d))')
	echo "$types"
	assert_regex "$types" '"dnat"'
	assert_regex "$types" '"snat"'
}

@test "2,000 short connections in a row without a failure" {
	run in_sb m2 timeout 60 python3 -c '
import socket, sys, time
n, fails, t0 = 2000, 0, time.time()
for i in range(n):
    try:
        c = socket.create_connection(("198.18.0.2", 9000), timeout=3)
        c.sendall(b"c%d" % i)
        r = c.recv(200)
        c.close()
        if not r.startswith(b"PEER 198.18.0.1:") or not r.strip().endswith(b" c%d" % i):
            fails += 1
            print("bad answer", i, r)
    except OSError as e:
        fails += 1
        print("failed", i, e)
print("%d connections, %d failed, %.1f s" % (n, fails, time.time() - t0))
sys.exit(1 if fails else 0)'
	echo "$output"
	assert_success
	assert_regex "${lines[-1]}" '^2000 connections, 0 failed'
}

@test "up --masq-ports: bad ranges refused naming the option and the value" {
	local bad
	for bad in 70000-80000 0-100 5000-4000 abc 1024 1024- -1024 1024-65535x " 1024-2000"; do
		expect_fail "--masq-ports" "\"$bad\"" -- nbctl up --masq-ports "$bad"
	done
	run nbctl status
	echo "$output"
	assert_success
	assert_line --partial "Masquerade: source ports 1024-65535 (64512 ports"
}

# masq_range: "port_min-port_max" of every nb_uplinks entry (one line each)
masq_range() {
	nb_map nb_uplinks | json '"\n".join("%d-%d" % (e["formatted"]["value"]["port_min"],
		e["formatted"]["value"]["port_max"]) for e in d)'
}

# The exhaustion test's server: a TCP echo that answers every line with
# "PEER <client ip>:<client port> <line>" on the same connection, so that a
# flow can be used again later, and logs each connection's client once.
LINE_ECHO_PY='
import socket, sys, threading
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen(64)
def serve(c, peer):
    print("CONN %s:%d" % peer, flush=True)
    with c, c.makefile("rb") as f:
        for line in f:
            c.sendall(b"PEER %s:%d %s\n" % (peer[0].encode(), peer[1], line.strip()))
while True:
    c, peer = s.accept()
    threading.Thread(target=serve, args=(c, peer), daemon=True).start()
'

# The exhaustion test's client: 4 TCP flows to IP:PORT, alternately from
# sandboxes SB1 and SB2 (one process: it enters each sandbox's netns with
# setns() before opening a socket, which stays in that netns), a 5th from
# SB1, then each of the 4 used again.
EXHAUST_PY='
import ctypes, os, socket, sys
libc = ctypes.CDLL(None, use_errno=True)
def enter(ns):
    fd = os.open("/run/netns/" + ns, os.O_RDONLY)
    if libc.setns(fd, 0x40000000):  # CLONE_NEWNET
        raise OSError(ctypes.get_errno(), "setns " + ns)
    os.close(fd)
ip, port, sbs = sys.argv[1], int(sys.argv[2]), sys.argv[3:5]
def ask(c, msg):
    c.sendall(msg.encode() + b"\n")
    r = b""
    while not r.endswith(b"\n"):
        d = c.recv(200)
        if not d:
            raise OSError("connection closed")
        r += d
    return r.decode().strip()
flows = []
for i in range(4):
    enter(sbs[i % 2])
    c = socket.create_connection((ip, port), timeout=3)
    print("flow %d %s" % (i, ask(c, "first-%d" % i)), flush=True)
    flows.append(c)
enter(sbs[0])
try:
    socket.create_connection((ip, port), timeout=2.5)
    print("fifth: connected", flush=True)
except OSError as e:
    print("fifth: failed: %s" % e, flush=True)
for i, c in enumerate(flows):
    print("again %d %s" % (i, ask(c, "again-%d" % i)), flush=True)
'

@test "a tiny --masq-ports range: 4 flows fit, a 5th is dropped as nat-exhausted, the 4 live on" {
	touch "$NB_TMP/masq-ports.narrowed"
	# on the live instance, then through down/up: the range is state
	nbctl up --masq-ports 40000-40003
	assert_equal "$(masq_range)" 40000-40003
	nbctl down
	nbctl up
	run nbctl status
	echo "$output"
	assert_success
	assert_line --partial "Masquerade: source ports 40000-40003 (4 ports"
	assert_equal "$(masq_range)" 40000-40003

	nb_bg "$NB_TMP/lecho.log" nsenter --net=/run/netns/"$NB_WORLD" \
		python3 -u -c "$LINE_ECHO_PY" 9100
	wait_listen world 9100
	local before after
	before=$(nb_drops NAT_EXHAUSTED)
	run timeout 20 python3 -c "$EXHAUST_PY" 198.18.0.2 9100 "$(sb m1)" "$(sb m2)"
	echo "$output"
	assert_success
	after=$(nb_drops NAT_EXHAUSTED)
	echo "nat-exhausted drops: $before -> $after"
	# the 4 flows got the 4 ports of the range, one each
	local i ports=()
	for i in 0 1 2 3; do
		assert_regex "${lines[i]}" "^flow $i PEER 198\\.18\\.0\\.1:(4000[0-3]) first-$i\$"
		ports+=("${BASH_REMATCH[1]}")
	done
	assert [ "$(printf '%s\n' "${ports[@]}" | sort -u | wc -l)" -eq 4 ]
	# the 5th could not start (its SYNs were dropped, not refused) and was counted
	assert_equal "${lines[4]}" "fifth: failed: timed out"
	assert [ "$after" -gt "$before" ]
	# the 4 kept working, each on its own port
	for i in 0 1 2 3; do
		assert_equal "${lines[5 + i]}" "again $i PEER 198.18.0.1:${ports[i]} again-$i"
	done
	# the world saw exactly those 4 connections
	assert [ "$(grep -c '^CONN 198\.18\.0\.1:4000[0-3]$' "$NB_TMP/lecho.log")" -eq 4 ]
	assert [ "$(grep -c '^CONN' "$NB_TMP/lecho.log")" -eq 4 ]

	# the default again: a new flow to the same server starts at once
	nbctl up --masq-ports 1024-65535
	rm -f "$NB_TMP/masq-ports.narrowed"
	assert_equal "$(masq_range)" 1024-65535
	run nbctl status
	assert_success
	assert_line --partial "Masquerade: source ports 1024-65535 (64512 ports"
	run in_sb m1 timeout 5 python3 -c '
import socket
c = socket.create_connection(("198.18.0.2", 9100), timeout=3)
c.sendall(b"after\n"); print(c.recv(200).decode().strip())'
	echo "$output"
	assert_success
	assert_output --regexp '^PEER 198\.18\.0\.1:[0-9]+ after$'
}

# The many-flows test's server: a UDP echo ("PEER <ip>:<port> <datagram>")
# with a receive buffer large enough for a burst, logging every datagram.
UDP_ECHO_PY='
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 33, 32 << 20)  # SO_RCVBUFFORCE
s.bind(("0.0.0.0", int(sys.argv[1])))
while True:
    data, peer = s.recvfrom(2048)
    out = b"PEER %s:%d %s" % (peer[0].encode(), peer[1], data)
    print(out.decode(), flush=True)
    s.sendto(out, peer)
'

# The many-flows test's client: N UDP sockets, one datagram from each to
# IP:PORT (in bursts of BATCH, the answers of a burst awaited before the
# next, so no queue overflows), each answer received on its own socket. The
# sockets are spread over forked workers, one or more per sandbox SB (a
# worker enters its sandbox's netns with setns()), so that the sandboxes'
# ephemeral ports collide and masquerade must move some of them. A worker
# holds at most RLIMIT_NOFILE's hard limit (raising that needs
# CAP_SYS_RESOURCE) and keeps its sockets open until all workers are done:
# the N flows are alive at once.
MANY_PY='
import ctypes, json, os, resource, selectors, socket, sys, time
ip, port, n, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
sbs = sys.argv[5:]
libc = ctypes.CDLL(None, use_errno=True)
def enter(ns):
    fd = os.open("/run/netns/" + ns, os.O_RDONLY)
    if libc.setns(fd, 0x40000000):  # CLONE_NEWNET
        raise OSError(ctypes.get_errno(), "setns " + ns)
    os.close(fd)
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
limit = n + 64 if hard == resource.RLIM_INFINITY else min(hard, n + 64)
resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))
nworkers = max(len(sbs), -(-n // (limit - 64)))
per = -(-n // nworkers)
def flows(lo, hi):
    socks, sel = {}, selectors.EpollSelector()
    for i in range(lo, hi):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setblocking(False)
        s.bind(("0.0.0.0", 0))
        sel.register(s, selectors.EVENT_READ, i)
        socks[i] = s
    answers, bad, moved = {}, [], 0
    for b in range(lo, hi, batch):
        e = min(b + batch, hi)
        for i in range(b, e):
            socks[i].sendto(b"f%d" % i, (ip, port))
        deadline = time.time() + 3
        while len(answers) < e - lo and time.time() < deadline:
            for key, _ in sel.select(0.2):
                i = key.data
                data, peer = socks[i].recvfrom(200)
                parts = data.split()
                if peer != (ip, port) or len(parts) != 3 or parts[2] != b"f%d" % i:
                    bad.append("socket %d from %s: %r" % (i, peer, data))
                answers[i] = parts[1].decode() if len(parts) > 1 else ""
                moved += not answers[i].endswith(":%d" % socks[i].getsockname()[1])
                sel.unregister(socks[i])
    return socks, {"answered": len(answers), "bad": bad, "moved": moved,
                   "srcs": sorted(set(answers.values()))}
t0 = time.time()
workers = []
for k, lo in enumerate(range(0, n, per)):
    res_r, res_w = os.pipe()
    done_r, done_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        for fd in [res_r, done_w] + [fd for w in workers for fd in w[1:]]:
            os.close(fd)  # the ends of the parent (and of earlier workers)
        if sbs:
            enter(sbs[k % len(sbs)])
        socks, res = flows(lo, min(lo + per, n))
        os.write(res_w, json.dumps(res).encode())
        os.close(res_w)
        os.read(done_r, 1)  # hold the sockets until every worker is done
        os._exit(0)
    os.close(res_w)
    os.close(done_r)
    workers.append((pid, res_r, done_w))
answered, moved, bad, srcs = 0, 0, [], set()
for pid, res_r, done_w in workers:
    with os.fdopen(res_r, "rb") as f:
        res = json.loads(f.read() or b"{}")
    answered += res.get("answered", 0)
    moved += res.get("moved", 0)
    bad += res.get("bad", ["worker %d reported nothing" % pid])
    srcs.update(res.get("srcs", []))
for pid, res_r, done_w in workers:
    os.close(done_w)
for pid, res_r, done_w in workers:
    os.waitpid(pid, 0)
for b in bad[:20]:
    print("bad answer:", b)
print("%d flows, %d answered, %d bad, %d distinct translated sources, %d moved, "
      "%d worker(s), %.1f s" %
      (n, answered, len(bad), len(srcs), moved, len(workers), time.time() - t0))
sys.exit(0 if answered == n and not bad and len(srcs) == n else 1)
'

@test "20,000 concurrent UDP flows from two sandboxes, each answered on its own socket" {
	nb_bg "$NB_TMP/many.log" nsenter --net=/run/netns/"$NB_WORLD" \
		python3 -u -c "$UDP_ECHO_PY" 9054
	wait_for _in world sh -c "ss -Hlun | awk '{print \$4}' | grep -q ':9054\$'"
	local before after
	before=$(nb_drops NAT_EXHAUSTED CT_FULL CT_INVALID)
	run timeout 60 python3 -c "$MANY_PY" 198.18.0.2 9054 20000 250 "$(sb m1)" "$(sb m2)"
	echo "$output"
	after=$(nb_drops NAT_EXHAUSTED CT_FULL CT_INVALID)
	echo "nat/ct drops: $before -> $after"
	assert_success
	assert_regex "${lines[-1]}" '^20000 flows, 20000 answered, 0 bad, 20000 distinct translated sources, ([0-9]+) moved'
	# 10,000 ephemeral ports from each of two sandboxes collide by the thousand
	# (of ~28,000): the colliding flows were moved to other ports
	assert [ "${BASH_REMATCH[1]}" -gt 0 ]
	# every source the world saw is the uplink's, on 20,000 distinct ports
	local seen
	seen=$(grep -cE '^PEER [0-9.]+:[0-9]+ f[0-9]+$' "$NB_TMP/many.log")
	assert [ "$seen" -eq 20000 ]
	refute grep -qvE '^PEER 198\.18\.0\.1:[0-9]+ f[0-9]+$' "$NB_TMP/many.log"
	assert [ "$(awk '{print $2}' "$NB_TMP/many.log" | sort -u | wc -l)" -eq 20000 ]
	assert [ "$after" -eq "$before" ]
	# and the tracker holds them all at once
	local n
	n=$(nbctl ct ls --format json | json \
		'sum(1 for f in d if f["type"] == "snat" and f["proto"] == "udp" and
		     f["original"]["dport"] == 9054)')
	echo "snat udp flows to :9054 in the tracker: $n"
	assert [ "$n" -eq 20000 ]
}
