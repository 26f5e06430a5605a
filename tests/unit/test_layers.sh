#!/usr/bin/env bash
# The layering rule, checked on the sources and on the built objects:
# libnetbpf (user/lib/) never includes a front end's header nor calls a
# front end's function, never prints (its errors are values, its log goes
# through the hook: only log.o may name stderr), and the front ends (every
# other folder under user/: netbpfctl, cni, the daemons) reach the library
# through its one public header, <netbpf/netbpf.h>. `make` installs this script as
# build/tests/unit/test_layers with the source and build folders filled in.
set -u
SRC=${NB_SRC:-@SRC@}
OUT=${NB_OUT:-@OUT@}
cd "$SRC" || exit 1

n=0 failed=0
check() { # DESCRIPTION OFFENDERS
	n=$((n + 1))
	if [ -z "$2" ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		sed 's/^/# /' <<<"$2"
		failed=$((failed + 1))
	fi
}

fe_dirs=()
for d in user/*/; do
	[ "$d" = user/lib/ ] || fe_dirs+=("${d%/}")
done
fe_files() { # EXT...: the front ends' files with these extensions
	local d e
	for d in "${fe_dirs[@]}"; do
		for e; do
			for f in "$d"/*."$e"; do [ -e "$f" ] && echo "$f"; done
		done
	done
}
mapfile -t fe_srcs < <(fe_files c h)
lib_headers=$(for f in user/lib/*.h; do basename "$f"; done)
fe_headers=$(fe_files h | while read -r f; do basename "$f"; done)
[ -n "$fe_headers" ] || { echo "not ok 1 - no front-end headers found under $SRC/user"; exit 1; }

# 1. includes: a library file names no front end's header
bad=$(for h in $fe_headers; do grep -Hn "^#include \"$h\"" user/lib/*.c user/lib/*.h; done)
check "no library file includes a front end's header" "$bad"

# 2. includes: a front end names no library module header, only <netbpf/netbpf.h>
bad=$(for h in $lib_headers; do
	grep -Hn "^#include [\"<]${h}[\">]" "${fe_srcs[@]}"
done)
check "front ends include the library only through <netbpf/netbpf.h>" "$bad"

# 3. symbols: nothing the library objects need is defined by a front end's object
# the objects of today's sources (a renamed file's old object may linger in $OUT)
objs_of() { local c; for c; do echo "$OUT/${c%.c}.o"; done; }
mapfile -t lib_objs < <(objs_of user/lib/*.c)
mapfile -t fe_csrcs < <(fe_files c)
mapfile -t fe_objs < <(objs_of "${fe_csrcs[@]}")
missing=$(for o in "${lib_objs[@]}" "${fe_objs[@]}"; do [ -e "$o" ] || echo "$o"; done)
check "every library and front-end object is built (make)" "$missing"
if [ -z "$missing" ]; then
	bad=$(comm -12 <(nm -u "${lib_objs[@]}" | awk 'NF == 2 {print $2}' | sort -u) \
		<(nm --defined-only "${fe_objs[@]}" | awk 'NF == 3 && $2 ~ /[TDBRC]/ {print $3}' |
			sort -u))
	check "no library object calls a front end's function" "$bad"

	# 4. the library never prints: stdout/stderr are the front ends' (log.o's default aside)
	bad=$(for o in "${lib_objs[@]}"; do
		[ "${o##*/}" = log.o ] && continue
		s=$(nm -u "$o" | awk '{print $2}' | grep -xE 'stdout|stderr|printf|puts|putchar|perror')
		[ -z "$s" ] || echo "${o##*/}: $(tr '\n' ' ' <<<"$s")"
	done)
	check "no library object writes to stdout or stderr" "$bad"

	# 5. the pipeline of 3 finds a call when there is one: main.o calls the verbs
	hit=$(comm -12 <(nm -u "$OUT"/user/netbpfctl/main.o | awk 'NF == 2 {print $2}' | sort -u) \
		<(nm --defined-only "$OUT"/user/netbpfctl/cmd_*.o | awk 'NF == 3 && $2 ~ /[TDBRC]/ {print $3}' |
			sort -u) | grep -x cmd_up)
	check "the symbol check sees main.o call cmd_up" "$([ -n "$hit" ] || echo "cmd_up not seen")"
fi

echo "1..$n"
[ $failed -eq 0 ]
