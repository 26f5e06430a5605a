#!/usr/bin/env bats
# Counters, `stats`, `metrics` (printed and over HTTP) and `monitor`.
#
#   world ($NB_WORLD) wan0 198.18.0.2 ── up0 198.18.0.1  host ($NB_HOST, netbpfctl up)
#                                              │
#                      ┌───────────────────────┴──────────────┐
#               sts 10.93.1.0/24 (nbg .1)             stx 10.93.2.0/24
#                 s1      s2 (publishes 8080->80)       x1
#
# Known amounts are sent through the sandboxes (sandbox<->sandbox,
# host<->sandbox, a published port from the world) and the per-endpoint
# counters `stats --format json` reports must agree with payload plus header
# overhead in both directions: a veth's own counters cannot tell, since
# bpf_redirect_peer() passes them by. Drops are provoked (a spoofed source, a
# cross-network packet) and must show up in stats, metrics and the monitor.

load lib

# one transfer: 10 MB; header overhead allowed on top: 6% (66 bytes of
# Ethernet/IPv4/TCP headers per 1448-byte segment is 4.6%, less with GSO)
PAYLOAD=10000000
OVERHEAD_PCT=6

stats_setup() {
	nb_setup_instance
	in_host sysctl -qw net.ipv4.ip_forward=1
	nbctl network create --subnet 10.93.1.0/24 sts
	nbctl network create --subnet 10.93.2.0/24 stx
	nbctl sandbox create --network sts "$(sb s1)"
	nbctl sandbox create --network sts "$(sb s2)"
	nbctl sandbox create --network stx "$(sb x1)"
}
setup_file() { nb_setup_file stats_setup; }
teardown_file() { nb_teardown_instance; }
setup() { nb_setup_ok; }
teardown() {
	nb_kill_bg
	assert_no_bridge_no_rules
}

# snap FILE: the counters of every sandbox, as `stats --no-stream --format json`
snap() {
	nbctl stats --no-stream --format json >"$1"
}

# grown N SANDBOX FIELD: how much FIELD of SANDBOX's eth0 grew between the
# snapshots $NB_TMP/bN (before) and $NB_TMP/aN (after)
grown() {
	python3 - "$NB_TMP/b$1" "$NB_TMP/a$1" "$(sb "$2")" "$3" <<'EOF'
import json, sys
before, after, name, field = sys.argv[1:]
def val(path):
    for o in json.load(open(path)):
        if o["name"] == "/" + name:
            v = o["networks"]["eth0"][field]
            assert isinstance(v, int), "%s is not an integer: %r" % (field, v)
            return v
    sys.exit("no sandbox %s in %s" % (name, path))
print(val(after) - val(before))
EOF
}

# about_payload N WHAT: N is PAYLOAD plus at most OVERHEAD_PCT percent
about_payload() {
	local n=$1 what=$2 max=$((PAYLOAD + PAYLOAD * OVERHEAD_PCT / 100))
	echo "$what: $n bytes for a payload of $PAYLOAD (allowed up to $max)"
	assert [ "$n" -ge "$PAYLOAD" ]
	assert [ "$n" -le "$max" ]
}

# wait_gone PID: until the process has exited (10 s)
wait_gone() {
	local _
	for _ in $(seq 100); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	echo "process $1 still running"
	return 1
}

# transfer FROM TO IP PORT [LISTEN_PORT]: PAYLOAD bytes over one TCP connection
# from FROM to IP:PORT, where a sink in TO listens on LISTEN_PORT (PORT);
# returns once the sink has read them all
transfer() {
	local from=$1 to=$2 ip=$3 port=$4 lport=${5:-$4} sink
	nb_bg "$NB_TMP/sink.$lport.log" nsenter --net=/run/netns/"$(_ns_of "$to")" \
		socat -u TCP-LISTEN:"$lport",reuseaddr GOPEN:/dev/null
	sink=$(tail -n1 "$NB_TMP/pids")
	wait_listen "$to" "$lport"
	head -c "$PAYLOAD" /dev/zero | timeout 60 nsenter --net=/run/netns/"$(_ns_of "$from")" \
		socat -u - TCP:"$ip":"$port",connect-timeout=3 || {
		echo "transfer $from -> $to ($ip:$port) failed"
		return 1
	}
	wait_gone "$sink"
	# the last ACKs
	sleep 0.3
}

