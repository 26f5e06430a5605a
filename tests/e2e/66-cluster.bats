#!/usr/bin/env bats
# Cluster membership over a real three-member etcd 3.4 cluster (issue 17's
# foundation, docs/overlay.md): the library's etcd client (driven by
# build/tests/nbetcd), then three netbpf instances joining with
# `up --store`, netbpfd as their agent, `host ls`, crashes and outages.
#
#                        underlay netns ($CL-u), routes between its veths
#   $CL-e1 eth0 10.99.1.2 ─── e1 10.99.1.1        h1 10.98.1.1 ─── up0 10.98.1.2 $CL-h1
#   $CL-e2 eth0 10.99.2.2 ─── e2 10.99.2.1        h2 10.98.2.1 ─── up0 10.98.2.2 $CL-h2
#   $CL-e3 eth0 10.99.3.2 ─── e3 10.99.3.1        h3 10.98.3.1 ─── up0 10.98.3.2 $CL-h3
#   etcd member mK listens on 10.99.K.2:2379/2380 only          netbpf + netbpfd per host
#
# Every etcd and netbpfd is started here, recorded by PID, ended by PID in
# teardown_file (also after a failure), with its data under $CL_TMP.

load lib
load cluster

@test "etcd members listen only on their namespaces' addresses" {
	run in_u etcdctl --endpoints "${EPS//etcd:/http:}" member list
	assert_success
	assert_line --partial "m1, http://10.99.1.2:2380, http://10.99.1.2:2379"
	# nothing of theirs in the machine's own network namespace
	run ss -Htln "( sport = :2379 or sport = :2380 )"
	assert_output ""
}

@test "client: put and range with values base64 needs, prefix list, delete" {
	run in_u "$NBETCD" "$EPS" put /t/kv/a 'héllo wörld /+= ?'
	assert_success
	assert_regex "$output" '^[0-9]+$'
	run in_u "$NBETCD" "$EPS" get /t/kv/a
	assert_success
	assert_output 'héllo wörld /+= ?'
	in_u "$NBETCD" "$EPS" put /t/kv/b 2
	in_u "$NBETCD" "$EPS" put /t/kw 3
	run in_u "$NBETCD" "$EPS" ls /t/kv/
	assert_success
	assert_output $'/t/kv/a=héllo wörld /+= ?\n/t/kv/b=2'
	# etcdctl reads what our client wrote
	run in_u etcdctl --endpoints http://10.99.2.2:2379 get --print-value-only /t/kv/b
	assert_output 2
	run in_u "$NBETCD" "$EPS" del /t/kv/a
	assert_output 1
	run in_u "$NBETCD" "$EPS" get /t/kv/a
	assert_failure 4
}

@test "create-if-absent: of two clients racing for a key, exactly one wins" {
	local i
	for i in 1 2 3 4 5; do
		in_u "$NBETCD" "$EPS" create "/t/race/$i" one >"$CL_TMP/race1" 2>&1 &
		in_u "$NBETCD" "etcd://10.99.2.2:2379" create "/t/race/$i" two >"$CL_TMP/race2" 2>&1 &
		wait
		run cat "$CL_TMP/race1" "$CL_TMP/race2"
		assert_line --index 0 --regexp '^(created|exists)$'
		assert_line --index 1 --regexp '^(created|exists)$'
		run sh -c "cat '$CL_TMP/race1' '$CL_TMP/race2' | grep -c '^created$'"
		assert_output 1
		# the winner's value is the one stored
		run in_u "$NBETCD" "$EPS" get "/t/race/$i"
		if grep -q created "$CL_TMP/race1"; then assert_output one; else assert_output two; fi
	done
}

