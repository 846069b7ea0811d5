package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pktop/pktop/internal/procload"
)

// TestProcessScreenLive runs the real pktop on the screen (in tmux), live
// in the "host" namespace of internal/procload while the attribution
// workload runs: the Processes tab lists the workload's programs with
// their pids (the container's curl with its namespace) and the rows of
// traffic no process owns; Enter on the busiest process focuses every
// pane on it; q gives the terminal back.
//
// With PKTOP_SHOTS=DIR the two screens are also written, with their
// colours, to DIR/processes.ansi and DIR/processes-focus.ansi
// (screenshots/make.sh turns them into the README's pictures).
func TestProcessScreenLive(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: network namespaces, live capture")
	}
	for _, tool := range append([]string{"tmux"}, procload.Tools...) {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s", tool)
		}
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "pktop")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	n := procload.NewNet(t)
	procload.StartServer(t, ".", n)
	s := newTmux(t, 120, 40, "nsenter --net=/run/netns/"+n.Host+" "+bin+" -i vh")
	s.wait("live")
	// Live, the sparklines start hidden; b shows them.
	s.wait("b sparklines")
	if strings.Contains(s.pane(), "LAST 40s") {
		t.Errorf("a live screen starts with its sparklines:\n%s", s.pane())
	}
	s.send("b")
	s.wait("LAST 40s")
	done := make(chan struct{})
	go func() {
		defer close(done)
		procload.Run(t, ".", n, filepath.Join(dir, "manifest"), 80)
	}()
	defer func() { <-done }()
	time.Sleep(3500 * time.Millisecond)
	s.send("Tab", "Tab", "Tab", "Tab")
	s.wait("PROCESS PID USER CONTAINER")
	waitRe(t, s, `(?m)^curl \d+ root `, "a row of curl with its pid and user")
	waitRe(t, s, `(?m)^python3 \d+ root netns:`+n.Server, "the server's row, with its namespace")
	waitRe(t, s, `(?m)^curl \d+ root netns:`+n.Ctr, "the container's curl, with its namespace")
	shot(t, s, "processes")
	s.send("Enter")
	p := waitRe(t, s, `live  vh  up \S+  focus (python3|curl) \d+`, "the focus on a process, named, in the header")
	if !strings.Contains(p, procload.ServerAddr) {
		t.Errorf("the focus on a process should show its hosts:\n%s", p)
	}
	shot(t, s, "processes-focus")
	s.send("q")
	s.restored(0)
}

// waitRe polls the pane until it matches re.
func waitRe(t *testing.T, s *tmuxSession, re, what string) string {
	t.Helper()
	r := regexp.MustCompile(re)
	p := s.pane()
	for end := time.Now().Add(10 * time.Second); !r.MatchString(p); p = s.pane() {
		if time.Now().After(end) {
			t.Fatalf("the screen never showed %s:\n%s", what, p)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return p
}

// shot writes the pane with its colours to $PKTOP_SHOTS/NAME.ansi.
func shot(t *testing.T, s *tmuxSession, name string) {
	d := os.Getenv("PKTOP_SHOTS")
	if d == "" {
		return
	}
	out, err := s.tmux("capture-pane", "-p", "-e", "-t", "e2e")
	if err != nil {
		t.Fatalf("capture-pane: %v", err)
	}
	if err := os.WriteFile(filepath.Join(d, name+".ansi"), []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
}
