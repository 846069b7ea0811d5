#!/usr/bin/env bash
# Times pktop's headless replay against the reference loop of the replay
# issue (pcapgo zero-copy reads + one DecodingLayerParser + a map of bytes
# per IP address), tcpdump and tshark on the same generated capture, in
# one run, with wall time, CPU time (user+sys) and peak memory for each;
# then the screen replaying at --speed 0 against the headless replay (and
# how soon it answers a key while it replays), the snapshot of a large
# model, and peak memory on a flood of distinct sources. Needs tshark,
# tcpdump, GNU time and bc; tmux for the screen (skipped without it).
#
# Wall times vary with the machine's load (it is shared): compare the CPU
# columns, and several runs (RUNS, 3 by default).
#
# Measured on the 2-vCPU development VM (Go 1.26, shared with other
# agents' builds), 1M packets of the mixed capture (593 MB), medians of 5
# interleaved runs, the issue 12 branch against main before it:
#   pktop --report json   main 0.56 s wall 0.87 s cpu 77 MB; now 0.54 s
#                         wall 0.86 s cpu 56 MB (12 paired runs: -6% cpu,
#                         -8% wall, -27% peak); reference loop 0.35 s wall
#                         0.36 s cpu 11 MB: 1.5x wall, 2.3-2.4x cpu.
#   tcpdump -nn -r 8.9 s, tshark 10.9 s.
#   screen at --speed 0   main 0.80 s to show the end, 1.00 s cpu; now
#                         0.80 s, 0.87 s cpu (the time to show includes up
#                         to a refresh, 250 ms, and the terminal's start:
#                         10 packets take 0.29 s); a key shows in 31-39 ms.
#   snapshot of 450-500k entries: main 178 ms, now 20 ms.
#   flood, 3M sources     main 5.1 s wall 5.7 s cpu 95-127 MB; now 2.5 s
#                         wall 3.1 s cpu 68-72 MB.
#
# usage: bench/replay.sh [packets] [flood-packets]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
flood=${2:-3000000}
runs=${RUNS:-3}
dir=${BENCH_DIR:-/tmp/pktop-bench}
mkdir -p "$dir"
go build -o "$dir/gencap" ./bench/gencap
CGO_ENABLED=0 go build -o "$dir/pktop" .
go test -c -o "$dir/sniff.test" ./sniff
go test -c -o "$dir/model.test" ./model
cap=$dir/mixed-$n.pcap
[ -f "$cap" ] || "$dir/gencap" -n "$n" -sources 5000 -o "$cap"
cat "$cap" > /dev/null # into the page cache

t() { # label command...: prints wall seconds, user+sys seconds, peak RSS; sets cpu and wall
	local label=$1; shift
	/usr/bin/time -f "%e %U %S %M" -o "$dir/time" "$@" > /dev/null 2>&1 || true
	read -r wall user sys rss < "$dir/time"
	cpu=$(echo "$user + $sys" | bc)
	printf '%-36s %6.2f s wall %6.2f s cpu (%.2f user %.2f sys) %8d KB peak\n' "$label" "$wall" "$cpu" "$user" "$sys" "$rss"
}

echo "== $n packets, $(du -hL "$cap" | cut -f1) ($cap)"
# pktop and the reference loop in turns, each as a whole process reading
# the file (the reference loop is the sniff test binary's benchmark, one
# pass).
declare -a pw pc rw rc
for i in $(seq "$runs"); do
	t "pktop --report json" "$dir/pktop" -r "$cap" --report json
	pw+=("$wall") pc+=("$cpu")
	PKTOP_BENCH_FILE=$cap t "reference loop (1 pass)" "$dir/sniff.test" -test.run '^$' -test.bench 'ReferenceLoop' -test.benchtime 1x
	rw+=("$wall") rc+=("$cpu")
done
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
mpw=$(median "${pw[@]}") mpc=$(median "${pc[@]}") mrw=$(median "${rw[@]}") mrc=$(median "${rc[@]}")
printf 'medians: pktop %.2f s wall %.2f s cpu; reference %.2f s wall %.2f s cpu; ratio %.2fx wall, %.2fx cpu\n' \
	"$mpw" "$mpc" "$mrw" "$mrc" "$(echo "$mpw / $mrw" | bc -l)" "$(echo "$mpc / $mrc" | bc -l)"
PKTOP_BENCH_FILE=$cap "$dir/sniff.test" -test.run '^$' -test.bench 'ReferenceLoop|Replay$' -test.benchtime 3x | grep -E '^Benchmark' |
	awk '{for (i = 1; i < NF; i++) if ($(i+1) == "ns/op") w = $i; else if ($(i+1) == "cpu-ns/op") c = $i;
		printf "%-36s %6.2f s wall %6.2f s cpu (in process, go test -bench)\n", $1, w/1e9, c/1e9}'
t "tcpdump -nn -r (text to /dev/null)" tcpdump -nn -r "$cap"
t "tshark -r -q -z io,stat,0" tshark -n -r "$cap" -q -z io,stat,0

if command -v tmux > /dev/null; then
	# The screen: wall and CPU until it shows the end of the capture,
	# and how long a key (? for help) takes to show while it replays.
	echo "== the screen replaying at --speed 0 (160x50, in tmux)"
	hz=$(getconf CLK_TCK)
	for i in $(seq "$runs"); do
		s=pktop-bench-$$
		start=$(date +%s%N)
		tmux new-session -d -x 160 -y 50 -s "$s" "exec $dir/pktop -r $cap --speed 0"
		pid=$(tmux display -p -t "$s" '#{pane_pid}')
		sleep 0.15
		k=$(date +%s%N)
		tmux send-keys -t "$s" '?'
		until tmux capture-pane -p -t "$s" | grep -q 'Ctrl-C'; do sleep 0.005; done
		key=$((($(date +%s%N) - k) / 1000000))
		tmux send-keys -t "$s" '?'
		until tmux capture-pane -p -t "$s" | grep -q 'end of capture'; do sleep 0.01; done
		end=$(date +%s%N)
		ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat")
		tmux kill-session -t "$s"
		printf '%-36s %6.2f s wall %6.2f s cpu, a key shown in %d ms (while replaying)\n' "pktop --speed 0 (screen)" \
			"$(echo "($end - $start) / 1000000000" | bc -l)" "$(echo "$ticks / $hz" | bc -l)" "$key"
	done
fi

echo "== snapshot of a large model (the screen's: top 500 by 10 s rate)"
"$dir/model.test" -test.run '^$' -test.bench 'Snapshot$' -test.benchtime 20x | grep -E '^Benchmark' |
	awk '{for (i = 1; i < NF; i++) if ($(i+1) == "entries") e = $i;
		printf "%-36s %6.1f ms (%d entries)\n", $1, $3/1e6, e}'

fcap=$dir/flood-$flood.pcap
[ -f "$fcap" ] || "$dir/gencap" -n "$flood" -sources "$flood" -o "$fcap"
echo "== flood: $flood packets from $flood distinct sources"
for i in $(seq "$runs"); do
	t "pktop --report json" "$dir/pktop" -r "$fcap" --report json
done
