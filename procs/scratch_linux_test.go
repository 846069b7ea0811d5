package procs

import (
	"net"
	"net/netip"
	"testing"
	"time"
	"os/exec"
)

func TestScratch(t *testing.T) {
	r, err := New(Config{Logf: t.Logf})
	if err != nil { t.Fatal(err) }
	defer r.Close()
	ln, _ := net.Listen("tcp4", "127.0.0.1:0")
	go func() { for { c, err := ln.Accept(); if err != nil { return }; go func() { b := make([]byte, 10); c.Read(b); c.Close() }() } }()
	cl, _ := net.Dial("tcp4", ln.Addr().String())
	l := netip.MustParseAddrPort(cl.LocalAddr().String())
	rm := netip.MustParseAddrPort(cl.RemoteAddr().String())
	r.Ask(FlowKey{Proto: ProtoTCP, Src: l, Dst: rm})
	// short-lived curl
	cmd := exec.Command("curl", "-s", "-o", "/dev/null", "http://"+ln.Addr().String()+"/")
	cmd.Run()
	t.Log("curl pid", cmd.Process.Pid)
	time.Sleep(20*time.Millisecond)
	out, _ := exec.Command("ss", "-tan").Output()
	t.Log(string(out))
	for i := 0; i < 2; i++ {
		select {
		case as := <-r.Answers():
			for _, a := range as { t.Logf("%v\n src %+v\n dst %+v", a.Key, a.Src, a.Dst) }
		case <-time.After(time.Second):
		}
	}
	t.Logf("%+v", r.Stats())
}
