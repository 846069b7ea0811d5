//go:build linux && !libpcap

package sniff

import (
	"net"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
)

func TestDirectionGuard(t *testing.T) {
	lo := &net.Interface{Index: 1, Name: "lo", Flags: net.FlagUp | net.FlagLoopback}
	eth := &net.Interface{Index: 2, Name: "eth0", Flags: net.FlagUp}
	if g := directionGuard(false, eth); g != nil {
		t.Errorf("guard on a non-loopback interface: %v", g)
	}
	for _, g := range [][]bpf.Instruction{directionGuard(false, lo), directionGuard(true, nil)} {
		prog := append(g, bpf.RetConstant{Val: 262144})
		if _, err := bpf.Assemble(prog); err != nil {
			t.Fatalf("guard does not assemble: %v", err)
		}
		// Every jump of the guard lands inside the program and its
		// fall-through reaches the filter that follows.
		for i, ins := range g {
			if j, ok := ins.(bpf.JumpIf); ok {
				if i+1+int(j.SkipFalse) != len(g) && i+1+int(j.SkipTrue) != len(g)-1 {
					t.Errorf("guard jump %d: %+v", i, j)
				}
			}
		}
		if r, ok := g[len(g)-1].(bpf.RetConstant); !ok || r.Val != 0 {
			t.Errorf("guard does not end with ret #0: %v", g)
		}
	}
}

func TestHwLinkType(t *testing.T) {
	for hw, want := range map[int]layers.LinkType{1: layers.LinkTypeEthernet, 772: layers.LinkTypeEthernet, 65534: layers.LinkTypeRaw} {
		if lt, ok := hwLinkType(hw); !ok || lt != want {
			t.Errorf("ARPHRD %d: %v %v, want %v", hw, lt, ok, want)
		}
	}
	if _, ok := hwLinkType(803); ok {
		t.Error("radiotap taken for a link pktop captures raw")
	}
	if hw := arphrd("lo"); hw != 772 {
		t.Errorf("lo's ARPHRD is %d", hw)
	}
}

func TestInterfaces(t *testing.T) {
	ifs, err := Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, i := range ifs {
		s = append(s, i.String())
	}
	all := strings.Join(s, "\n")
	if !strings.Contains(all, ".lo [Up, Running, Loopback] loopback 127.0.0.1/8") || !strings.HasSuffix(all, "0.any [Up, Running] all interfaces") {
		t.Errorf("pktop -D:\n%s", all)
	}
}