@test "a key under a lease goes when the lease expires" {
	local lease
	lease=$(in_u "$NBETCD" "$EPS" grant 2)
	run in_u "$NBETCD" "$EPS" put /t/lease/x alive "$lease"
	assert_success
	run in_u "$NBETCD" "$EPS" get /t/lease/x
	assert_output alive
	wait_until 10 sh -c "! nsenter --net=/run/netns/$CL-u $NBETCD $EPS get /t/lease/x"
	run in_u "$NBETCD" "$EPS" get /t/lease/x
	assert_failure 4
}

@test "watch: events in order, resumed on another member when its member is killed" {
	local rev
	rev=$(in_u "$NBETCD" "$EPS" put /t/w/start 0)
	in_u "$NBETCD" "$EPS" watch /t/w/ $((rev + 1)) 3 >"$CL_TMP/watch" 2>&1 &
	local wpid=$!
	wait_until 5 grep -q '^watching at' "$CL_TMP/watch"
	in_u "$NBETCD" etcd://10.99.2.2:2379 put /t/w/a 1
	wait_until 5 grep -q '^PUT /t/w/a 1' "$CL_TMP/watch"
	# m1, the first endpoint, serves the watch: kill it
	etcd_kill 1
	in_u "$NBETCD" etcd://10.99.2.2:2379,etcd://10.99.3.2:2379 put /t/w/b 2
	in_u "$NBETCD" etcd://10.99.3.2:2379 del /t/w/a
	wait "$wpid"
	run cat "$CL_TMP/watch"
	assert_line --index 1 --regexp '^PUT /t/w/a 1 [0-9]+$'
	assert_line --index 2 --regexp '^PUT /t/w/b 2 [0-9]+$'
	assert_line --index 3 --regexp '^DELETE /t/w/a [0-9]+$'
	assert_equal "${#lines[@]}" 4
	# m1 comes back from its data dir and catches up
	etcd_start 1
	wait_until 20 etcd_healthy
	run in_u "$NBETCD" etcd://10.99.1.2:2379 get /t/w/b
	assert_output 2
}

@test "compaction: a watch from a compacted revision says so; a re-list sees the latest" {
	local r1 r3
	r1=$(in_u "$NBETCD" "$EPS" put /t/c/k v1)
	in_u "$NBETCD" "$EPS" put /t/c/k v2
	r3=$(in_u "$NBETCD" "$EPS" put /t/c/k v3)
	in_u etcdctl --endpoints http://10.99.2.2:2379 compact "$r3"
	run in_u "$NBETCD" "$EPS" watch /t/c/ "$r1" 1
	assert_failure 3
	assert_line "compacted $r3"
	assert_line --partial "compacted (the oldest revision left is $r3)"
	run in_u "$NBETCD" "$EPS" ls /t/c/
	assert_output /t/c/k=v3
	run in_u "$NBETCD" "$EPS" watch /t/c/ "$r3" 1
	assert_success
	assert_line --regexp "^PUT /t/c/k v3 $r3\$"
}

