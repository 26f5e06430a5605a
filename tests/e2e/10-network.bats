#!/usr/bin/env bats
# network create/ls/inspect/rm/prune and their errors, against Docker's shapes.
#
#   world netns ── up0 ── host netns ($NB_HOST, netbpfctl up)
#                          nbg<id> per bridge network: the gateway address,
#                          the host's route to the subnet
#                          172.17.0.0/16  bridge (predefined, with host, none)
#                          172.18.0.0/16  auto1  (first free Docker pool)
#                          172.19.0.0/16  auto2
#                          10.50.0.0/16   full   (every option)
#                          10.70.0.0/16   taken  (overlap errors name it)
#                          10.80.0.0/24   busy   (sandbox $NB_ID-busy on it)
#
# Every refused command must exit 1 or 2, name the object and the cause, and
# leave `network ls`, `sandbox ls`, the host's links/addresses/routes and the
# namespaces as they were (expect_fail).

load lib

setup_file() { nb_setup_file nb_setup_instance; }
teardown_file() { nb_teardown_instance; }
setup() { nb_setup_ok; }
teardown() { assert_no_bridge_no_rules; }

# ls_json: `network ls --format json` as one list (accepts Docker's JSON lines or an array)
ls_json() {
	nbctl network ls --format json | python3 -c '
import json, sys
s = sys.stdin.read().strip()
try:
    v = json.loads(s)
    v = v if isinstance(v, list) else [v]
except ValueError:
    v = [json.loads(l) for l in s.splitlines() if l.strip()]
print(json.dumps(v))'
}

# gw_dev IP: the host netns device holding address IP
gw_dev() {
	ip -n "$NB_HOST" -o -4 addr show | awk -v ip="$1" '{split($4, a, "/"); if (a[1] == ip) print $2}'
}

@test "predefined networks bridge, host and none exist as Docker has them" {
	run nbctl network ls
	assert_success
	echo "$output"
	assert_line --index 0 --regexp '^NETWORK ID +NAME +DRIVER +SCOPE$'
	assert_line --regexp '^[0-9a-f]{12} +bridge +bridge +local$'
	assert_line --regexp '^[0-9a-f]{12} +host +host +local$'
	assert_line --regexp '^[0-9a-f]{12} +none +(none|null) +local$'

	out=$(nbctl network inspect bridge)
	assert_equal "$(json 'len(d)' <<<"$out")" 1
	assert_equal "$(json 'd[0]["Name"]' <<<"$out")" bridge
	assert_equal "$(json 'd[0]["Driver"]' <<<"$out")" bridge
	assert_equal "$(json 'd[0]["Scope"]' <<<"$out")" local
	assert_equal "$(json 'd[0]["IPAM"]["Config"][0]["Subnet"]' <<<"$out")" 172.17.0.0/16
	assert_equal "$(json 'd[0]["IPAM"]["Config"][0]["Gateway"]' <<<"$out")" 172.17.0.1
	assert_equal "$(json 'd[0]["Internal"]' <<<"$out")" false

	# the bridge network's gateway is a netbpf port in the host netns, not a bridge
	dev=$(gw_dev 172.17.0.1)
	assert_regex "$dev" '^nbg'
	ip -n "$NB_HOST" route show 172.17.0.0/16 | grep -q "dev $dev"

	assert_equal "$(nbctl network inspect host | json 'd[0]["Driver"]')" host
	assert_equal "$(nbctl network inspect none | json 'd[0]["Name"]')" none
}

