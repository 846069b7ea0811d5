//go:build linux

package procs

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

const capsChildEnv = "PKTOP_PROCS_CAPS_CHILD"

// TestPrivilegesKept proves which capabilities attribution needs after
// the drop: a child of this test becomes nobody, keeping KeepWhileOn or
// nothing, and asks who holds a socket of this (root) process. With the
// capabilities it names this process; without, it cannot read this
// process's descriptors.
func TestPrivilegesKept(t *testing.T) {
	if os.Getenv(capsChildEnv) != "" {
		capsChild(t)
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	for _, keep := range []string{"keep", "none"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestPrivilegesKept$", "-test.v")
		cmd.Env = append(os.Environ(), capsChildEnv+"="+keep)
		stdin, _ := cmd.StdinPipe()
		stdout, _ := cmd.StdoutPipe()
		cmd.Stderr = cmd.Stdout
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		rd := bufio.NewReader(stdout)
		var out strings.Builder
		line := ""
		for {
			l, err := rd.ReadString('\n')
			out.WriteString(l)
			if strings.Contains(l, "dropped") {
				// A connection the child has not seen before its drop.
				c, err := net.Dial("tcp4", ln.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				fmt.Fprintf(stdin, "%s,%s\n", c.LocalAddr(), c.RemoteAddr())
			}
			if i := strings.Index(l, "owner: "); i >= 0 {
				line = strings.TrimSpace(l[i+7:])
			}
			if err != nil {
				break
			}
		}
		err := cmd.Wait()
		if strings.Contains(out.String(), errCgo.Error()) {
			t.Skip("a cgo test binary cannot change every thread's credentials: run with CGO_ENABLED=0 (.ci/run does)")
		}
		if err != nil {
			t.Fatalf("child (%s): %v\n%s", keep, err, out.String())
		}
		t.Logf("as nobody, %s capabilities: %s", keep, line)
		me := "pid=" + strconv.Itoa(os.Getpid()) + " "
		if keep == "keep" && !strings.HasPrefix(line, me) {
			t.Errorf("with %v kept, the socket's owner is %q, want %s", KeepWhileOn, line, me)
		}
		if keep == "none" && (strings.HasPrefix(line, me) || line == "") {
			t.Errorf("without capabilities: %q, want no process", line)
		}
	}
}

func capsChild(t *testing.T) {
	f := strings.Split(os.Getenv(capsChildEnv), ",")
	var keep []int
	if f[0] == "keep" {
		keep = KeepWhileOn
	}
	// Start the resolver before the drop, as pktop would, then drop.
	r, err := New(Config{NoHook: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := SetuidKeeping(65534, 65534, keep); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 65534 {
		t.Fatalf("euid %d", os.Geteuid())
	}
	fmt.Println("dropped")
	l, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	f = strings.Split(strings.TrimSpace(l), ",")
	// A new flow after the drop: the resolver walks /proc again.
	k := FlowKey{Proto: ProtoTCP, Src: netip.MustParseAddrPort(f[0]), Dst: netip.MustParseAddrPort(f[1])}
	r.Ask(k)
	select {
	case as := <-r.Answers():
		o := as[0].Src
		t.Logf("owner: pid=%d command=%s reason=%s", o.PID, o.Command, o.Reason)
	case <-time.After(5 * time.Second):
		t.Fatal("no answer")
	}
}
