#!/bin/sh
# Regenerates testdata/expect/*.json from tshark (apt-get install tshark).
# Run from the repository root. .ci/run runs it and fails on any difference,
# so the committed expectations always say what tshark says.
set -e
out=${1:-testdata/expect}
mkdir -p "$out"
for f in testdata/captures/* testdata/malformed/*; do
	b=$(basename "$f")
	# Only captures that tshark reads cleanly have expectations.
	if tshark -n -r "$f" -T fields -e frame.number >/dev/null 2>/tmp/tshark-err.$$ && ! grep -qv "Running as user" /tmp/tshark-err.$$; then
		python3 testdata/expect.py "$f" > "$out/$b.json"
	fi
done
rm -f /tmp/tshark-err.$$
# The capture built into the binary (pktop --demo).
gzip -dc sniff/demo/example.pcap.gz > /tmp/pktop-demo.$$.pcap
python3 testdata/expect.py /tmp/pktop-demo.$$.pcap | sed "s/pktop-demo.$$.pcap/demo/" > "$out/demo.json"
rm -f /tmp/pktop-demo.$$.pcap