@test "create without --subnet picks the first free subnets of Docker's pools" {
	run nbctl network create auto1
	assert_success
	# Docker prints the new network's full id
	assert_output --regexp '^[0-9a-f]{64}$'
	id1=$output
	run nbctl network create auto2
	assert_success

	out=$(nbctl network inspect auto1 auto2)
	assert_equal "$(json 'd[0]["Id"]' <<<"$out")" "$id1"
	assert_equal "$(json 'd[0]["IPAM"]["Config"][0]["Subnet"]' <<<"$out")" 172.18.0.0/16
	assert_equal "$(json 'd[0]["IPAM"]["Config"][0]["Gateway"]' <<<"$out")" 172.18.0.1
	assert_equal "$(json 'd[1]["IPAM"]["Config"][0]["Subnet"]' <<<"$out")" 172.19.0.0/16
	assert_equal "$(json 'd[1]["IPAM"]["Config"][0]["Gateway"]' <<<"$out")" 172.19.0.1

	# each gateway sits on its own nbg port with the host's route to the subnet
	dev1=$(gw_dev 172.18.0.1)
	dev2=$(gw_dev 172.19.0.1)
	assert_regex "$dev1" '^nbg'
	assert_regex "$dev2" '^nbg'
	assert_not_equal "$dev1" "$dev2"
	ip -n "$NB_HOST" route show 172.18.0.0/16 | grep -q "dev $dev1"
	ip -n "$NB_HOST" route show 172.19.0.0/16 | grep -q "dev $dev2"
	# the gateway answers from the host
	ping_ok host 172.18.0.1
}

@test "network ls: Docker's table, -q ids and --format json agree" {
	run nbctl network ls
	assert_success
	echo "$output"
	# header + bridge, host, none, auto1, auto2
	assert [ "${#lines[@]}" -eq 6 ]
	for l in "${lines[@]:1}"; do
		assert_regex "$l" '^[0-9a-f]{12} +[a-zA-Z0-9][a-zA-Z0-9_.-]* +(bridge|host|none|null) +local$'
	done

	run nbctl network ls -q
	assert_success
	assert [ "${#lines[@]}" -eq 5 ]
	for l in "${lines[@]}"; do assert_regex "$l" '^[0-9a-f]{12}$'; done
	ids=$(printf '%s\n' "${lines[@]}" | sort)

	js=$(ls_json)
	assert_equal "$(json 'sorted(n["Name"] for n in d)' <<<"$js")" '["auto1", "auto2", "bridge", "host", "none"]'
	assert_equal "$(json '[n for n in d if n["Name"] == "auto1"][0]["Driver"]' <<<"$js")" bridge
	# the JSON ids (ID as docker ls prints, or Id) are the same networks as -q's
	jids=$(json '"\n".join(sorted((n.get("ID") or n.get("Id"))[:12] for n in d))' <<<"$js")
	assert_equal "$jids" "$ids"

	# every id in ls is the prefix of the id inspect shows
	full=$(nbctl network inspect auto1 | json 'd[0]["Id"]')
	grep -qx "${full:0:12}" <<<"$ids"
}

@test "create with every option; inspect prints Docker's JSON shape" {
	run nbctl network create --driver bridge --subnet 10.50.0.0/16 --gateway 10.50.0.254 \
		--ip-range 10.50.1.0/24 --internal --mtu 1400 --label team=net --label tier=db \
		-o com.docker.network.bridge.enable_icc=false \
		-o com.docker.network.bridge.enable_ip_masquerade=false \
		-o com.docker.network.bridge.host_binding_ipv4=127.0.0.1 full
	assert_success
	out=$(nbctl network inspect full)
	echo "$out"
	python3 -c '
import json, re, sys
d = json.load(sys.stdin)
assert isinstance(d, list) and len(d) == 1, d
n = d[0]
for k in ("Name", "Id", "Created", "Scope", "Driver", "EnableIPv6", "IPAM", "Internal",
          "Attachable", "Containers", "Options", "Labels"):
    assert k in n, "missing key " + k
assert n["Name"] == "full"
assert re.fullmatch(r"[0-9a-f]{64}", n["Id"]), n["Id"]
assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", n["Created"]), n["Created"]
assert n["Scope"] == "local" and n["Driver"] == "bridge"
assert n["EnableIPv6"] is False and n["Internal"] is True
assert isinstance(n["Attachable"], bool)
c = n["IPAM"]["Config"]
assert len(c) == 1, c
assert c[0]["Subnet"] == "10.50.0.0/16" and c[0]["Gateway"] == "10.50.0.254", c
assert c[0].get("IPRange") == "10.50.1.0/24", c
assert n["Containers"] == {}, n["Containers"]
o = n["Options"]
assert o.get("com.docker.network.bridge.enable_icc") == "false", o
assert o.get("com.docker.network.bridge.enable_ip_masquerade") == "false", o
assert o.get("com.docker.network.bridge.host_binding_ipv4") == "127.0.0.1", o
assert n["Labels"] == {"team": "net", "tier": "db"}, n["Labels"]
' <<<"$out"

	# the gateway port carries the MTU and the gateway address
	dev=$(gw_dev 10.50.0.254)
	assert_regex "$dev" '^nbg'
	ip -n "$NB_HOST" -o link show dev "$dev" | grep -q 'mtu 1400 '
}

