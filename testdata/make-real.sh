#!/bin/sh
# Remakes testdata/captures/pktop_lo_any_*: real captures of loopback
# traffic (HTTP over IPv4 and IPv6 with curl, ping, ping -6, dig to a
# port with no server), taken by tcpdump on "any" (Linux cooked v2, what
# "tcpdump -i any" writes) and by dumpcap on lo and any at once (pcapng
# with two interfaces of two link types). Needs root, tcpdump, dumpcap
# (tshark), curl, dig, python3. Then run testdata/gen-expect.sh.
set -e
out=$(pwd)/testdata/captures
tmp=$(mktemp -d)
cd "$tmp"
python3 -m http.server 18080 --bind 127.0.0.1 >/dev/null 2>&1 & s4=$!
python3 -m http.server 18081 --bind ::1 >/dev/null 2>&1 & s6=$!
sleep 1
tcpdump -i any -U -w any.pcap 'port 18080 or port 18081 or icmp or icmp6 or udp port 53' >/dev/null 2>&1 & td=$!
dumpcap -q -i lo -i any -w multi.pcapng -f 'port 18080 or icmp' >/dev/null 2>&1 & dc=$!
sleep 2
for i in 1 2 3; do curl -s -o /dev/null http://127.0.0.1:18080/; curl -s -o /dev/null 'http://[::1]:18081/'; done
ping -c 3 -i 0.2 127.0.0.1 >/dev/null; ping -6 -c 3 -i 0.2 ::1 >/dev/null
dig +time=1 +tries=1 @127.0.0.1 example.com >/dev/null 2>&1 || true
sleep 1
kill $td $dc $s4 $s6
sleep 1
cp any.pcap "$out/pktop_lo_any_sll2.pcap"
cp multi.pcapng "$out/pktop_lo_any_multi.pcapng"
rm -rf "$tmp"
