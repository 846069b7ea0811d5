#!/usr/bin/env bash
# Live capture benchmark: the highest packet rate pktop captures on a veth
# with no packet dropped, beside tcpdump and iftop on the same load, with
# the CPU each spends per packet.
#
# Usage: sudo bench/live.sh [RATE...]      (packets per second; default below)
#        sudo TOOLS="iftop" SOURCES=10 bench/live.sh 2000 5000 10000
# (TOOLS: which tools; SOURCES: distinct source addresses in the capture,
# 5000 by default; TOPCOUNT: packets sent at top speed, 400000 by
# default)
#
# Two network namespaces joined by a veth pair; tcpreplay sends a
# synthetic capture (bench/gencap: the notes' traffic mix, 40-1500 byte
# frames) out of one end at each rate, and one tool at a time captures on
# the other end. The frames are addressed to no one in the namespaces, so
# they go no further than the receiving veth: nothing leaves the
# namespaces this script creates (and deletes).
#
# A rate passes for a tool when the tool saw every packet sent and its
# drop counters stay at zero: pktop's report (kernel and queue drops),
# tcpdump's "dropped by kernel", and for iftop, which reports no drops,
# the kernel's own counters of its capture socket, read by borrowing the
# socket (pidfd_getfd) and asking PACKET_STATISTICS, as libpcap would. The
# search for a tool stops at its first failing rate. Each rate is then
# run at tcpreplay --topspeed too. CPU is the tool's user+system time
# (/proc/PID/stat) divided by the packets sent.
#
# Tools: pktop -i IF --report json (decodes and counts everything, and
# asks which process owns each new flow: all of them are foreign here,
# "not local"); pktop-noprocs: the same with --no-procs;
# pktop-screen: pktop -i IF with its screen on (in tmux, 160x50; what it
# captured is read off the screen's packet count);
# pktop-export: the same with the exporters on (--listen, scraped every
# second, and --ipfix to a UDP sink in the namespace; --no-screen);
# tcpdump -w /dev/null -B 32768 (capture only, with a ring as large as
# pktop's 32 MiB); iftop -t -n -N -P (decodes and counts hosts).
#
# On a 2-core machine the load generator and the tool would fight for the
# same cores: tcpreplay runs pinned to the last CPU, the tool to the
# others (one core here). The rate that counts is the one tcpreplay
# achieved, which it reports; the highest achieved rate with no drop is
# the tool's figure. TOOL_CPUS=0-1 lets the tool use every core: iftop
# -t spins a core even when idle (85% of one here), so on one core its
# capture thread starves.
#
# Measured on the 2-vCPU development VM (Go 1.26, kernel 6.18, tcpdump
# 4.99.3, iftop 1.0pre4), shared with other builds, so rates vary by run:
#   pktop    no drop at every rate tcpreplay reached, up to 335 kpps
#            (the generator's ceiling on one core); 1.2-1.4 us CPU per
#            packet at 280-335 kpps, 2-4 us at 25-150 kpps (fixed costs).
#            In a busier run: no drop up to 210 kpps achieved.
#   tcpdump  no drop up to 268 kpps (generator-bound too) in the quiet run,
#            dropped at 76 kpps in the busy one; 0.4-0.8 us per packet
#            (it only copies frames to /dev/null).
#   pktop-export (the exporters on) against pktop, 5 paired runs at
#            200 kpps, no drop in either: 1675-1775 ns against 1575-1700
#            ns a packet (medians 1725 and 1625, +6%).
#   iftop    drops at 2 kpps on this mix (12,757 flows); with SOURCES=10,
#            no drop up to 10 kpps, drops at 25 kpps. It spins about 85% of
#            a core even when idle, so its CPU per packet (80-950 us) is
#            mostly that.
#
# Issue 12 (TOOLS="pktop pktop-screen tcpdump" TOPCOUNT=1000000, rates
# 200000 and top speed; tcpreplay now reaches 730-810 kpps here):
#   main     pktop dropped 5% at top speed (880 ns/packet), its screen 19%
#            (1180 ns); at 200 kpps no drop, 1425 and 2225 ns.
#   now      no drop at top speed: pktop 900 ns/packet at 730 kpps, its
#            screen 940 ns at 800 kpps; at 200 kpps 1625 and 1750 ns.
#   tcpdump  140 ns at top speed, 175 ns at 200 kpps.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "live.sh: needs root (network namespaces, capture sockets)" >&2; exit 1; }
for t in ip tcpreplay tcpdump iftop ss go tmux; do
	command -v "$t" >/dev/null || { echo "live.sh: needs $t (apt-get install iproute2 tcpreplay tcpdump iftop tmux)" >&2; exit 1; }
done

TOOLS=${TOOLS:-pktop tcpdump iftop}
# (TOOLS=pktop-export and pktop-noprocs too: see run)
RATES=${*:-25000 50000 100000 150000 200000 300000 400000 600000 800000}
OUT=bench/out/live
mkdir -p "$OUT"
A=pktop-bench-a B=pktop-bench-b IFA=pkbencha IFB=pkbenchb
HZ=$(getconf CLK_TCK)

