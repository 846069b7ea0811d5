#!/usr/bin/env python3
"""Writes what tshark says of a capture, as the JSON that testdata/expect/ holds.

usage: expect.py CAPTURE > testdata/expect/NAME.json

The definitions are those of the replay issue (and of shared/tools/tshark-check):
packets and bytes (frame.len); per address of the OUTERMOST IP header, frames
and bytes; per protocol (ipv4 ipv6 arp tcp udp icmp icmpv6), frames carrying it,
tunnels decoded through, stopping at ICMP (quoted headers are not traffic);
frames per tshark plen bucket. pcapng custom blocks, which tshark lists as
frames, are not packets and are left out (they have no interface).
"""
import json, subprocess, sys
from collections import defaultdict

NAMES = {"ip": "ipv4", "ipv6": "ipv6", "arp": "arp", "tcp": "tcp", "udp": "udp", "icmp": "icmp", "icmpv6": "icmpv6"}
BUCKETS = [0, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120]


def main():
    cap = sys.argv[1]
    with open(cap, "rb") as f:
        pcapng = f.read(4) == b"\x0a\x0d\x0d\x0a"
    cmd = ["tshark", "-n", "-r", cap, "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
           "-T", "fields", "-E", "separator=/t", "-E", "occurrence=f",
           "-e", "frame.len", "-e", "frame.protocols", "-e", "ip.src", "-e", "ip.dst",
           "-e", "ipv6.src", "-e", "ipv6.dst", "-e", "frame.interface_id"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    tot = {"packets": 0, "bytes": 0}
    hosts = defaultdict(lambda: [0, 0])
    protos = defaultdict(int)
    sizes = [0] * len(BUCKETS)
    for line in out.splitlines():
        f = line.split("\t")
        f += [""] * (7 - len(f))
        if pcapng and f[6] == "":
            continue  # a custom block, not a packet
        n = int(f[0])
        tot["packets"] += 1
        tot["bytes"] += n
        seen, outer = set(), None
        for t in f[1].split(":"):
            if outer is None and t in ("ip", "ipv6"):
                outer = t
            if t in NAMES:
                seen.add(NAMES[t])
            if t in ("icmp", "icmpv6"):
                break
        for s in seen:
            protos[s] += 1
        addrs = {f[2], f[3]} if outer == "ip" else {f[4], f[5]} if outer == "ipv6" else set()
        for a in addrs:
            if a:
                hosts[a][0] += 1
                hosts[a][1] += n
        i = max(k for k, lo in enumerate(BUCKETS) if n >= lo)
        sizes[i] += 1
    json.dump({"capture": cap.split("/")[-1], **tot, "hosts": dict(sorted(hosts.items())),
               "protocols": dict(sorted(protos.items())), "sizes": sizes}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
