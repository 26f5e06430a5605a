#!/usr/bin/env bash
# complete.bash COMPLETION-FILE LINE: what bash completion offers at the end of
# LINE, one candidate per line, sorted, duplicates once (as readline shows them). COMP_WORDS is split as readline
# splits it (blanks separate words; ':' and '=' of COMP_WORDBREAKS are words
# of their own), then the completion function registered for the command runs
# as it would on <TAB>, with bash-completion's helpers loaded.
set -u
# shellcheck disable=SC1091
. /usr/share/bash-completion/bash_completion || exit 1
# shellcheck disable=SC1090
. "$1" || exit 1
line=$2

words=()
read -ra raw <<<"$line"
for w in "${raw[@]}"; do
	while [[ $w =~ ^([^:=]*)([:=])(.*)$ ]]; do
		[ -z "${BASH_REMATCH[1]}" ] || words+=("${BASH_REMATCH[1]}")
		words+=("${BASH_REMATCH[2]}")
		w=${BASH_REMATCH[3]}
	done
	[ -z "$w" ] || words+=("$w")
done
[[ $line != *" " ]] || words+=("")

COMP_LINE=$line
COMP_POINT=${#line}
COMP_WORDS=("${words[@]}")
COMP_CWORD=$((${#words[@]} - 1))
COMPREPLY=()
# compopt only works while readline runs a completion; its options (nospace...)
# do not change the candidates
compopt() { builtin compopt "$@" 2>/dev/null || true; }
# the function `complete -F` registered for netbpfctl
fn=$(complete -p netbpfctl | sed -n 's/.*-F \([^ ]*\) .*/\1/p')
[ -n "$fn" ] || { echo "complete.bash: no completion registered for netbpfctl" >&2; exit 1; }
"$fn" netbpfctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
[ ${#COMPREPLY[@]} -eq 0 ] || printf '%s\n' "${COMPREPLY[@]}" | sort -u