cleanup() {
	ip netns del $A 2>/dev/null || true
	ip netns del $B 2>/dev/null || true
}
trap cleanup EXIT
cleanup

echo "== building pktop and the benchmark capture"
CGO_ENABLED=0 go build -o "$OUT/pktop" .
SOURCES=${SOURCES:-5000}
CAP=$OUT/bench-$SOURCES.pcap
if [ ! -f "$CAP" ]; then
	# iftop's own capture filter leaves ARP out (2% of the mix): so does
	# the benchmark capture, so that every tool should see every frame.
	go run ./bench/gencap -n 204000 -sources "$SOURCES" -o "$OUT/gen.pcap"
	tcpdump -r "$OUT/gen.pcap" -w "$CAP" not arp 2>/dev/null
	rm "$OUT/gen.pcap"
fi

ip netns add $A
ip netns add $B
for ns in $A $B; do
	ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n $ns link set lo up
done
ip link add $IFA netns $A type veth peer name $IFB netns $B
ip -n $A link set $IFA up
ip -n $B link set $IFB up
sleep 0.5

# sockstats PID: "packets drops" of the packet socket of process PID
# (counted since the last time anyone asked; iftop never asks).
sockstats() {
	python3 - "$1" <<'PY'
import ctypes, os, socket, struct, sys
pid = int(sys.argv[1])
inodes = set()
with open(f"/proc/{pid}/net/packet") as f:
    next(f)
    for line in f:
        inodes.add(line.split()[-1])
libc = ctypes.CDLL(None, use_errno=True)
pidfd = os.pidfd_open(pid)
for name in os.listdir(f"/proc/{pid}/fd"):
    link = os.readlink(f"/proc/{pid}/fd/{name}")
    if link.startswith("socket:[") and link[8:-1] in inodes:
        fd = libc.syscall(438, pidfd, int(name), 0)  # pidfd_getfd
        if fd < 0:
            sys.exit("pidfd_getfd: errno %d" % ctypes.get_errno())
        s = socket.socket(fileno=fd)
        packets, drops, _ = struct.unpack("III", s.getsockopt(263, 6, 12))  # SOL_PACKET, PACKET_STATISTICS
        print(packets - drops, drops)
        break
PY
}

# wait_socket PID: waits until process PID has its packet socket open.
wait_socket() {
	local i inode
	for i in $(seq 100); do
		for inode in $(awk 'NR > 1 {print $NF}' "/proc/$1/net/packet" 2>/dev/null); do
			if ls -l "/proc/$1/fd" 2>/dev/null | grep -q "socket:\[$inode\]"; then
				sleep 0.3
				return 0
			fi
		done
		sleep 0.1
	done
	echo "live.sh: the tool (pid $1) opened no capture socket" >&2
}

NCPU=$(nproc)
GEN_CPU=$((NCPU - 1))
TOOL_CPUS=${TOOL_CPUS:-0-$((NCPU > 1 ? NCPU - 2 : 0))}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

# run TOOL RATE: sends count packets at RATE (or topspeed) while TOOL
# captures; prints "captured drops cpu_ns_per_packet actual_pps".
run() {
	local tool=$1 rate=$2 count pid log=$OUT/$1.$2 opt
	if [ "$rate" = topspeed ]; then
		count=${TOPCOUNT:-400000} opt=--topspeed
	else
		count=$((rate * 2))
		[ $count -ge 100000 ] || count=100000
		opt=--pps=$rate
	fi
	case $tool in
	pktop) ip netns exec $A taskset -c $TOOL_CPUS "$OUT/pktop" -i $IFA --report json >"$log.out" 2>"$log.err" & ;;
	pktop-noprocs) ip netns exec $A taskset -c $TOOL_CPUS "$OUT/pktop" -i $IFA --report json --no-procs >"$log.out" 2>"$log.err" & ;;
	pktop-screen)
		tmux new-session -d -x 160 -y 50 -s pktop-live-$$ "exec ip netns exec $A taskset -c $TOOL_CPUS $OUT/pktop -i $IFA"
		pid=$(tmux display -p -t pktop-live-$$ '#{pane_pid}')
		# ip netns exec execs pktop in the same process.
		;;
	pktop-export)
		# A UDP sink for the IPFIX records and a scrape every second, both
		# on the namespace's loopback (not the captured veth), on the
		# generator's CPU so that they do not count as pktop's.
		ip netns exec $A taskset -c $GEN_CPU python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 4739)); s.settimeout(60)
