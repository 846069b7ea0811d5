#!/usr/bin/env bash
# Measures process attribution (issue 11) on the workload of
# bench/procs-workload.sh, in network namespaces it makes and removes
# (internal/procload): pktop itself (pktop -i vh --report json, checked
# flow by flow against tcpdump on the same interface) and its resolver
# alone (package procs), each with nethogs watching the same run when it
# is installed (apt-get install nethogs). Prints, for each program of the
# workload, the share of its bytes each gave to the right pid and command,
# for connections under 50 ms and of 50 ms or more.
# Needs root, ip, nsenter, curl, dig, python3, tcpdump.
#
# usage: sudo bench/procs.sh [RUNS]     (default 1; each run takes ~25 s)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-1}
for i in $(seq 1 "$runs"); do
	echo "== run $i: pktop (TestProcessAttributionLive)"
	PKTOP_PROCS_COMPARE=1 go test -count=1 -run '^TestProcessAttributionLive$' -v . |
		sed -n 's/^ *procs_live_test.go:[0-9]*: *//p' | grep -v '^pktop' | grep -Ev '^ +pktop:'
	echo "== run $i: the resolver alone (TestAttributionWorkload)"
	PKTOP_PROCS_COMPARE=1 go test -count=1 -run '^TestAttributionWorkload$' -v ./procs |
		sed -n 's/^ *workload_linux_test.go:[0-9]*: *//p' | sed 's/^ *[a-z_]*\.go:[0-9]*: //'
done
