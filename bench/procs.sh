#!/usr/bin/env bash
# Measures process attribution (issue 11) on the workload of
# bench/procs-workload.sh, in two network namespaces it makes and removes:
# pktop's resolver (package procs) and, watching the same run, nethogs
# when it is installed (apt-get install nethogs). Prints, for each program
# of the workload, the share of its bytes each gave to the right pid and
# command. Needs root, ip, nsenter, curl, dig, python3.
#
# usage: sudo bench/procs.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PKTOP_PROCS_COMPARE=1 go test -count=1 -run '^TestAttributionWorkload$' -v ./procs |
	sed -n 's/^ *workload_linux_test.go:[0-9]*: *//p' | sed 's/^ *[a-z_]*\.go:[0-9]*: //'