while True: s.recv(65535)' >/dev/null 2>&1 &
		SINK=$!
		ip netns exec $A taskset -c $TOOL_CPUS "$OUT/pktop" -i $IFA --report json --listen 127.0.0.1:9474 --ipfix 127.0.0.1:4739 >"$log.out" 2>"$log.err" &
		pid=$!
		(while kill -0 $pid 2>/dev/null; do ip netns exec $A taskset -c $GEN_CPU curl -s -o "$log.scrape" 127.0.0.1:9474/metrics; sleep 1; done) >/dev/null 2>&1 &
		SCRAPER=$! ;;
	tcpdump) ip netns exec $A taskset -c $TOOL_CPUS tcpdump -n -B 32768 -i $IFA -w /dev/null >"$log.out" 2>"$log.err" & ;;
	iftop) ip netns exec $A taskset -c $TOOL_CPUS iftop -t -n -N -P -i $IFA >"$log.out" 2>"$log.err" & ;;
	esac
	[ "$tool" = pktop-export ] || [ "$tool" = pktop-screen ] || pid=$!
	wait_socket $pid
	# iftop sets its capture up (and libpcap clears the socket's counters)
	# a while after the socket appears.
	[ "$tool" != iftop ] || sleep 2
	ip netns exec $B taskset -c $GEN_CPU tcpreplay -q -K -i $IFB $opt --limit=$count --loop=0 "$CAP" >"$log.replay" 2>&1
	sleep 1.5
	local cpu drops=0 captured
	cpu=$(cpu_ticks $pid)
	local ss=""
	[ "$tool" = iftop ] && ss=$(sockstats $pid)
	if [ "$tool" = pktop-screen ]; then
		# A live screen settles every two seconds: wait for it.
		sleep 2.5
		read -r captured sdrops < <(tmux capture-pane -p -t pktop-live-$$ | awk '$1 == "pkts" {gsub(",", "", $2); c = $2}
			{for (i = 1; i < NF; i++) if ($i == "drops") {gsub(",", "", $(i+1)); split($(i+1), d, "+"); n = d[1] + d[2]}}
			END {print c, n + 0}')
		tmux kill-session -t pktop-live-$$
	else
		kill -INT $pid 2>/dev/null || true
		wait $pid 2>/dev/null || true
	fi
	if [ "$tool" = pktop-export ]; then
		kill $SINK $SCRAPER 2>/dev/null || true
		wait $SINK $SCRAPER 2>/dev/null || true
	fi
	case $tool in
	pktop-screen) ;; # drops: below, once sent is known
	pktop | pktop-export | pktop-noprocs)
		captured=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["packets"])' "$log.out")
		drops=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["kernel_drops"]+d["queue_drops"])' "$log.out") ;;
	tcpdump)
		captured=$(awk '/packets captured/ {print $1}' "$log.err")
		drops=$(awk '/dropped by kernel/ {print $1}' "$log.err") ;;
	iftop)
		read -r captured drops <<<"${ss:-? ?}" ;;
	esac
	local actual
	actual=$(grep -o 'Actual: [0-9]* packets[^(]*([0-9]* bytes) sent in [0-9.]* seconds' "$log.replay" | head -1)
	local secs sent
	sent=$(echo "$actual" | awk '{print $2}')
	secs=$(echo "$actual" | awk '{print $(NF-1)}')
	[ "$tool" != pktop-screen ] || drops=${sdrops:-?}
	local pps=0 ns=0
	if [ -n "$sent" ] && [ "$sent" -gt 0 ]; then
		pps=$(awk -v n="$sent" -v s="$secs" 'BEGIN {printf "%d", (s > 0 ? n / s : 0)}')
		ns=$(awk -v c="$cpu" -v hz="$HZ" -v n="$sent" 'BEGIN {printf "%d", c * 1e9 / hz / n}')
	fi
	echo "${sent:-0} ${captured:-?} ${drops:-?} $ns $pps"
}

printf "%-12s %-10s %10s %10s %10s %8s %10s %s\n" tool rate sent captured drops ns/pkt actual_pps result | tee "$OUT/results.txt"
declare -A best
for tool in $TOOLS; do
	best[$tool]=0
	for rate in $RATES topspeed; do
		read -r sent captured drops ns pps < <(run $tool $rate)
		ok=fail
		if [ "$drops" = 0 ] && [ "$captured" = "$sent" ]; then
			ok=pass
			[ "$pps" -le "${best[$tool]}" ] || best[$tool]=$pps
		fi
		printf "%-12s %-10s %10s %10s %10s %8s %10s %s\n" $tool $rate "$sent" "$captured" "$drops" "$ns" "$pps" $ok | tee -a "$OUT/results.txt"
		if [ $ok = fail ] && [ "$rate" != topspeed ]; then
			# Past the first failure only the full-speed run is left.
			read -r sent captured drops ns pps < <(run $tool topspeed)
			ok=fail
			[ "$drops" = 0 ] && [ "$captured" = "$sent" ] && ok=pass
			printf "%-12s %-10s %10s %10s %10s %8s %10s %s\n" $tool topspeed "$sent" "$captured" "$drops" "$ns" "$pps" $ok | tee -a "$OUT/results.txt"
			break
		fi
	done
done
echo
for tool in $TOOLS; do
	echo "$tool: highest achieved rate with no drop: ${best[$tool]} pps" | tee -a "$OUT/results.txt"
done
echo "(logs in $OUT)"
