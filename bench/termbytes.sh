#!/usr/bin/env bash
# Bytes a terminal receives from pktop and from iftop showing the same
# steady traffic on loopback, each at its defaults, in a 120x40 tmux pane,
# measured with tmux pipe-pane over the same number of seconds.
#
#   sudo bench/termbytes.sh [seconds] [cols] [rows]
#   sudo WARMUP=45 bench/termbytes.sh 30    # the steady state: after the
#                                           # 40 s sparklines filled
#
# The traffic: a ping every 200 ms and a UDP sender (three flows, 20
# datagrams a second in all), all on 127.0.0.1 of a network namespace of
# the script's own (so that nothing else on the machine shows up).
# PKTOP_KEYS are keys sent to pktop once it runs (b: no sparklines).
# SCENE=many sends to twelve loopback addresses instead, each at its own
# rate (a screen of many rows). Needs root, ip, tmux, iftop, ping,
# python3, bc and Go.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
cols=${2:-120}
rows=${3:-40}
for t in ip tmux iftop ping python3 bc; do
	command -v "$t" >/dev/null || { echo "termbytes: needs $t" >&2; exit 1; }
done
work=$(mktemp -d)
ns=pktop-termbytes-$$
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for s in iftop pktop; do tmux -L "tb-$s-$$" kill-server 2>/dev/null || true; done
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
CGO_ENABLED=0 go build -o "$work/pktop" .
ip netns add "$ns"
ip -n "$ns" link set lo up
# (not through a shell function: $! must be the process itself, which
# ip netns exec becomes)
ip netns exec "$ns" ping -q -i 0.2 127.0.0.1 >/dev/null &
pids+=($!)
ip netns exec "$ns" python3 - "${SCENE:-one}" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
many = sys.argv[1] == "many"
i = 0
while True:
    if many:
        # twelve hosts, each at its own steady rate
        for h in range(12):
            if i % (h + 1) == 0:
                s.sendto(b"x" * (100 + 100 * h), ("127.0.0.%d" % (h + 2), 40000 + h))
    else:
        s.sendto(b"x" * (200 + 300 * (i % 3)), ("127.0.0.1", 40000 + i % 3))
    i += 1
    time.sleep(0.05)
PY
pids+=($!)
sleep 1

measure() { # name command...
	local name=$1; shift
	local out="$work/$name.bytes"
	tmux -L "tb-$name-$$" new-session -d -x "$cols" -y "$rows" -s "$name" "TERM=xterm-256color ip netns exec $ns $*"
	if [ "$name" = pktop ] && [ -n "${PKTOP_KEYS:-}" ]; then
		sleep 1
		tmux -L "tb-$name-$$" send-keys -t "$name" $PKTOP_KEYS
	fi
	sleep "${WARMUP:-2}" # let it start and draw its first screen
	tmux -L "tb-$name-$$" pipe-pane -t "$name" "cat > $out"
	sleep "$secs"
	tmux -L "tb-$name-$$" pipe-pane -t "$name"
	tmux -L "tb-$name-$$" capture-pane -p -t "$name" > "$work/$name.screen"
	tmux -L "tb-$name-$$" kill-session -t "$name"
	local n
	n=$(stat -c %s "$out")
	printf '%-8s %8d bytes in %ss  %6.2f kB/s\n' "$name" "$n" "$secs" "$(echo "$n / $secs / 1000" | bc -l)"
}
echo "terminal bytes at ${cols}x${rows}, steady loopback traffic, ${secs}s each, from ${WARMUP:-2}s after the start:"
measure iftop iftop -i lo
measure pktop "$work/pktop" -i lo
if [ -n "${KEEP:-}" ]; then cp "$work"/*.screen "$work"/*.bytes "$KEEP"/; fi
