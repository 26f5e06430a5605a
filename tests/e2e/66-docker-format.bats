#!/usr/bin/env bats
# Docker's scripts on netbpfctl: --format/-f Go templates and --filter, compared
# with what the real Docker 20.10 prints for the same objects.
#
#   host ($NB_HOST), netbpfctl up            private dockerd (tests/e2e/docker.bash),
#   networks fw, fx (netbpf, made first)      its own bridge driver: networks fw, fx
#       same names, subnets, gateways, ip-range, --internal, options and labels
#
# Each template runs on both; ids and times, which must differ, are normalized
# (64 and 12 hex digits -> ID, RFC 3339 and Go times -> TIME), the rest is
# compared byte for byte. Docker has no predefined "bridge" here (--bridge=none):
# filters that would list netbpf's are narrowed by name. Both networks hold the
# same subnets side by side in the host netns; no traffic is sent on them.

load lib # bats-support and bats-assert with it
load docker

# NAME SPEC...: the network on both sides
both_create() {
	local name=$1
	shift
	nbctl_dk network create "$@" "$name"
	dk network create "$@" "$name"
}

# the networks' options, on both sides alike
FW=(--subnet 10.77.0.0/16 --gateway 10.77.0.1 --label env=ci --label team=net
	-o com.docker.network.bridge.enable_icc=false)
FX=(--subnet 10.78.0.0/16 --gateway 10.78.0.1 --ip-range 10.78.1.0/24 --internal --label env=prod)
FY=(--subnet 10.79.0.0/16 --gateway 10.79.0.1 --aux-address router=10.79.0.2
	--aux-address dns=10.79.0.3 --attachable --ipam-driver default --scope local
	-o "com.docker.network.bridge.name=$NB_ID-y")

fmt_setup() {
	dk_setup
	both_create fw "${FW[@]}"
	both_create fx "${FX[@]}"
	both_create fy "${FY[@]}"
}

setup_file() { nb_setup_file fmt_setup; }
teardown_file() { dk_teardown; }
setup() { nb_setup_ok; }

norm() {
	sed -E -e 's/[0-9a-f]{64}/ID/g' -e 's/[0-9a-f]{12}/ID/g' \
		-e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.]+(Z| \+0000 UTC)/TIME/g'
}

# same_output WHAT ARGS...: `docker WHAT ARGS` and `netbpfctl WHAT ARGS` print the same.
# `network ls` joins a network's labels in Go's map order, which is random: fw's two
# are put in the order netbpfctl prints, sorted.
same_output() {
	local want
	want=$(dk "$@" 2>&1 | norm | sed 's/team=net,env=ci/env=ci,team=net/')
	run nbctl_dk "$@"
	assert_success
	output=$(norm <<<"$output")
	assert_equal "$output" "$want"
}

@test "network inspect -f: every template prints what Docker prints" {
	local t n
	for t in '{{.IPAM.Config}}' '{{json .}}' '{{json .IPAM}}' '{{.IPAM}}' '{{.Labels}}' \
		'{{.Options}}' '{{.Containers}}' '{{.Created}}' '{{.}}' '{{json .Labels}}' \
		'{{range $k, $v := .Labels}}{{$k}}={{$v}};{{end}}' '{{index .Labels "env"}}' \
		'{{(index .IPAM.Config 0).Subnet}} {{(index .IPAM.Config 0).IPRange}}' \
		'{{.Name}} {{.Driver}} {{.Scope}} {{.Internal}} {{.EnableIPv6}} {{.Attachable}}' \
		'{{range .IPAM.Config}}{{.Subnet}} via {{.Gateway}}{{end}}' '{{len .Labels}}' \
		'{{.Labels.nope}}' 'table a\tb {{.Id}}' '{{json .Options}} {{json .Containers}}' \
		'{{if .Internal}}internal{{else}}routed{{end}} {{upper .Name}}'; do
		for n in fw fx fy; do
			echo "# $t on $n"
			same_output network inspect -f "$t" "$n"
		done
	done
	# the predefined host and none (driver "null"), both at once
	same_output network inspect -f '{{json .}}' host none
	same_output network inspect -f '{{.Name}}: {{.Driver}} {{.IPAM}}' none host
}