@test "auth: without a user refused, with NAME:PASSWORD served, a wrong password named" {
	local ctl=(in_u etcdctl --endpoints http://10.99.1.2:2379)
	"${ctl[@]}" user add root:rootpw
	"${ctl[@]}" auth enable
	run in_u "$NBETCD" "$EPS" get /t/kv/b
	local st=$status out=$output
	NBETCD_USER=root:rootpw run in_u "$NBETCD" "$EPS" get /t/kv/b
	local st2=$status out2=$output
	NBETCD_USER=root:nope run in_u "$NBETCD" "$EPS" get /t/kv/b
	# the cluster as the other tests need it, before any assertion can stop this one
	"${ctl[@]}" --user root:rootpw auth disable
	"${ctl[@]}" user delete root
	assert_equal "$st" 1
	assert_regex "$out" "etcd 10.99.[123].2:2379: /v3/kv/range: HTTP [0-9]+: etcdserver: user name is empty"
	assert_equal "$st2" 0
	assert_equal "$out2" 2
	assert_failure
	assert_output --partial 'authentication of user "root" failed: etcdserver: authentication failed, invalid user ID or password'
}

# a CA, a server certificate for 10.99.1.2 and a client certificate, in DIR
tls_certs() {
	local d=$1
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=nbtest-ca \
		-keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj /CN=m1 -keyout "$d/server.key" \
		-out "$d/server.csr" 2>/dev/null
	# etcd's gateway dials its own gRPC server with the server certificate: clientAuth too
	printf 'subjectAltName=IP:10.99.1.2\nextendedKeyUsage=serverAuth,clientAuth\n' >"$d/server.ext"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
		-CAcreateserial -days 1 -extfile "$d/server.ext" -out "$d/server.crt" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj /CN=client -keyout "$d/client.key" \
		-out "$d/client.csr" 2>/dev/null
	printf 'extendedKeyUsage=clientAuth\n' >"$d/client.ext"
	openssl x509 -req -in "$d/client.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
		-CAcreateserial -days 1 -extfile "$d/client.ext" -out "$d/client.crt" 2>/dev/null
}

@test "TLS: a member that wants client certificates, through the CA, cert and key options" {
	command -v openssl >/dev/null || fail "openssl is not installed: install Debian's openssl (make deps)"
	local d=$CL_TMP/tls
	tls_certs "$d"
	# a one-member cluster of its own, next to m1 on other ports
	nsenter --net=/run/netns/"$CL-e1" etcd --name tls --data-dir "$d/data" \
		--listen-client-urls https://10.99.1.2:2479 --advertise-client-urls https://10.99.1.2:2479 \
		--listen-peer-urls http://10.99.1.2:2480 --initial-advertise-peer-urls http://10.99.1.2:2480 \
		--initial-cluster tls=http://10.99.1.2:2480 \
		--cert-file "$d/server.crt" --key-file "$d/server.key" \
		--client-cert-auth --trusted-ca-file "$d/ca.crt" \
		</dev/null >"$d/etcd.log" 2>&1 3>&- &
	echo $! >"$CL_TMP/etcd-tls.pid"
	local pid=$!
	NBETCD_CACERT=$d/ca.crt NBETCD_CERT=$d/client.crt NBETCD_KEY=$d/client.key \
		wait_until 20 in_u "$NBETCD" etcd://10.99.1.2:2479 put /t/tls yes
	NBETCD_CACERT=$d/ca.crt NBETCD_CERT=$d/client.crt NBETCD_KEY=$d/client.key \
		run in_u "$NBETCD" etcd://10.99.1.2:2479 get /t/tls
	local st=$status out=$output
	# no client certificate: the member refuses the handshake
	NBETCD_CACERT=$d/ca.crt run in_u "$NBETCD" etcd://10.99.1.2:2479 get /t/tls
	local st2=$status out2=$output
	# no CA: the member's certificate cannot be verified
	NBETCD_CERT=$d/client.crt NBETCD_KEY=$d/client.key \
		run in_u "$NBETCD" etcd://10.99.1.2:2479 get /t/tls
	stop_pid "$pid" TERM
	rm -f "$CL_TMP/etcd-tls.pid"
	assert_equal "$st" 0
	assert_equal "$out" yes
	assert_equal "$st2" 1
	assert_regex "$out2" "no member answered /v3/kv/range \(10.99.1.2:2479: .+\)"
	assert_failure
	assert_output --regexp "10.99.1.2:2479: .*(certificate|SSL)"
}

@test "up --store: bad stores are refused before anything changes" {
	run hctl 1 up --store etcd://10.99.1.2 --advertise 10.98.1.2
	assert_failure 2
	assert_output --partial 'store endpoint "etcd://10.99.1.2": not HOST:PORT'
	run hctl 1 up --store "$EPS"
	assert_failure
	assert_output --partial "--advertise ADDRESS (this host's underlay address) is needed"
	run hctl 1 up --store "$EPS" --advertise 10.98.1
	assert_failure
	assert_output --partial '--advertise "10.98.1": not an IPv4 or IPv6 address'
	run hctl 1 status
	assert_line --partial "Store:      none"
	run hctl 1 host ls
	assert_failure
	assert_output --partial "this instance is in no cluster"
}

@test "three hosts join with up --store and see each other in host ls" {
	local h
	for h in 1 2 3; do
		run hctl "$h" up --store "$EPS" --advertise "10.98.$h.2" --store-ttl 2
		assert_success
		assert_output --partial "store $EPS, advertise 10.98.$h.2"
		netbpfd_start "$h"
	done
	for h in 1 2 3; do
		wait_until 10 lists 1 "10.98.$h.2"
	done
	for h in 1 2 3; do
		run hctl "$h" host ls
		assert_success
		assert_line --index 0 --regexp '^HOST ID +ADVERTISE +HOSTNAME +STARTED +LEASE$'
		assert_line --regexp '^[0-9a-f]{12} \* +'"10.98.$h.2 "
		assert_equal "${#lines[@]}" 4
		run hctl "$h" status
		assert_line --partial "Store:      $EPS (advertise 10.98.$h.2, lease TTL 2 s"
		assert_line "Membership: registered, 3 host(s) in the cluster"
	done
	# each agent's watch saw the others come
	for h in 1 2 3; do
		wait_until 5 grep -q "(10.98.1.2, .*) is up" "$CL_TMP/h$h/netbpfd.log"
		wait_until 5 grep -q "(10.98.3.2, .*) is up" "$CL_TMP/h$h/netbpfd.log"
	done
	# a later `up` keeps the store
	run hctl 2 up
	assert_success
	assert_output --partial "store $EPS, advertise 10.98.2.2"
	run hctl 2 host ls --format json
	assert_success
	assert_line --regexp '"Advertise": *"10.98.2.2".*"Self": *true'
	# as Docker's --format: a row whose template prints nothing is an empty line
	run hctl 2 host ls --format '{{if .Self}}{{.Advertise}}{{end}}'
	assert_success
	assert_line 10.98.2.2
	refute_line --regexp '10\.98\.[13]\.2'
	run hctl 2 host ls --format 'table {{.Advertise}}'
	assert_success
	assert_line --index 0 ADVERTISE
	assert_line 10.98.2.2
	run hctl 2 host ls --format '{{.Nope}}'
	assert_failure
}

@test "an agent killed with SIGKILL: its host leaves after its TTL and comes back on restart" {
	wait_until 10 lists 1 10.98.3.2
	netbpfd_kill 3 KILL
	# the lease (TTL 2 s) is no longer renewed
	wait_until 15 not_lists 1 10.98.3.2
	run hctl 2 host ls
	refute_output --partial 10.98.3.2
	wait_until 5 grep -q "(10.98.3.2) is gone" "$CL_TMP/h1/netbpfd.log"
	netbpfd_start 3
	wait_until 10 lists 1 10.98.3.2
	run hctl 3 status
	assert_line "Membership: registered, 3 host(s) in the cluster"
	# a clean stop (SIGTERM) leaves at once: the lease is revoked
	netbpfd_kill 2 TERM
	run grep -c "left (lease [0-9a-f]* revoked)" "$CL_TMP/h2/netbpfd.log"
	assert_output 1
	run hctl 1 host ls
	refute_output --partial 10.98.2.2
	netbpfd_start 2
	wait_until 10 lists 1 10.98.2.2
}

@test "an agent's watch resumed past a compaction re-lists; its member back, nothing changed" {
	local i rev
	# the store moves on outside /netbpf/v1/: the agents' watches see nothing of it ...
	for i in 1 2 3 4 5; do
		rev=$(in_u "$NBETCD" "$EPS" put /t/bump "$i")
	done
	# ... and is compacted past the revision they would resume from
	in_u etcdctl --endpoints http://10.99.2.2:2379 compact "$rev"
	# m1, the first endpoint, serves the agents' watches
	etcd_kill 1
	wait_until 15 grep -q "cluster: etcd 10.99.[23].2:2379: watch /netbpf/v1/ from revision [0-9]*: compacted (the oldest revision left is $rev); re-listing" "$CL_TMP/h1/netbpfd.log"
	local h
	for h in 1 2 3; do
		run hctl 1 host ls
		assert_line --partial " 10.98.$h.2 "
	done
	etcd_start 1
	wait_until 20 etcd_healthy
	run hctl 1 status
	assert_line "Membership: registered, 3 host(s) in the cluster"
}

@test "a host cut from the underlay leaves after its TTL and registers again when healed" {
	wait_until 10 lists 2 10.98.1.2
	ip -n "$CL-h1" link set up0 down
	# its lease (TTL 2 s) cannot be renewed
	wait_until 15 not_lists 2 10.98.1.2
	run hctl 1 host ls
	assert_failure
	assert_output --partial "no member answered"
	ip -n "$CL-h1" link set up0 up
	ip -n "$CL-h1" route replace default via 10.98.1.1
	wait_until 15 lists 2 10.98.1.2
	run grep -E "cluster: etcd 10.99.[123].2:2379: lease [0-9a-f]+ expired or revoked; registering again" \
		"$CL_TMP/h1/netbpfd.log"
	assert_success
	wait_until 10 lists 1 10.98.3.2
}

@test "one member down changes nothing; all down: store commands fail naming the endpoints, the data plane goes on" {
	hctl 1 network create --subnet 10.61.0.0/24 "$CL-n"
	hctl 1 sandbox create --network "$CL-n" "$CL-a"
	hctl 1 sandbox create --network "$CL-n" "$CL-b"
	local ip
	ip=$(ip -n "$CL-b" -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1)
	# the leader goes: the other two elect one while the client retries
	local leader k
	leader=$(etcd_leader)
	assert_regex "$leader" '^[123]$'
	etcd_kill "$leader"
	run hctl 1 host ls
	assert_success
	assert_equal "${#lines[@]}" 4
	for k in 1 2 3; do
		etcd_kill "$k"
	done
	run hctl 1 host ls
	assert_failure
	assert_output --partial "no member answered /v3/kv/range"
	assert_output --partial "10.99.1.2:2379: "
	assert_output --partial "10.99.2.2:2379: "
	assert_output --partial "10.99.3.2:2379: "
	run hctl 2 up --store "$EPS" --advertise 10.98.2.2
	assert_failure
	assert_output --partial "up: store $EPS: not joined; nothing changed"
	run hctl 1 status
	assert_success
	assert_line --partial "Membership: store unreachable: etcd $EPS: no member answered"
	# the local data plane: untouched
	run nsenter --net=/run/netns/"$CL-a" ping -c1 -W2 "$ip"
	assert_success
	run hctl 1 up
	assert_success
	run nsenter --net=/run/netns/"$CL-a" ping -c1 -W2 "$ip"
	assert_success
	# the agents keep running, saying why they cannot reach the store
	wait_until 10 grep -q "warning: cluster: .*no member answered" "$CL_TMP/h1/netbpfd.log"
	run kill -0 "$(cat "$CL_TMP/h1/netbpfd.pid")"
	assert_success
	# etcd back: the agents re-list, the hosts are all there again
	etcd_start 1
	etcd_start 2
	etcd_start 3
	wait_until 20 etcd_healthy
	wait_until 15 grep -q "cluster: re-listed at revision" "$CL_TMP/h1/netbpfd.log"
	local h
	for h in 1 2 3; do
		wait_until 15 lists 1 "10.98.$h.2"
	done
	run hctl 1 status
	assert_line "Membership: registered, 3 host(s) in the cluster"
}
