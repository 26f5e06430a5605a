# shellcheck shell=bash
# Helpers of the NAT suites (40-publish, 45-masquerade), on top of lib.bash:
# servers that say who connected, clients for them, the socket-hook cgroup
# in a sandbox, and what a refused publish must leave alone.
#
# WHERE is a sandbox name (created as $NB_ID-<name>), "host" or "world".

# in_cg WHERE CMD...: CMD in WHERE's netns *and* the instance's cgroup, so
# the socket hooks see it (in a sandbox: to show they leave it alone)
in_cg() {
	local where=$1
	shift
	(
		echo $BASHPID >"$NETBPF_CGROUP/cgroup.procs"
		exec nsenter --net=/run/netns/"$(_ns_of "$where")" "$@"
	)
}

# http_serve WHERE PORT: python's http.server in WHERE on PORT, serving a page
# that reads "WHERE:PORT"; its log ($NB_TMP/http.WHERE.PORT.log) starts each
# request line with the client's address.
http_serve() {
	local where=$1 port=$2 dir=$NB_TMP/www.$1.$2
	mkdir -p "$dir"
	echo "$where:$port" >"$dir/index.html"
	nb_bg "$NB_TMP/http.$where.$port.log" nsenter --net=/run/netns/"$(_ns_of "$where")" \
		python3 -u -m http.server --directory "$dir" "$port"
	wait_listen "$where" "$port"
}
http_log() { cat "$NB_TMP/http.$1.$2.log"; }

# http_get WHERE URL [CURL OPTIONS]: the body, or curl's failure (3 s at most)
http_get() {
	local where=$1 url=$2
	shift 2
	_in "$where" curl -sS --max-time 3 "$@" "$url"
}

# The peer server: answers each TCP connection or UDP datagram with
# "PEER <client ip>:<client port> <what it got>" and logs the same line.
# TCP connections are served in threads, after DELAY seconds, so several can
# be open at once.
PEER_PY='
import socket, sys, threading, time
proto, port = sys.argv[1], int(sys.argv[2])
delay = float(sys.argv[3]) if len(sys.argv) > 3 else 0
def line(peer, data):
    return b"PEER %s:%d %s" % (peer[0].encode(), peer[1], data.strip())
if proto == "udp":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    while True:
        data, peer = s.recvfrom(65535)
        out = line(peer, data)
        print(out.decode(), flush=True)
        s.sendto(out + b"\n", peer)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", port))
s.listen(1024)
def serve(c, peer):
    with c:
        try:
            data = c.recv(4096)
            out = line(peer, data)
            print(out.decode(), flush=True)
            time.sleep(delay)
            c.sendall(out + b"\n")
        except OSError as e:
            print("error", peer, e, flush=True)
while True:
    c, peer = s.accept()
    threading.Thread(target=serve, args=(c, peer), daemon=True).start()
'

# peer_serve WHERE tcp|udp PORT [DELAY]: the peer server; log $NB_TMP/peer.WHERE.PROTO.PORT.log
peer_serve() {
	local where=$1 proto=$2 port=$3 delay=${4:-0}
	nb_bg "$NB_TMP/peer.$where.$proto.$port.log" nsenter --net=/run/netns/"$(_ns_of "$where")" \
		python3 -u -c "$PEER_PY" "$proto" "$port" "$delay"
	if [ "$proto" = udp ]; then
		wait_for _in "$where" sh -c "ss -Hlun | awk '{print \$4}' | grep -q ':$port\$'"
	else
		wait_listen "$where" "$port"
	fi
}
peer_log() { cat "$NB_TMP/peer.$1.$2.$3.log"; }

# udp_ask WHERE IP PORT MSG: one datagram from a connected socket, the answer
# printed (a connected socket drops answers from any other address)
udp_ask() {
	local where=$1 ip=$2 port=$3 msg=$4
	echo "$msg" | _in "$where" timeout 5 socat -t1 - UDP4:"$ip":"$port"
}

# pub_state: what a refused publish must not change, beyond nb_snapshot: the
# nb_publish map and every sandbox's `port` lines
pub_state() {
	nb_map nb_publish | python3 -c '
import json, sys
d = json.load(sys.stdin)
for r in sorted(json.dumps(x.get("formatted", x), sort_keys=True) for x in d):
    print(r)'
	local s
	for s in $(nbctl sandbox ls -q --no-trunc); do
		echo "== $s"
		nbctl port "$s"
	done
}

# pub_refused [NEEDLE...] -- CMD...: expect_fail, and the published ports as they were
pub_refused() {
	local before after
	before=$(pub_state)
	expect_fail "$@"
	after=$(pub_state)
	if [ "$before" != "$after" ]; then
		echo "refused but the published ports changed:"
		diff <(echo "$before") <(echo "$after")
		return 1
	fi
}