@test "network inspect: Docker's JSON without -f, and its template errors" {
	local mine theirs
	run nbctl_dk network inspect fx fy
	assert_success
	mine=$(norm <<<"$output")
	theirs=$(dk network inspect fx fy | norm)
	assert_equal "$mine" "$theirs"

	run dk network inspect -f '{{.Nope}}' fw
	assert_failure
	run nbctl_dk network inspect -f '{{.Nope}}' fw
	assert_failure
	assert_output --partial 'template "{{.Nope}}": position 3: can'"'"'t evaluate field Nope'
	run nbctl_dk network inspect -f '{{.Name' fw
	assert_failure
	assert_output --partial 'template "{{.Name": position 1: unclosed action'
	run nbctl_dk network inspect -f '{{foo .Name}}' fw
	assert_failure
	assert_output --partial 'function "foo" not supported'
}

@test "network ls --format and --filter: Docker's output for each" {
	local t f
	for t in '{{.Name}}' '{{json .}}' 'table {{.Name}}\t{{.Driver}}\t{{.Labels}}' 'table' \
		'{{.Name}}\t{{.Scope}} {{.Internal}} {{.IPv6}}' 'table {{json .Name}}|{{upper .Driver}}' \
		'  {{.Name}}: {{.CreatedAt}}  ' 'table {{.ID}}'; do
		for f in name=f type=custom label=env label=env=ci label=env=x dangling=true \
			id=zzz 'name=^[^b]'; do
			echo "# --format $t --filter $f"
			same_output network ls --format "$t" --filter "$f"
		done
	done
	# several filters: one key's values are alternatives, keys all apply
	same_output network ls --format '{{.Name}}' -f driver=bridge -f name=^f -f label=env=prod
	same_output network ls --format '{{.Name}}' -f name=fw -f name=fx -f scope=local
	same_output network ls --format '{{.Name}}' -f type=builtin -f name=^[^b]
	same_output network ls --format '{{.Name}} {{.Driver}}' -f driver=null
	same_output network ls -q -f label=team=net --no-trunc
}

@test "network ls: a bad filter or template is refused as Docker refuses it" {
	run dk network ls --filter foo=bar
	assert_failure
	assert_output "Error response from daemon: Invalid filter 'foo'"
	run nbctl_dk network ls --filter foo=bar
	assert_failure
	assert_output --partial "network ls: invalid filter 'foo' (accepted: dangling, driver, id, label, name, scope, type)"
	run nbctl_dk network ls --filter type=x
	assert_failure
	assert_output --partial "network ls: invalid filter 'type'='x' (custom or builtin)"
	run nbctl_dk network ls --filter dangling=x
	assert_failure
	assert_output --partial "invalid value for filter 'dangling', must be \"true\" (or \"1\"), or \"false\" (or \"0\")"
	run nbctl_dk network ls --filter noeq
	assert_failure
	assert_output --partial 'bad format of filter "noeq" (expected name=value)'
	run nbctl_dk network ls --format '{{.Nope}}'
	assert_failure
	assert_output --partial 'template "{{.Nope}}": position 3: can'"'"'t evaluate field Nope'
}

@test "network prune --filter: label, label! and until choose what goes" {
	nbctl_dk network create --label stage=ci pa
	nbctl_dk network create --label stage=dev pb
	nbctl_dk network create pc
	run nbctl_dk network prune -f --filter foo=1
	assert_failure
	assert_output --partial "network prune: invalid filter 'foo' (accepted: label, label!, until)"
	run nbctl_dk network prune -f --filter until=xx
	assert_failure
	assert_output --partial "network prune: invalid filter 'until'='xx'"
	# nothing is older than an hour
	run nbctl_dk network prune -f --filter until=1h
	assert_success
	assert_output ""
	run nbctl_dk network prune -f --filter label=stage=ci
	assert_success
	assert_output $'Deleted Networks:\npa'
	run nbctl_dk network prune -f --filter label!=stage --filter label=nothing-has-it
	assert_success
	assert_output ""
	run nbctl_dk network prune -f --filter 'label!=stage' --filter until=0s
	assert_success
	# fw, fx and fy have no "stage" label either
	assert_output $'Deleted Networks:\nfw\nfx\nfy\npc'
	run nbctl_dk network ls --format '{{.Name}}' -f type=custom
	assert_output pb
	nbctl_dk network rm pb
	# back as they were for the tests after this one (beside Docker's bridges on the same
	# subnets, host routes now: forced)
	nbctl_dk network create --force "${FW[@]}" fw
	nbctl_dk network create --force "${FX[@]}" fx
	nbctl_dk network create --force "${FY[@]}" fy
}

