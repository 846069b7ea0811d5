package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tmuxSession runs the real pktop binary in a detached tmux session of
// its own server, for end-to-end tests of the screen.
type tmuxSession struct {
	t      *testing.T
	socket string
}

func (s *tmuxSession) tmux(args ...string) (string, error) {
	out, err := exec.Command("tmux", append([]string{"-L", s.socket}, args...)...).CombinedOutput()
	return string(out), err
}

// newTmux starts cmd in a w x h tmux pane; when cmd ends, the pane's
// shell prints its exit status and stays.
func newTmux(t *testing.T, w, h int, cmd string) *tmuxSession {
	t.Helper()
	return newTmuxTerm(t, w, h, "xterm-256color", cmd)
}

// newTmuxTerm is newTmux with the terminal type term.
func newTmuxTerm(t *testing.T, w, h int, term, cmd string) *tmuxSession {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed")
	}
	s := &tmuxSession{t: t, socket: fmt.Sprintf("pktop-e2e-%d-%d", os.Getpid(), time.Now().UnixNano())}
	shell := "TERM=" + term + " " + cmd + "; echo PKTOP-EXIT=$?; sleep 60"
	if out, err := s.tmux("new-session", "-d", "-x", fmt.Sprint(w), "-y", fmt.Sprint(h), "-s", "e2e", shell); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(func() { s.tmux("kill-server") })
	return s
}

func (s *tmuxSession) send(keys ...string) {
	s.t.Helper()
	if out, err := s.tmux(append([]string{"send-keys", "-t", "e2e"}, keys...)...); err != nil {
		s.t.Fatalf("tmux send-keys %q: %v\n%s", keys, err, out)
	}
}

func (s *tmuxSession) pane() string {
	out, _ := s.tmux("capture-pane", "-p", "-t", "e2e")
	return out
}

