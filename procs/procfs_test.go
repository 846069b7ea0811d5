package procs

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestParseLinks(t *testing.T) {
	for _, c := range []struct {
		in   string
		ino  uint32
		sock bool
	}{
		{"socket:[60139]", 60139, true},
		{"socket:[]", 0, false},
		{"socket:[4294967296]", 0, false},
		{"/dev/null", 0, false},
		{"anon_inode:[eventpoll]", 0, false},
		{"pipe:[123]", 0, false},
	} {
		ino, ok := parseSocketLink([]byte(c.in))
		if ino != c.ino || ok != c.sock {
			t.Errorf("%q: %d %v", c.in, ino, ok)
		}
	}
	if ino, ok := parseNsLink([]byte("net:[4026531833]")); !ok || ino != 4026531833 {
		t.Errorf("ns link: %d %v", ino, ok)
	}
	if _, ok := parseNsLink([]byte("mnt:[4026531833]")); ok {
		t.Error("mnt link taken for net")
	}
}

func TestParseStat(t *testing.T) {
	// Real /proc/self/stat of cat, then a comm with spaces and ')'.
	real := "32598 (cat) R 32593 32593 6548 0 -1 4194304 101 0 0 0 0 0 0 0 20 0 1 0 74524 3133440 413 18446744073709551615 93888892739584 0 0"
	s, err := parseStat([]byte(real))
	if err != nil || s.Comm != "cat" || s.Start != 74524 {
		t.Errorf("%+v %v", s, err)
	}
	tricky := strings.Replace(real, "(cat)", "(a) b (c))", 1)
	s, err = parseStat([]byte(tricky))
	if err != nil || s.Comm != "a) b (c)" || s.Start != 74524 {
		t.Errorf("tricky: %+v %v", s, err)
	}
	for _, bad := range []string{"", "12 cat R", "12 (cat) R 1 2 3", strings.Replace(real, "74524", "x", 1)} {
		if _, err := parseStat([]byte(bad)); !errors.Is(err, errFormat) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestParseCmdline(t *testing.T) {
	if got := parseCmdline([]byte("curl\x00-s\x00http://x/\x00")); got != "curl -s http://x/" {
		t.Errorf("%q", got)
	}
	long := strings.Repeat("a", 1000)
	if got := parseCmdline([]byte(long)); len(got) != MaxCmdline {
		t.Errorf("cap: %d", len(got))
	}
	// A cut never splits a UTF-8 sequence.
	if got := capString("ab\u00e9", 3); got != "ab" {
		t.Errorf("cut inside a rune: %q", got)
	}
}

func TestContainerOf(t *testing.T) {
	id := "4c3e1b7a2f0d9e8c7b6a5f4e3d2c1b0a99887766554433221100ffeeddccbbaa"
	for _, c := range []struct{ cgroup, want string }{
		{"0::/system.slice/docker-" + id + ".scope\n", "docker:4c3e1b7a2f0d"},
		{"12:pids:/docker/" + id + "\n11:memory:/docker/" + id + "\n0::/\n", "docker:4c3e1b7a2f0d"},
		{"0::/machine.slice/libpod-" + id + ".scope/container\n", "podman:4c3e1b7a2f0d"},
		{"0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0f1e2d3c_4b5a_6978_8796_a5b4c3d2e1f0.slice/cri-containerd-" + id + ".scope\n",
			"k8s-pod:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0 containerd:4c3e1b7a2f0d"},
		{"0::/kubepods/burstable/pod0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0/" + id + "\n",
			"k8s-pod:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"},
		{"0::/kubepods.slice/kubepods-pod1234.slice/crio-" + id + ".scope\n", "k8s-pod:1234 cri-o:4c3e1b7a2f0d"},
		{"0::/lxc.payload.web1/init.scope\n", "lxc:web1"},
		{"1:name=systemd:/lxc/web2\n", "lxc:web2"},
		{"0::/system.slice/nginx.service\n", "systemd:nginx.service"},
		{"0::/user.slice/user-1000.slice/user@1000.service/app.slice/syncthing.service\n", "systemd:syncthing.service"},
		{"0::/user.slice/user-1000.slice/session-2.scope\n", ""},
		{"0::/\n", ""},
		{"garbage\n::\n", ""},
		// This machine's own.
		{"9:name=systemd:/\n4:memory:/process_api/5da1b2107937335797060ec98302e86b\n0::/\n", ""},
	} {
		if got := containerOf([]byte(c.cgroup)); got != c.want {
			t.Errorf("%q:\n got %q\nwant %q", c.cgroup, got, c.want)
		}
	}
	if got := containerOf([]byte("0::/lxc/" + strings.Repeat("x", 500) + "\n")); len(got) > MaxContainer {
		t.Errorf("container name of %d bytes", len(got))
	}
}

func TestParseProcNet(t *testing.T) {
	// Lines of this machine's /proc/net/tcp and tcp6.
	tcp := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 648 1 000000008ed7d4ba 100 0 0 10 0
   1: 020200C0:AEDE 507100CB:01BB 06 00000000:00000000 03:000004D2 00000000     0        0 0 3 00000000afe6a861
`
	tcp6 := `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:223D 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 60139 1 00000000d12050b7 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000200007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 60140 1 00000000d12050b7 100 0 0 10 0
`
	var got []procNetSock
	if err := parseProcNet(strings.NewReader(tcp+tcp6[strings.IndexByte(tcp6, '\n')+1:]), func(s procNetSock) { got = append(got, s) }); err != nil {
		t.Fatal(err)
	}
	want := []procNetSock{
		{netip.MustParseAddrPort("0.0.0.0:2024"), netip.MustParseAddrPort("0.0.0.0:0"), 10, 0, 648},
		{netip.MustParseAddrPort("192.0.2.2:44766"), netip.MustParseAddrPort("203.0.113.80:443"), 6, 0, 0},
		{netip.MustParseAddrPort("[::1]:8765"), netip.MustParseAddrPort("[::]:0"), 10, 1000, 60139},
		{netip.MustParseAddrPort("127.0.0.1:8080"), netip.MustParseAddrPort("127.0.0.2:50000"), 1, 0, 60140},
	}
	if len(got) != len(want) {
		t.Fatalf("%d sockets: %+v", len(got), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	bad := "header\n   0: 0000000G:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 648 1\n"
	err := parseProcNet(strings.NewReader(bad), func(procNetSock) {})
	if !errors.Is(err, errFormat) || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("bad line: %v", err)
	}
}

func TestParsePasswd(t *testing.T) {
	in := "root:x:0:0:root:/root:/bin/bash\n#comment\nnobody:x:65534:65534::/:/usr/sbin/nologin\nbad:x:y:1\nroot2:x:0:0::/:/bin/sh\n" + strings.Repeat("l", 100) + ":x:7:7::/:/bin/sh\n"
	u := parsePasswd(strings.NewReader(in), 10)
	if u[0] != "root" || u[65534] != "nobody" || len(u[7]) != MaxUser || len(u) != 3 {
		t.Errorf("%v", u)
	}
}