@test "network create: Docker's flags kept, auxiliary addresses never given, aliases shown" {
	local s3
	s3=$(sb f3)
	run nbctl_dk network inspect -f '{{.Attachable}} {{json .IPAM.Config}} {{index .Options "com.docker.network.bridge.name"}}' fy
	assert_success
	assert_output 'true [{"Subnet":"10.79.0.0/16","Gateway":"10.79.0.1","AuxiliaryAddresses":{"dns":"10.79.0.3","router":"10.79.0.2"}}] '"$NB_ID-y"
	# the first free address is past the auxiliary ones; asking for one is refused
	run nbctl_dk sandbox create --network fy --ip 10.79.0.2 "$s3"
	assert_failure
	assert_output --partial "sandbox \"$s3\": address 10.79.0.2 is reserved in network \"fy\" (auxiliary address \"router\")"
	nbctl_dk sandbox create --network fy --alias api --alias api2 "$s3"
	nbctl_dk network connect --alias db --alias db fw "$s3"
	run nbctl_dk sandbox inspect -f '{{range $n, $e := .NetworkSettings.Networks}}{{$n}} {{$e.IPAddress}} {{json $e.Aliases}};{{end}}' "$s3"
	assert_success
	assert_output 'fw 10.77.0.2 ["db"];fy 10.79.0.4 ["api","api2"];'
	run nbctl_dk network connect --alias x bridge "$s3"
	assert_failure
	assert_output --partial 'network "bridge": network-scoped aliases are supported only on user-defined networks'
	run nbctl_dk network connect --alias 'bad name' fx "$s3"
	assert_failure
	assert_output --partial 'invalid alias "bad name"'
	run nbctl_dk network create --subnet 10.80.0.0/16 --aux-address a=10.81.0.1 fz
	assert_failure
	assert_output --partial 'network "fz": auxiliary address 10.81.0.1 is outside subnet 10.80.0.0/16'
	run nbctl_dk network create --ipam-driver other fz
	assert_failure
	assert_output --partial '--ipam-driver "other" is not supported (only "default")'
	nbctl_dk sandbox rm "$s3"
}

@test "sandbox ls and inspect: templates, filters, Ports and the none network" {
	local s1 s2
	s1=$(sb f1)
	s2=$(sb f2)
	nbctl_dk sandbox create --network fw -p 8080:80 -p 8053:53/udp "$s1"
	nbctl_dk sandbox create --network fw --network fx --ip 10.77.0.50 "$s2"
	run nbctl_dk sandbox ls --filter network=fx --format '{{.Name}} {{.IPAddresses}}'
	assert_success
	# the range's first address, as Docker's IPAM gives it too
	assert_output "$s2 10.77.0.50,10.78.1.0"
	run nbctl_dk sandbox ls --filter "name=$s1" -q
	assert_success
	assert_output "$(nbctl_dk sandbox inspect -f '{{truncate .Id 12}}' "$s1")"
	run nbctl_dk sandbox ls --filter "name=$NB_ID" --format 'table {{.Name}}\t{{.Networks}}'
	assert_success
	assert_line --index 0 --regexp '^NAME +NETWORKS$'
	assert_line --index 2 --regexp "^$s2 +fw,fx$"
	run nbctl_dk sandbox ls --filter label=x -q
	assert_success
	assert_output ""
	run nbctl_dk sandbox ls --filter driver=bridge
	assert_failure
	assert_output --partial "sandbox ls: invalid filter 'driver' (accepted: id, label, name, network)"

	run nbctl_dk sandbox inspect -f '{{json .NetworkSettings.Ports}}' "$s1"
	assert_success
	assert_output '{"53/udp":[{"HostIp":"0.0.0.0","HostPort":"8053"}],"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"8080"}]}'
	run nbctl_dk sandbox inspect -f '{{range $n, $e := .NetworkSettings.Networks}}{{$n}}={{$e.IPAddress}} {{$e.Aliases}} {{json $e.IPAMConfig}};{{end}}' "$s2"
	assert_success
	assert_output "fw=10.77.0.50 <nil> null;fx=10.78.1.0 <nil> null;"
	run nbctl_dk stats --no-stream --format '{{.Name}} {{.Networks}}' "$s2"
	assert_success
	assert_output "$s2 fw,fx"
	run nbctl_dk stats --no-stream --format '{{json .}}' "$s1"
	assert_success
	assert_regex "$output" '^\{"Container":"'"$s1"'","Drops":"[^"]+","ID":"[0-9a-f]{12}","Name":"'"$s1"'","NetIO":"[^"]+","Networks":"fw","Packets":"[^"]+"\}$'
	run nbctl_dk stats --no-stream --format json "$s1"
	assert_success
	assert_equal "$(json 'd[0]["name"] + " " + str(len(d[0]["id"]))' <<<"$output")" "/$s1 64"
	nbctl_dk sandbox rm "$s1" "$s2"
}
