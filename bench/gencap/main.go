// Command gencap writes a synthetic Ethernet pcap for benchmarks (see
// package synth for the traffic mix).
//
// Usage: gencap -n 1000000 -sources 5000 -o bench.pcap
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/pktop/pktop/internal/synth"
)

func main() {
	n := flag.Int("n", 1000000, "packets")
	sources := flag.Int("sources", 5000, "distinct source addresses (as many as -n for a flood)")
	out := flag.String("o", "bench.pcap", "output file")
	flag.Parse()
	f, err := os.Create(*out)
	if err == nil {
		err = synth.Write(f, *n, *sources)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gencap:", err)
		os.Exit(1)
	}
}