# fetch SERVER CLIENT IP PORT [LISTEN_PORT]: CLIENT connects to IP:PORT and reads
# PAYLOAD bytes that a server in SERVER, listening on LISTEN_PORT (PORT), sends
fetch() {
	local srv=$1 cli=$2 ip=$3 port=$4 lport=${5:-$4} got
	nb_bg "$NB_TMP/src.$lport.log" nsenter --net=/run/netns/"$(_ns_of "$srv")" \
		socat -u EXEC:"head -c $PAYLOAD /dev/zero" TCP-LISTEN:"$lport",reuseaddr
	wait_listen "$srv" "$lport"
	got=$(timeout 60 nsenter --net=/run/netns/"$(_ns_of "$cli")" \
		socat -u TCP:"$ip":"$port",connect-timeout=3 - | wc -c)
	[ "$got" -eq "$PAYLOAD" ] || {
		echo "fetch $cli <- $srv ($ip:$port): got $got bytes of $PAYLOAD"
		return 1
	}
	sleep 0.3
}

# monitor_flag: the event types nb_monitor says a monitor listens for (0 = none)
monitor_flag() {
	nb_map nb_monitor | python3 -c '
import json, sys
d = json.load(sys.stdin)
e = d[0]
v = e["formatted"]["value"] if "formatted" in e else e["value"]
print(v["types"])'
}

# start_monitor LOG ARGS...: `monitor ARGS` in the background, its pid in $MON_PID
start_monitor() {
	local log=$1
	shift
	nb_bg "$log" nsenter --net=/run/netns/"$NB_HOST" "$NETBPFCTL" monitor "$@"
	MON_PID=$(tail -n1 "$NB_TMP/pids")
	wait_for grep -q "Listening for events" "$log"
}

# prom_value KEY: the value of sample KEY (name{labels}) in the Prometheus text on stdin
prom_value() {
	awk -v k="$1" 'index($0, k " ") == 1 {print $2}'
}

# ep_labels SANDBOX: the labels of SANDBOX's eth0 on sts in the endpoint metrics
ep_labels() {
	echo "{sandbox=\"$(sb "$1")\",network=\"sts\",interface=\"eth0\"}"
}

# spoof_drops_metric: netbpf_drops_total of spoof-ip and spoof-arp together
spoof_drops_metric() {
	nbctl metrics | awk '/^netbpf_drops_total\{reason="spoof-(ip|arp)"\}/ {n += $2}
		END {print n + 0}'
}

# spoof_ping SANDBOX DST: pings from an address that is not the sandbox's (dropped)
spoof_ping() {
	in_sb "$1" ip addr add 10.93.1.200/24 dev eth0
	in_sb "$1" ping -n -c2 -i0.3 -W1 -I 10.93.1.200 "$2" >/dev/null 2>&1 || true
	in_sb "$1" ip addr del 10.93.1.200/24 dev eth0
}

@test "stats --no-stream --format json: one object per sandbox, Docker's shape, exact integers" {
	ping_ok s1 "$(sb_ip s2)"
	run nbctl stats --no-stream --format json
	assert_success
	python3 - "$(sb s1)" "$(sb s2)" "$(sb x1)" <<EOF
import json, re, sys
d = json.loads('''$output''')
assert isinstance(d, list), d
names = [o["name"] for o in d]
assert names == sorted("/" + n for n in sys.argv[1:]), names
for o in d:
    assert re.fullmatch(r"[0-9a-f]{64}", o["id"]), o["id"]
    assert list(o["networks"]) == ["eth0"], o["networks"]
    e = o["networks"]["eth0"]
    for k in ("rx_bytes", "rx_packets", "rx_dropped", "tx_bytes", "tx_packets", "tx_dropped"):
        assert isinstance(e[k], int) and e[k] >= 0, (k, e[k])
    assert isinstance(o["drops"], dict)
s1 = d[names.index("/" + sys.argv[1])]["networks"]["eth0"]
# the ping went both ways
assert s1["tx_packets"] >= 1 and s1["rx_packets"] >= 1, s1
EOF
	# a named sandbox alone, and its network
	run nbctl stats --no-stream --format json "$(sb x1)"
	assert_success
	assert_equal "$(json 'len(d)' <<<"$output")" 1
	assert_equal "$(json 'd[0]["networks"]["eth0"]["network"]' <<<"$output")" stx
}

