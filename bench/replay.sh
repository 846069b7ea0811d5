#!/usr/bin/env bash
# Times pktop's headless replay against tshark, tcpdump and the reference
# loop of the replay issue (pcapgo zero-copy reads + one
# DecodingLayerParser + a map of bytes per IP address) on the same
# generated capture, in one run; then measures peak memory on a flood of
# distinct sources. Needs tshark, tcpdump and GNU time.
#
# usage: bench/replay.sh [packets] [flood-packets]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
flood=${2:-3000000}
dir=${BENCH_DIR:-/tmp/pktop-bench}
mkdir -p "$dir"
go build -o "$dir/gencap" ./bench/gencap
CGO_ENABLED=0 go build -o "$dir/pktop" .
go test -c -o "$dir/sniff.test" ./sniff
cap=$dir/mixed-$n.pcap
[ -f "$cap" ] || "$dir/gencap" -n "$n" -sources 5000 -o "$cap"
cat "$cap" > /dev/null # into the page cache

t() { # label command...: prints wall seconds, user+sys seconds, peak RSS
	local label=$1; shift
	/usr/bin/time -f "%e %U %S %M" -o "$dir/time" "$@" > /dev/null 2>&1 || true
	read -r wall user sys rss < "$dir/time"
	printf '%-34s %8.2f s wall %8.2f s cpu %8d KB peak\n' "$label" "$wall" "$(echo "$user + $sys" | bc)" "$rss"
}

echo "== $n packets, $(du -h "$cap" | cut -f1) ($cap)"
for i in 1 2 3; do
	t "pktop --report json" "$dir/pktop" -r "$cap" --report json
done
ref=$(PKTOP_BENCH_FILE=$cap "$dir/sniff.test" -test.run '^$' -test.bench 'ReferenceLoop|Replay$' -test.benchtime 3x | grep -E '^Benchmark')
echo "$ref" | awk '{printf "%-34s %8.2f s (in memory, go test -bench)\n", $1, $3/1e9}'
t "tcpdump -nn -r (text to /dev/null)" tcpdump -nn -r "$cap"
t "tshark -r -q -z io,stat,0" tshark -n -r "$cap" -q -z io,stat,0

fcap=$dir/flood-$flood.pcap
[ -f "$fcap" ] || "$dir/gencap" -n "$flood" -sources "$flood" -o "$fcap"
echo "== flood: $flood packets from $flood distinct sources"
t "pktop --report json" "$dir/pktop" -r "$fcap" --report json
