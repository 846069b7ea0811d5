#!/usr/bin/env bash
# Makes the PNGs in screenshots/ from real runs: builds pktop, runs it in
# tmux at a fixed size on real captures (the built-in demo capture and
# one of testdata/captures), types keys, captures the pane with its
# colours (tmux capture-pane -p -e) and renders it with ansi2png.py.
#
# Needs: go, tmux, python3-pil, fonts-dejavu-core (Debian packages:
#   apt-get install -y tmux python3-pil fonts-dejavu-core). As root, with
# curl, dig and python3, it also shows the Processes table of a live
# capture: TestProcessScreenLive runs pktop in tmux in network namespaces
# while the attribution workload runs, and writes the two screens.
# Usage: screenshots/make.sh   (from anywhere; rewrites screenshots/*.png)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."
bin=$(mktemp -d)/pktop
go build -o "$bin" .
sock=
trap 'if [ -n "$sock" ]; then tmux -L "$sock" kill-server 2>/dev/null || true; fi; rm -rf "$(dirname "$bin")"' EXIT

# shot NAME COLS ROWS SECONDS "PKTOP ARGS" [KEYS...]: starts pktop, waits
# SECONDS, types each key (half a second apart), then captures.
shot() {
	local name=$1 cols=$2 rows=$3 wait=$4 args=$5
	shift 5
	sock=pktop-shots-$$-$name # a tmux server of its own for each shot
	tmux -L "$sock" new-session -d -x "$cols" -y "$rows" -s shot "TERM=xterm-256color $bin $args; sleep 30"
	sleep "$wait"
	for k in "$@"; do
		tmux -L "$sock" send-keys -t shot "$k"
		sleep 0.5
	done
	tmux -L "$sock" capture-pane -p -e -t shot >"$here/$name.ansi"
	/usr/bin/python3 "$here/ansi2png.py" "$cols" "$rows" <"$here/$name.ansi" >"$here/$name.png"
	rm -f "$here/$name.ansi"
	tmux -L "$sock" kill-server 2>/dev/null || true
	sock=
	echo "$name.png"
}

shot talkers 120 40 6 "--demo --speed 1"
shot wide-160x40 160 40 3 "--demo --speed 0"
shot flows 140 36 2 "--demo --speed 0" p
shot conversations 120 40 5 "--demo --speed 1" Tab t
shot protocols 100 30 2 "-r testdata/captures/pcpp_sll.pcap --speed 0" Tab Tab
shot histogram 160 44 3 "--demo --speed 0" j Enter
shot small-80x24 80 24 6 "--demo --speed 1"
shot help 100 44 2 "--demo --speed 1" h

if [ "$(id -u)" = 0 ]; then
	shots=$(mktemp -d)
	PKTOP_SHOTS=$shots go test -count=1 -run '^TestProcessScreenLive$' . >/dev/null
	for name in processes processes-focus; do
		/usr/bin/python3 "$here/ansi2png.py" 120 40 <"$shots/$name.ansi" >"$here/$name.png"
		echo "$name.png"
	done
	rm -rf "$shots"
else
	echo "not root: processes.png and processes-focus.png (a live capture in namespaces) are left as they are"
fi