@test "sandbox -> sandbox: 10 MB each way are counted at both ends (payload + headers)" {
	snap "$NB_TMP/b1"
	transfer s1 s2 "$(sb_ip s2)" 7101
	snap "$NB_TMP/a1"
	about_payload "$(grown 1 s1 tx_bytes)" "s1 sent"
	about_payload "$(grown 1 s2 rx_bytes)" "s2 received"
	# the other direction carried only ACKs
	acks=$(grown 1 s2 tx_bytes)
	echo "s2's ACKs: $acks bytes"
	assert [ "$acks" -gt 0 ]
	assert [ "$acks" -lt $((PAYLOAD / 10)) ]

	snap "$NB_TMP/b2"
	transfer s2 s1 "$(sb_ip s1)" 7102
	snap "$NB_TMP/a2"
	about_payload "$(grown 2 s2 tx_bytes)" "s2 sent"
	about_payload "$(grown 2 s1 rx_bytes)" "s1 received"
}

@test "host <-> sandbox: 10 MB each way are counted (through the gateway port)" {
	snap "$NB_TMP/b1"
	transfer host s1 "$(sb_ip s1)" 7103
	snap "$NB_TMP/a1"
	about_payload "$(grown 1 s1 rx_bytes)" "s1 received from the host"

	snap "$NB_TMP/b2"
	transfer s1 host 10.93.1.1 7104
	snap "$NB_TMP/a2"
	about_payload "$(grown 2 s1 tx_bytes)" "s1 sent to the host"
}

@test "published port from the world: 10 MB each way are counted for the sandbox" {
	nbctl publish 8080:80 "$(sb s2)"
	snap "$NB_TMP/b1"
	transfer world s2 198.18.0.1 8080 80
	snap "$NB_TMP/a1"
	about_payload "$(grown 1 s2 rx_bytes)" "s2 received from the world"

	snap "$NB_TMP/b2"
	fetch s2 world 198.18.0.1 8080 80
	snap "$NB_TMP/a2"
	about_payload "$(grown 2 s2 tx_bytes)" "s2 sent to the world"

	# and the published port's connection counter in metrics
	k="netbpf_published_port_connections_total{proto=\"tcp\",host_ip=\"0.0.0.0\","
	k+="host_port=\"8080\",sandbox=\"$(sb s2)\",network=\"sts\",port=\"80\"}"
	run nbctl metrics
	assert_success
	n=$(prom_value "$k" <<<"$output")
	echo "$k = $n"
	assert [ "$n" -ge 2 ]
	nbctl unpublish 8080:80 "$(sb s2)"
}

@test "a spoofed source address is a drop in stats (tx_dropped, drops by reason) and metrics" {
	ping_ok s1 "$(sb_ip s2)"
	snap "$NB_TMP/b"
	m_before=$(spoof_drops_metric)
	spoof_ping s1 "$(sb_ip s2)"
	snap "$NB_TMP/a"
	dropped=$(grown "" s1 tx_dropped)
	echo "s1 tx_dropped grew by $dropped"
	assert [ "$dropped" -ge 1 ]
	python3 - "$NB_TMP/b" "$NB_TMP/a" "$(sb s1)" <<'EOF'
import json, sys
def drops(path):
    return next(o["drops"] for o in json.load(open(path)) if o["name"] == "/" + sys.argv[3])
b, a = drops(sys.argv[1]), drops(sys.argv[2])
grew = sum(a.get(r, 0) - b.get(r, 0) for r in ("spoof-ip", "spoof-arp"))
print("drops before", b, "after", a)
assert grew >= 1, grew
assert all(isinstance(v, int) for v in a.values()), a
EOF
	m_after=$(spoof_drops_metric)
	echo "netbpf_drops_total spoof-*: $m_before -> $m_after"
	assert [ "$m_after" -gt "$m_before" ]
	# the table shows it too, in its DROPS column
	run nbctl stats --no-stream "$(sb s1)"
	echo "$output"
	assert_success
	drops_col=$(awk 'NR == 2 {print $NF}' <<<"$output")
	assert [ "$drops_col" -ge 1 ]
}

