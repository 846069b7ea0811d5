#!/usr/bin/env bash
# The workload of the attribution measurement (issue 11): known programs
# whose bytes a process monitor must give to the right pid and command.
# Run it inside the "host" namespace, with bench/procs-server.py serving
# on SERVER (ports 8001-8004 HTTP, 5300 DNS-shaped UDP, 5301 UDP sink) and
# CTR the name of a second namespace (the "container") that reaches SERVER.
# Each client it starts is written to MANIFEST as "role pid".
#
#   short   a loop of curl requests of a few ms each (2 kB)
#   medium  curl requests the server holds 80 ms (connections of ~85 ms)
#   long    one download of 16 MB at 4 MB/s (~4 s)
#   dig     a loop of dig queries (UDP, a few ms each)
#   udp     one python program sending 1 kB datagrams for 2 s
#   ctr     a download of 4 MB at 2 MB/s from inside CTR, and short
#           requests from there too
#
# usage: procs-workload.sh SERVER CTR MANIFEST [ROUNDS]
set -u
host=$1 ctr=$2 manifest=$3 rounds=${4:-40}
: > "$manifest"
m() { echo "$1 $2" >> "$manifest"; }

# (curl itself, not a shell function, goes in the background: $! must be
# curl's pid)
q="-s -o /dev/null --max-time 20"

(
	curl $q --limit-rate 4M "http://$host:8002/big?bytes=16000000" & m long $!
	wait
) &
(
	sleep 0.2
	ip netns exec "$ctr" curl -s -o /dev/null --max-time 20 --limit-rate 2M "http://$host:8003/big?bytes=4000000" & m ctr $!
	wait
	for i in $(seq 1 10); do
		ip netns exec "$ctr" curl -s -o /dev/null --max-time 5 "http://$host:8003/small" & m ctr $!
		wait $!
	done
) &
(
	python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(200):
    s.sendto(b"u" * 1000, (sys.argv[1], 5301))
    time.sleep(0.01)
' "$host" & m udp $!
	wait
) &
for i in $(seq 1 "$rounds"); do
	curl $q "http://$host:8001/small" & m short $!
	wait $!
	dig +short +tries=1 +time=1 @"$host" -p 5300 "q$i.example.test" >/dev/null & m dig $!
	wait $!
	if [ $((i % 2)) = 0 ]; then
		curl $q "http://$host:8004/slow" & m medium $!
		wait $!
	fi
	sleep 0.05
done
wait