@test "a sandbox on a network gets its address from --ip-range, its MTU, and shows in inspect" {
	nbctl sandbox create --network full "$(sb fullsb)"
	ip=$(sb_ip fullsb)
	assert_regex "$ip" '^10\.50\.1\.[0-9]+$'
	in_sb fullsb ip -o link show dev eth0 | grep -q 'mtu 1400 '

	out=$(nbctl network inspect full)
	echo "$out"
	python3 -c '
import json, sys
ip, name = sys.argv[1], sys.argv[2]
c = json.load(sys.stdin)[0]["Containers"]
assert len(c) == 1, c
(cid, e), = c.items()
assert len(cid) == 64, cid
assert e["Name"] == name, e
assert e["IPv4Address"] == ip + "/16", e
assert e["MacAddress"] == "02:42:%02x:%02x:%02x:%02x" % tuple(map(int, ip.split("."))), e
assert len(e["EndpointID"]) == 64, e
' "$ip" "$(sb fullsb)" <<<"$out"
	nbctl sandbox rm "$(sb fullsb)"
	assert_equal "$(nbctl network inspect full | json 'd[0]["Containers"]')" '{}'
}

@test "inspect resolves names, full ids and unique id prefixes, several at once" {
	id=$(nbctl network inspect auto1 | json 'd[0]["Id"]')
	assert_equal "$(nbctl network inspect "$id" | json 'd[0]["Name"]')" auto1
	assert_equal "$(nbctl network inspect "${id:0:12}" | json 'd[0]["Name"]')" auto1
	[ "$(nbctl network inspect bridge auto2 "${id:0:12}" | json '[n["Name"] for n in d]')" = \
		'["bridge", "auto2", "auto1"]' ]
}

@test "bad subnets are refused, naming the network and the value" {
	for cidr in 10.1.0.0/33 10.1.0/16 300.1.0.0/16 10.1.0.0 abc 10.1.0.0/-1; do
		expect_fail badnet "$cidr" -- nbctl network create --subnet "$cidr" badnet
	done
	# host bits set: Docker refuses rather than guessing
	expect_fail badnet 10.1.0.5/16 -- nbctl network create --subnet 10.1.0.5/16 badnet
	expect_fail badnet 10.60.0.0/24 -- nbctl network create --subnet 10.60.0.0/24 \
		--ip-range 10.61.0.0/25 badnet
}

@test "a gateway outside the subnet, or not an address, is refused" {
	expect_fail badgw 10.61.0.1 -- nbctl network create --subnet 10.60.0.0/24 \
		--gateway 10.61.0.1 badgw
	expect_fail badgw 10.60.0.300 -- nbctl network create --subnet 10.60.0.0/24 \
		--gateway 10.60.0.300 badgw
	# the subnet's own network and broadcast addresses cannot be the gateway
	expect_fail badgw -- nbctl network create --subnet 10.60.0.0/24 --gateway 10.60.0.255 badgw
}

@test "overlapping subnets are refused, naming the other network" {
	nbctl network create --subnet 10.70.0.0/16 taken
	expect_fail newnet taken 10.70.0.0/16 -- nbctl network create --subnet 10.70.5.0/24 newnet
	expect_fail newnet taken -- nbctl network create --subnet 10.64.0.0/12 newnet
	expect_fail newnet taken -- nbctl network create --subnet 10.70.0.0/16 newnet
	# the predefined bridge network holds 172.17.0.0/16
	expect_fail newnet bridge -- nbctl network create --subnet 172.17.5.0/24 newnet
	# an adjacent subnet is fine
	nbctl network create --subnet 10.71.0.0/16 adjacent
	nbctl network rm adjacent
}