@test "cross-network traffic is an isolation drop charged to the sender" {
	snap "$NB_TMP/b"
	ping_fails s1 "$(sb_ip x1)"
	snap "$NB_TMP/a"
	python3 - "$NB_TMP/b" "$NB_TMP/a" "$(sb s1)" <<'EOF'
import json, sys
def get(path):
    return next(o for o in json.load(open(path)) if o["name"] == "/" + sys.argv[3])
b, a = get(sys.argv[1]), get(sys.argv[2])
print("before", b["drops"], "after", a["drops"])
assert a["drops"].get("isolation", 0) - b["drops"].get("isolation", 0) >= 1
assert a["networks"]["eth0"]["tx_dropped"] > b["networks"]["eth0"]["tx_dropped"]
EOF
}

@test "stats table: docker stats' columns, NET I/O received / sent in Docker's units" {
	run nbctl stats --no-stream
	echo "$output"
	assert_success
	read -r -a head <<<"$(head -n1 <<<"$output")"
	assert_equal "${head[*]}" "NAME NETWORKS NET I/O PACKETS DROPS"
	row=$(grep "^$(sb s1) " <<<"$output")
	# s1 moved tens of MB by now: "21.1MB / 20.4MB"
	assert_regex "$row" "^$(sb s1) +sts +[0-9.]+MB / [0-9.]+MB +[0-9]+ / [0-9]+ +[0-9]+\$"
	assert [ "$(wc -l <<<"$output")" -eq 4 ]
}

@test "stats streams: the table is redrawn every second until SIGINT" {
	run timeout --preserve-status -s INT 2.6 \
		nsenter --net=/run/netns/"$NB_HOST" "$NETBPFCTL" stats "$(sb s1)"
	echo "$output" | cat -v
	assert_success
	redraws=$(grep -o $'\033\\[2J\033\\[H' <<<"$output" | wc -l)
	echo "redraws: $redraws"
	assert [ "$redraws" -ge 2 ]
	assert [ "$redraws" -le 4 ]
	assert [ "$(grep -c "NAME  *NETWORKS" <<<"$output")" -eq "$redraws" ]
}

@test "stats of an unknown sandbox fails naming it" {
	expect_fail 'sandbox "nope-'"$NB_ID"'" not found' -- nbctl stats --no-stream nope-"$NB_ID"
	# any other --format is a Go template, as in docker stats: a bad one is refused
	expect_fail 'template "{{.Nope}}": position 3' -- nbctl stats --no-stream --format '{{.Nope}}'
}

@test "monitor --format json reports a provoked drop with reason, interface and 5-tuple" {
	assert_equal "$(monitor_flag)" 0
	start_monitor "$NB_TMP/mon.log" --type drop --format json
	# listening for drops only: the flag says so
	assert_equal "$(monitor_flag)" 2
	ping_ok s1 "$(sb_ip s2)"
	spoof_ping s1 "$(sb_ip s2)"
	wait_for grep -q '"reason":"spoof-' "$NB_TMP/mon.log"
	kill -TERM "$MON_PID"
	wait "$MON_PID"
	cat "$NB_TMP/mon.log"
	python3 - "$NB_TMP/mon.log" "$(sb s1)" "$(sb_ip s2)" <<'EOF'
import json, sys
log, sb, dst = sys.argv[1:]
events = [json.loads(l) for l in open(log) if l.startswith("{")]
assert events, "no event"
assert all(e["type"] == "drop" for e in events), "only drops were asked for"
spoof = [e for e in events if e["reason"] in ("spoof-ip", "spoof-arp")]
assert spoof, events
e = spoof[0]
assert e["sandbox"] == sb and e["sandbox_interface"] == "eth0" and e["network"] == "sts", e
assert e["interface"].startswith("nbe"), e
assert e["src"] == "10.93.1.200" and e["dst"] == dst, e
if e["reason"] == "spoof-ip":
    assert e["proto"] == "icmp" and e["icmp_type"] == 8, e
EOF
	# the monitor cleared the flag on its way out: the programs stop producing events
	assert_equal "$(monitor_flag)" 0
	grep -q "^monitor: [0-9]* events, 0 lost" "$NB_TMP/mon.log"
}

