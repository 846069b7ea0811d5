#!/usr/bin/env bash
# Reads every crafted capture of internal/synth's HostileSet (huge
# lengths, many interfaces, huge options, odd time resolutions, gzip
# bombs, cut and trailing gzip, deep nesting, millions of tiny packets)
# with pktop --report json, and with tshark beside it, and prints one row
# per file: its size, then for each reader the peak RSS, the wall time
# and the packets it counted (with "!" when it reported damage, "T" when
# it hit the time limit). Not a test: it measures.
#
# usage: bench/hostile.sh [div] [name-regexp]
#   div divides the sizes (1: full size, files expanding to 1 GiB)
#   PKTOP_BEFORE=path/to/old/pktop adds a column for another build
#   HOSTILE_TIMEOUT=seconds per run (default 300); NO_TSHARK=1 skips tshark
# Needs GNU time (/usr/bin/time) and tshark.
set -euo pipefail
cd "$(dirname "$0")/.."
div=${1:-1}
run=${2:-}
dir=${HOSTILE_DIR:-/tmp/pktop-hostile/div$div}
limit=${HOSTILE_TIMEOUT:-300}
mkdir -p "$dir"
CGO_ENABLED=0 go build -o "$dir/pktop" .
list=$(go run ./bench/hostile -dir "$dir" -div "$div" -run "$run")

# measure KIND CMD...: prints "RSS-MB SECONDS PACKETS[!|T]" for the run of
# CMD on $f (KIND: pktop or tshark)
measure() {
	local kind=$1; shift
	local out=$dir/out.$$ err=$dir/err.$$ rc=0
	/usr/bin/time -f "%e %M" -o "$dir/time.$$" timeout "$limit" "$@" >"$out" 2>"$err" || rc=$?
	local wall rss
	read -r wall rss < <(tail -1 "$dir/time.$$")
	local n
	if [ "$kind" = pktop ]; then
		n=$(python3 -c 'import json,sys
try: print(json.load(open(sys.argv[1]))["packets"])
except Exception: print("-")' "$out")
	else
		# One line per frame with its interface; in a pcapng, frames
		# without one are custom blocks, not packets.
		if [ "$(zcat -f "$f" 2>/dev/null | head -c4 | od -An -tx1 | tr -d ' ')" = 0a0d0d0a ]; then
			n=$(grep -c . "$out" || true)
		else
			n=$(wc -l <"$out")
		fi
	fi
	local mark=""
	[ "$rc" = 124 ] && mark=T
	[ "$rc" != 0 ] && [ "$rc" != 124 ] && mark='!'
	printf '%d %s %s%s' $((rss / 1024)) "$wall" "$n" "$mark"
	rm -f "$out" "$err" "$dir/time.$$"
}

cols="| file | size | want |"
sep="|---|---:|---:|"
[ -n "${PKTOP_BEFORE:-}" ] && { cols="$cols pktop before: MB, s, packets |"; sep="$sep---|"; }
cols="$cols pktop: MB, s, packets |"
sep="$sep---|"
[ -z "${NO_TSHARK:-}" ] && { cols="$cols tshark: MB, s, packets |"; sep="$sep---|"; }
echo "$cols"
echo "$sep"
while IFS=$'\t' read -r name packets damaged what; do
	f=$dir/$name
	size=$(du -h --apparent-size "$f" | cut -f1)
	want=$packets
	[ "$damaged" = true ] && want="$packets!"
	row="| $name | $size | $want |"
	if [ -n "${PKTOP_BEFORE:-}" ]; then
		row="$row $(measure pktop "$PKTOP_BEFORE" -r "$f" --report json) |"
	fi
	row="$row $(measure pktop "$dir/pktop" -r "$f" --report json) |"
	if [ -z "${NO_TSHARK:-}" ]; then
		row="$row $(measure tshark tshark -n -r "$f" -T fields -e frame.interface_id) |"
	fi
	echo "$row"
done <<<"$list"
echo
echo "want: the packets a reader must count before the damage (! : and report damage)."
echo "Each reader: peak RSS in MB, wall seconds, packets counted (! : exit status not 0, T: killed after ${limit} s)."
