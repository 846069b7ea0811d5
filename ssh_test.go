package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestE2ESSHRecipe runs the README's recipe for real, against an sshd of
// the test's own on 127.0.0.1, in tmux:
//
//	ssh -n host sudo tcpdump -i any -U -w - not port 22 | pktop -r -
//
// (here as root on lo, sshd on a port of its own). It checks the three
// things that went wrong with the recipe: keys typed in pktop all reach
// it (ssh -n reads no terminal), the capture does not capture its own
// ssh stream (not port ...), and q ends the whole pipeline at once even
// on a quiet link (pktop ends the ssh that feeds it), the remote tcpdump
// at its next packet.
func TestE2ESSHRecipe(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (sshd, tcpdump)")
	}
	for _, tool := range []string{"/usr/sbin/sshd", "ssh", "ssh-keygen", "tcpdump", "tmux", "ping"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s", tool)
		}
	}
	bin := buildPktop(t)
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	for _, k := range []string{"host", "client"} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, k)).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
	}
	pub, _ := os.ReadFile(filepath.Join(dir, "client.pub"))
	os.WriteFile(filepath.Join(dir, "authorized_keys"), pub, 0o600)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	conf := fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s/host
AuthorizedKeysFile %s/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile %s/sshd.pid
LogLevel ERROR
`, port, dir, dir, dir)
	os.WriteFile(filepath.Join(dir, "sshd_config"), []byte(conf), 0o600)
	os.MkdirAll("/run/sshd", 0o755)
	sshd := exec.Command("/usr/sbin/sshd", "-D", "-e", "-f", filepath.Join(dir, "sshd_config"))
	sshd.Stderr = os.Stderr
	if err := sshd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sshd.Process.Kill(); sshd.Wait() })
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			break
		}
		if i > 100 {
			t.Fatalf("sshd did not start: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	ping := exec.Command("ping", "-q", "-i", "0.1", "127.0.0.1")
	if err := ping.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ping.Process.Kill(); ping.Wait() })

	remote := "tcpdump"
	if _, err := exec.LookPath("sudo"); err == nil {
		remote = "sudo tcpdump"
	}
	ssh := fmt.Sprintf("ssh -n -i %s/client -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -p %d root@127.0.0.1", dir, port)
	recipe := fmt.Sprintf("%s %s -i lo -U -w - not port %d 2>/dev/null | %s -r -", ssh, remote, port, bin)
	s := newTmux(t, 120, 30, recipe)
	s.wait("reading stdin")
	s.wait("127.0.0.1")
	// Twelve keys, one at a time: Tab twelve times from Hosts lands on
	// Ports (five tables) only if none went to ssh.
	for range 12 {
		s.send("Tab")
		time.Sleep(60 * time.Millisecond)
	}
	p := s.wait("\nPORT ")
	if strings.Contains(p, fmt.Sprintf("tcp/%d", port)) {
		t.Errorf("the capture shows its own ssh stream:\n%s", p)
	}
	// A quiet link: with no packet to write, a writer would not learn
	// that its reader is gone.
	ping.Process.Kill()
	time.Sleep(500 * time.Millisecond)
	asked := time.Now()
	s.send("q")
	s.restored(0)
	if d := time.Since(asked); d > 3*time.Second {
		t.Errorf("the pipeline took %v to end after q", d)
	}
	// The local pipeline is gone; the remote tcpdump learns that its
	// session closed when it next writes: at its next packet.
	exec.Command("ping", "-q", "-c", "2", "-i", "0.2", "127.0.0.1").Run()
	deadline := time.Now().Add(3 * time.Second)
	for {
		// The remote tcpdump, and the ssh client, by their names.
		var left []string
		for _, name := range []string{"tcpdump", "ssh"} {
			out, _ := exec.Command("pgrep", "-a", "-x", name).Output()
			for _, l := range strings.Split(string(out), "\n") {
				if strings.Contains(l, fmt.Sprintf("not port %d", port)) {
					left = append(left, l)
				}
			}
		}
		if len(left) == 0 {
			break
		}
		out := strings.Join(left, "; ")
		if time.Now().After(deadline) {
			t.Fatalf("the remote tcpdump still runs after q: pids %s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