@test "monitor: one per instance; a killed monitor's flag is reaped by gc, not by a read" {
	start_monitor "$NB_TMP/mon1.log" --type drop,trace
	assert_equal "$(monitor_flag)" 6
	run nbctl monitor --type drop
	echo "$output"
	assert_failure 1
	assert_output --partial "another monitor (pid $MON_PID) is listening"
	# trace events in text form: the switch forwarding a ping
	ping_ok s1 "$(sb_ip s2)"
	want=" trace redirect nbe.* ($(sb s1)/eth0) .*icmp $(sb_ip s1) -> $(sb_ip s2) type 8"
	wait_for grep -q "$want" "$NB_TMP/mon1.log"
	# SIGKILL: no chance to clear the flag
	kill -KILL "$MON_PID"
	# (reaped: its status is the SIGKILL's)
	wait "$MON_PID" || true
	assert_equal "$(monitor_flag)" 6
	# stats and metrics only read: the flag stays
	nbctl stats --no-stream >/dev/null
	nbctl metrics >/dev/null
	assert_equal "$(monitor_flag)" 6
	run nbctl gc
	assert_success
	assert_output --partial "removed stale monitor flag in map nb_monitor (its monitor died)"
	assert_equal "$(monitor_flag)" 0
	# and a new monitor may start
	start_monitor "$NB_TMP/mon2.log" --type nat
	assert_equal "$(monitor_flag)" 8
}

@test "monitor --type nat reports a new connection to a published port, translated" {
	nbctl publish 8081:80 "$(sb s2)"
	start_monitor "$NB_TMP/nat.log" --type nat --format json
	nb_bg "$NB_TMP/srv80.log" nsenter --net=/run/netns/"$(sb s2)" \
		socat TCP-LISTEN:80,reuseaddr EXEC:cat
	wait_listen s2 80
	run timeout 10 nsenter --net=/run/netns/"$NB_WORLD" \
		socat -t2 - TCP:198.18.0.1:8081,connect-timeout=3 <<<"hello"
	assert_success
	assert_output hello
	wait_for grep -q '"type":"nat"' "$NB_TMP/nat.log"
	kill -TERM "$MON_PID"
	wait "$MON_PID"
	nbctl unpublish 8081:80 "$(sb s2)"
	cat "$NB_TMP/nat.log"
	python3 - "$NB_TMP/nat.log" "$(sb s2)" "$(sb_ip s2)" <<'EOF'
import json, sys
log, sb, ip = sys.argv[1:]
events = [json.loads(l) for l in open(log) if l.startswith("{")]
e = next(e for e in events if e["reason"] == "dnat")
assert e["type"] == "nat" and e["proto"] == "tcp", e
assert e["src"] == "198.18.0.2" and e["dst"] == "198.18.0.1" and e["dport"] == 8081, e
t = e["translated"]
assert t["dst"] == ip and t["dport"] == 80 and t["sport"] == e["sport"], e
assert e["sandbox"] == sb and e["sandbox_interface"] == "eth0", e
EOF
}

@test "monitor: a burst the ring buffer cannot hold is lost and counted, the traffic is not" {
	start_monitor "$NB_TMP/burst.log" --type trace
	# the reader stops; the programs keep producing into a full buffer
	kill -STOP "$MON_PID"
	run in_sb s1 ping -n -f -c 4000 -q "$(sb_ip s2)"
	kill -CONT "$MON_PID"
	echo "$output"
	assert_success
	assert_output --partial "4000 packets transmitted, 4000 received"
	wait_for grep -q " lost [0-9]* events (ring buffer full)" "$NB_TMP/burst.log"
	grep " lost " "$NB_TMP/burst.log"
	lost=$(nbctl metrics | prom_value netbpf_monitor_events_lost_total)
	echo "netbpf_monitor_events_lost_total $lost"
	assert [ "$lost" -gt 0 ]
	kill -TERM "$MON_PID"
	wait "$MON_PID"
	# the summary counts what this monitor lost
	grep -q "^monitor: [0-9]* events, [1-9][0-9]* lost" "$NB_TMP/burst.log"
}