@test "duplicate and invalid names are refused" {
	expect_fail taken -- nbctl network create --subnet 10.72.0.0/16 taken
	expect_fail bridge -- nbctl network create bridge
	long=n$(printf 'x%.0s' $(seq 70))
	for name in -dash .dot _under 'a b' a/b 'a;b' 'é' "$long"; do
		expect_fail -- nbctl network create --subnet 10.73.0.0/24 -- "$name"
	done
	# Docker's alphabet: letters, digits, _ . - after the first character
	nbctl network create --subnet 10.73.0.0/24 'Ok_name.1-x'
	nbctl network rm 'Ok_name.1-x'
}

@test "bad options are refused: driver, -o values, --mtu, --label" {
	expect_fail overlay -- nbctl network create --driver overlay drv
	expect_fail enable_icc maybe -- nbctl network create \
		-o com.docker.network.bridge.enable_icc=maybe opt
	expect_fail host_binding_ipv4 -- nbctl network create \
		-o com.docker.network.bridge.host_binding_ipv4=1.2.3 opt
	expect_fail -- nbctl network create -o novalue opt
	for mtu in abc -5 0 67 65536; do
		expect_fail "$mtu" -- nbctl network create --mtu "$mtu" opt
	done
	# only one host and one none network may exist, as in Docker
	expect_fail host -- nbctl network create --driver host host2
}

@test "unknown networks are errors naming them" {
	expect_fail nosuchnet -- nbctl network inspect nosuchnet
	expect_fail nosuchnet -- nbctl network rm nosuchnet
	expect_fail nosuchnet -- nbctl network inspect auto1 nosuchnet
	expect_fail ffffffffffff -- nbctl network inspect ffffffffffff
	expect_fail nosuchnet -- nbctl sandbox create --network nosuchnet "$(sb ghost)"
	assert [ ! -e /run/netns/"$(sb ghost)" ]
}

@test "predefined networks cannot be removed" {
	for n in bridge host none; do
		expect_fail "$n" -- nbctl network rm "$n"
	done
}

@test "network rm is refused while a sandbox is attached, then works" {
	nbctl network create --subnet 10.80.0.0/24 busy
	nbctl sandbox create --network busy "$(sb busy)"
	expect_fail busy -- nbctl network rm busy
	ping_ok "busy" 10.80.0.1
	nbctl sandbox rm "$(sb busy)"
	nbctl network rm busy
	run nbctl network ls
	assert_success
	refute_output --partial ' busy '
	# its gateway port and route went with it
	assert_equal "$(gw_dev 10.80.0.1)" ""
	assert_equal "$(ip -n "$NB_HOST" route show 10.80.0.0/24)" ""
}

@test "network rm removes several at once, by name or id prefix" {
	nbctl network create --subnet 10.81.0.0/24 rm1
	nbctl network create --subnet 10.82.0.0/24 rm2
	id2=$(nbctl network inspect rm2 | json 'd[0]["Id"]')
	run nbctl network rm rm1 "${id2:0:12}"
	assert_success
	run nbctl network ls
	assert_success
	refute_output --regexp ' rm[12] '
	assert_equal "$(gw_dev 10.81.0.1)" ""
	assert_equal "$(gw_dev 10.82.0.1)" ""
}

@test "network prune -f removes unused user networks only" {
	nbctl network create --subnet 10.83.0.0/24 unused1
	nbctl network create --subnet 10.84.0.0/24 inuse
	nbctl sandbox create --network inuse "$(sb keeper)"
	run nbctl network prune -f
	assert_success
	echo "$output"
	assert_line unused1
	refute_line inuse
	names=$(ls_json | json '" ".join(sorted(n["Name"] for n in d))')
	assert_equal "$names" "bridge host inuse none"
	ping_ok keeper 10.84.0.1
	nbctl sandbox rm "$(sb keeper)"
	nbctl network rm inuse
}

@test "netbpfctl refuses to run without root, changing nothing" {
	expect_fail -- in_host setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$NETBPFCTL" network create --subnet 10.85.0.0/24 nonroot
	run in_host setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$NETBPFCTL" network create --subnet 10.85.0.0/24 nonroot
	assert_failure
	assert_output --regexp '[Rr]oot|[Pp]ermission'
}