// wait polls the pane until it shows want.
func (s *tmuxSession) wait(want string) string {
	s.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		p := s.pane()
		if strings.Contains(p, want) {
			return p
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the pane never showed %q; it shows:\n%s", want, p)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitGone polls the pane until it no longer shows text.
func (s *tmuxSession) waitGone(text string) {
	s.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for strings.Contains(s.pane(), text) {
		if time.Now().After(deadline) {
			s.t.Fatalf("the pane still shows %q:\n%s", text, s.pane())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// restored checks that pktop exited with status want and gave the
// terminal back: the normal screen, no mouse mode, the cursor shown.
func (s *tmuxSession) restored(want int) {
	s.t.Helper()
	p := s.wait("PKTOP-EXIT=")
	if !strings.Contains(p, fmt.Sprintf("PKTOP-EXIT=%d", want)) {
		s.t.Errorf("pktop should exit with %d:\n%s", want, p)
	}
	if strings.Contains(p, "q quit") {
		s.t.Errorf("the screen was not restored:\n%s", p)
	}
	flags, _ := s.tmux("display-message", "-p", "-t", "e2e", "#{alternate_on} #{mouse_any_flag} #{cursor_flag}")
	if got := strings.TrimSpace(flags); got != "0 0 1" {
		s.t.Errorf("terminal modes after exit (alternate screen, mouse, cursor): got %q; want \"0 0 1\"", got)
	}
}

// buildPktop builds the binary once per test run.
func buildPktop(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed")
	}
	bin := filepath.Join(t.TempDir(), "pktop")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestE2EScreen runs pktop on the built-in capture in tmux, types keys,
// reads the pane, and quits with q.
func TestE2EScreen(t *testing.T) {
	bin := buildPktop(t)
	s := newTmux(t, 120, 40, bin+" --demo --speed 0")
	s.wait("end of capture")
	s.wait("10.0.0.6")
	s.wait("Protocols")

	s.send("Tab")
	s.wait("CONVERSATION")
	s.send("s")
	s.wait("40s↓")
	s.send("/")
	s.wait("show rows (l, /):")
	s.send("-l", "dns")
	s.wait("show dns")
	s.send("Enter")
	p := s.waitGoneAnd("show rows (l, /):")
	// The busiest conversation is with a CDN address named by what its
	// client asked for: www, images1 or go.ynet.co.il.
	if strings.Contains(p, "ynet.co.il") {
		t.Errorf("the dns filter should hide the web conversations:\n%s", p)
	}
	s.send("Escape")
	s.wait("ynet.co.il")
	s.send("?")
	s.wait("pktop keys")
	s.send("Escape")
	s.waitGone("pktop keys")
	s.send("BTab")
	s.wait("HOST")
	s.send("Enter")
	s.wait("focus 10.0.0.6")
	// The focus covers the whole capture: the file is read again for it,
	// and every pane shows the row's own traffic (no "since", no "none
	// yet"). 10.0.0.6 is in every packet but 22: its protocols and sizes
	// are nearly all of the capture's, its conversations all.
	p = s.wait("Protocols: 10.0.0.6")
	if strings.Contains(p, "since") || strings.Contains(p, "none yet") {
		t.Errorf("the focus does not cover the whole capture:\n%s", p)
	}
	s.send("BSpace")
	s.wait("back to all traffic")
	s.send("q")
	s.restored(0)
}

// waitGoneAnd waits until text is gone and returns the pane.
func (s *tmuxSession) waitGoneAnd(text string) string {
	s.t.Helper()
	s.waitGone(text)
	return s.pane()
}

// TestE2EReplayKeys checks the replay controls on a paced replay: speed,
// pause, step; and Ctrl-C.
func TestE2EReplayKeys(t *testing.T) {
	bin := buildPktop(t)
	s := newTmux(t, 100, 30, bin+" --demo --speed 0.5")
	s.wait("running x0.5")
	s.send("+")
	s.wait("running x1")
	s.send("Space")
	s.wait("paused")
	s.send(".")
	s.wait("stepped one second")
	s.send("P")
	s.wait("resumed")
	s.send("C-c")
	s.restored(0)
}

// TestE2ESignals checks that SIGTERM, SIGHUP (an SSH connection
// dropping), SIGINT and SIGQUIT stop pktop and restore the terminal.
func TestE2ESignals(t *testing.T) {
	bin := buildPktop(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT} {
		t.Run(sig.String(), func(t *testing.T) {
			s := newTmux(t, 80, 24, bin+" --demo --speed 1")
			s.wait("running x1")
			out, _ := s.tmux("display-message", "-p", "-t", "e2e", "#{pane_pid}")
			shell := strings.TrimSpace(out)
			kids, err := os.ReadFile("/proc/" + shell + "/task/" + shell + "/children")
			if err != nil {
				t.Skipf("cannot find pktop under the pane's shell: %v", err)
			}
			var pid int
			if _, err := fmt.Sscan(string(kids), &pid); err != nil {
				t.Fatalf("no child of the pane's shell %s: %q", shell, kids)
			}
			sent := time.Now()
			if err := syscall.Kill(pid, sig); err != nil {
				t.Fatal(err)
			}
			s.restored(0)
			t.Logf("%v: pktop gone and the terminal restored %v after the signal", sig, time.Since(sent).Round(time.Millisecond))
		})
	}
}

// TestE2EDamaged checks that a damaged capture keeps the screen up with
// the error in the header, then exits 1 with the error on stderr.
func TestE2EDamaged(t *testing.T) {
	bin := buildPktop(t)
	data, err := os.ReadFile(filepath.Join("testdata", "captures", "pcpp_DnsPackets.pcap"))
	if err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	cut := filepath.Join(dir, "cut.pcap")
	if err := os.WriteFile(cut, data[:30000], 0o644); err != nil {
		t.Fatal(err)
	}
	errFile := filepath.Join(dir, "stderr")
	s := newTmux(t, 120, 30, bin+" -r "+cut+" --speed 0 2>"+errFile)
	s.wait(": damaged at byte")
	s.wait("HOST")
	s.send("q")
	s.restored(1)
	msg, _ := os.ReadFile(errFile)
	if !strings.HasPrefix(string(msg), "pktop: "+cut+": damaged at byte") || strings.Count(string(msg), "\n") != 1 {
		t.Errorf("stderr should hold the one-line error; got %q", msg)
	}
}

// TestE2EStdinTerminal: pktop -r - with a terminal for its standard input
// says it waits for a capture there, and Ctrl-C stops it.
func TestE2EStdinTerminal(t *testing.T) {
	bin := buildPktop(t)
	s := newTmux(t, 100, 20, bin+" -r -")
	s.wait("waiting for a capture on standard input, which is this terminal")
	s.send("C-c")
	s.restored(130)
}

// TestE2ECaptureFilter: f changes the capture filter of a running replay
// from the screen, compiled in pktop (no tcpdump needed); the frames it
// rejects from then on are counted as filtered.
func TestE2ECaptureFilter(t *testing.T) {
	bin := buildPktop(t)
	s := newTmux(t, 120, 30, "PATH=/nonexistent "+bin+" --demo --speed 2")
	s.wait("running x2")
	s.send("f")
	s.wait("capture filter (tcpdump expression")
	s.send("-l", "udp port 53")
	s.send("Enter")
	s.wait("capture filter applied")
	s.wait("filter udp port 53")
	s.wait("filtered ")
	s.send("f")
	s.send("-l", " and (")
	s.send("Enter")
	s.wait("filter not changed:")
	s.send("q")
	s.restored(0)
}

// TestE2ETerminals: a non-UTF-8 locale gets a clean ASCII screen (no
// '?' for the graphs); TERM=vt100 answers keys at once (tcell's output
// delays are taken out); TERM=dumb says what to do.
func TestE2ETerminals(t *testing.T) {
	bin := buildPktop(t)
	t.Run("LANG=C", func(t *testing.T) {
		s := newTmux(t, 100, 30, "LANG=C LC_ALL=C "+bin+" --demo --speed 0")
		p := s.wait("end of capture")
		p = s.wait("+ Protocols -")
		for _, r := range p {
			if r >= 0x80 {
				t.Fatalf("a non-ASCII character %q on an ASCII terminal:\n%s", r, p)
			}
		}
		if strings.Contains(p, "??") {
			t.Errorf("unencodable characters on screen:\n%s", p)
		}
		s.send("q")
		s.restored(0)
	})
	t.Run("vt100", func(t *testing.T) {
		s := newTmuxTerm(t, 120, 40, "vt100", bin+" --demo --speed 0")
		s.wait("end of capture")
		for _, k := range []struct{ key, want string }{{"u", "rates in b/s"}, {"u", "rates in B/s"}, {"Tab", "CONVERSATION"}} {
			asked := time.Now()
			s.send(k.key)
			s.wait(k.want)
			if d := time.Since(asked); d > time.Second {
				t.Errorf("TERM=vt100: %s took %v to show", k.key, d)
			}
		}
		s.send("q")
		s.restored(0)
	})
	t.Run("dumb", func(t *testing.T) {
		s := newTmuxTerm(t, 100, 10, "dumb", bin+" --demo")
		p := s.wait("PKTOP-EXIT=1")
		if !strings.Contains(p, "pktop: this terminal (TERM=dumb) cannot show pktop's screen: use --report text") {
			t.Errorf("TERM=dumb:\n%s", p)
		}
	})
}

// TestE2EPlayer: a paused replay goes on from where it paused (the clock
// was frozen for as long as it had played), and a gap of years between
// two packets is skipped and said.
func TestE2EPlayer(t *testing.T) {
	bin := buildPktop(t)
	s := newTmux(t, 100, 30, bin+" --demo --speed 1")
	s.wait("time 0:03")
	s.send("P")
	s.wait("paused")
	time.Sleep(4 * time.Second)
	p := s.pane()
	if !strings.Contains(p, "time 0:03") && !strings.Contains(p, "time 0:04") {
		t.Fatalf("the paused clock moved:\n%s", p)
	}
	s.send("P")
	s.wait("resumed")
	// It goes on at once: two seconds later it shows 0:05 or 0:06, not
	// a clock frozen for the four seconds it had played.
	time.Sleep(2 * time.Second)
	p = s.pane()
	if !strings.Contains(p, "time 0:05") && !strings.Contains(p, "time 0:06") && !strings.Contains(p, "time 0:07") {
		t.Errorf("after resuming, the clock is not where it paused plus two seconds:\n%s", p)
	}
	s.send("q")
	s.restored(0)

	s = newTmux(t, 120, 30, bin+" -r testdata/captures/pcpp_raw_ip.pcap")
	s.wait("skipped 10.8 years without packets")
	s.send("q")
	s.restored(0)
}