# parse_prom: checks Prometheus text on stdin and prints "name{labels} value" per sample
parse_prom() {
	python3 -c '
import re, sys
typed = {}
sample = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")
label = re.compile(r"\s*([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"\s*(,|$)")
n = 0
for line in sys.stdin.read().splitlines():
    if line.startswith("# HELP "):
        continue
    if line.startswith("# TYPE "):
        _, _, name, kind = line.split(" ", 3)
        assert kind in ("counter", "gauge"), line
        assert name not in typed, "family typed twice: " + name
        typed[name] = kind
        continue
    m = sample.match(line)
    assert m, "not a sample: %r" % line
    name, labels, value = m.groups()
    assert name in typed, "sample before its # TYPE: " + line
    float(value)
    if labels:
        pos = 0
        while pos < len(labels):
            lm = label.match(labels, pos)
            assert lm, "bad labels: " + line
            pos = lm.end()
    print(line)
    n += 1
assert n > 0, "no sample"
'
}

@test "metrics: Prometheus text with endpoint counters, drops, conntrack and map fill levels" {
	run nbctl metrics
	assert_success
	samples=$(parse_prom <<<"$output")
	s1=$(ep_labels s1)
	grep -qF "netbpf_endpoint_rx_bytes_total$s1 " <<<"$samples"
	grep -qF "netbpf_endpoint_tx_dropped_total$s1 " <<<"$samples"
	grep -q '^netbpf_drops_total{reason="spoof-ip"} [0-9]*$' <<<"$samples"
	grep -q '^netbpf_drops_total{reason="isolation"} [1-9][0-9]*$' <<<"$samples"
	grep -q '^netbpf_conntrack_entries [0-9]*$' <<<"$samples"
	grep -q '^netbpf_network_tx_bytes_total{network="sts"} [1-9][0-9]*$' <<<"$samples"
	# fill levels: 3 endpoints + 3 gateway ports (bridge, sts, stx) in nb_ports
	grep -q '^netbpf_map_entries{map="nb_ports",type="hash"} 6$' <<<"$samples"
	# sized by `up`: --max-endpoints 4096 + --max-networks 1024 by default (docs/maps.md)
	grep -q '^netbpf_map_max_entries{map="nb_ports",type="hash"} 5120$' <<<"$samples"
	grep -q '^netbpf_map_max_entries{map="nb_ct",type="lru_hash"} [1-9][0-9]*$' <<<"$samples"
	# the same counter as stats reports (the sandboxes are idle; IPv6 chatter aside)
	m=$(prom_value "netbpf_endpoint_tx_bytes_total$s1" <<<"$samples")
	s=$(nbctl stats --no-stream --format json "$(sb s1)" |
		json 'd[0]["networks"]["eth0"]["tx_bytes"]')
	echo "metrics $m, stats $s"
	assert [ "$s" -ge "$m" ]
	assert [ "$s" -le $((m + 2000)) ]
}

@test "metrics --listen serves GET /metrics over HTTP until SIGTERM" {
	nb_bg "$NB_TMP/http.log" nsenter --net=/run/netns/"$NB_HOST" "$NETBPFCTL" metrics \
		--listen 127.0.0.1:9490
	pid=$(tail -n1 "$NB_TMP/pids")
	wait_for in_host curl -sf -o /dev/null http://127.0.0.1:9490/metrics
	cat "$NB_TMP/http.log"
	grep -q "^Serving metrics on http://127.0.0.1:9490/metrics" "$NB_TMP/http.log"
	run in_host curl -sf -D "$NB_TMP/headers" http://127.0.0.1:9490/metrics
	assert_success
	grep -qi '^content-type: text/plain; version=0.0.4' "$NB_TMP/headers"
	samples=$(parse_prom <<<"$output")
	grep -qF "netbpf_endpoint_rx_bytes_total$(ep_labels s2) " <<<"$samples"
	# each scrape is a fresh reading: s1's counter grows with traffic in between
	k="netbpf_endpoint_tx_packets_total$(ep_labels s1)"
	a=$(prom_value "$k" <<<"$samples")
	ping_ok s1 "$(sb_ip s2)"
	b=$(in_host curl -sf http://127.0.0.1:9490/metrics | prom_value "$k")
	echo "tx_packets $a -> $b"
	assert [ "$b" -gt "$a" ]
	# anything else: 404 / 405
	run in_host curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:9490/
	assert_success
	assert_output 404
	run in_host curl -s -o /dev/null -w '%{http_code}' -X POST http://127.0.0.1:9490/metrics
	assert_success
	assert_output 405
	kill -TERM "$pid"
	wait "$pid"
	refute in_host curl -sf -o /dev/null http://127.0.0.1:9490/metrics
}

@test "metrics --listen with a bad address fails naming it" {
	expect_fail '--listen "nowhere"' -- nbctl metrics --listen nowhere
	expect_fail '--listen "127.0.0.1:99999"' -- nbctl metrics --listen 127.0.0.1:99999
}
