package main

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// expectation is what tshark says of a capture (testdata/expect/*.json,
// made by testdata/gen-expect.sh).
type expectation struct {
	Packets   uint64               `json:"packets"`
	Bytes     uint64               `json:"bytes"`
	Hosts     map[string][2]uint64 `json:"hosts"`
	Protocols map[string]uint64    `json:"protocols"`
	Sizes     []uint64             `json:"sizes"`
}

// runReport runs pktop's headless JSON report in-process.
func runReport(t *testing.T, args ...string) (map[string]any, int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(append(args, "--report", "json"), &out, &errb)
	var rep map[string]any
	if out.Len() > 0 {
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatalf("report is not JSON: %v\n%s", err, out.String())
		}
	}
	return rep, code, errb.String()
}

// TestReportMatchesTshark compares the headless report of every capture
// in testdata with what tshark says of it: totals, per-host packets and
// bytes, protocol counts and size buckets.
func TestReportMatchesTshark(t *testing.T) {
	files, _ := filepath.Glob("testdata/expect/*.json")
	if len(files) < 60 {
		t.Fatalf("only %d expectation files", len(files))
	}
	for _, ef := range files {
		name := strings.TrimSuffix(filepath.Base(ef), ".json")
		t.Run(name, func(t *testing.T) {
			var want expectation
			raw, err := os.ReadFile(ef)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			args := []string{"-r", filepath.Join("testdata", "captures", name)}
			if name == "demo" {
				args = []string{"--demo"}
			} else if _, err := os.Stat(args[1]); err != nil {
				args[1] = filepath.Join("testdata", "malformed", name)
			}
			rep, code, stderr := runReport(t, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			compareReport(t, rep, want)
		})
	}
}

func num(v any) uint64 {
	f, _ := v.(float64)
	return uint64(f)
}

func compareReport(t *testing.T, rep map[string]any, want expectation) {
	t.Helper()
	if got := num(rep["packets"]); got != want.Packets {
		t.Errorf("packets: got %d; want %d", got, want.Packets)
	}
	if got := num(rep["bytes"]); got != want.Bytes {
		t.Errorf("bytes: got %d; want %d", got, want.Bytes)
	}
	hosts := map[netip.Addr][2]uint64{}
	for _, h := range rep["hosts"].([]any) {
		m := h.(map[string]any)
		a := netip.MustParseAddr(m["addr"].(string))
		hosts[a] = [2]uint64{num(m["packets"]), num(m["bytes"])}
	}
	for s, w := range want.Hosts {
		a := netip.MustParseAddr(s)
		if hosts[a] != w {
			t.Errorf("host %s: got %v; want %v", s, hosts[a], w)
		}
		delete(hosts, a)
	}
	for a, g := range hosts {
		t.Errorf("host %s: got %v; want none", a, g)
	}
	protos := rep["protocols"].(map[string]any)
	for _, p := range []string{"ipv4", "ipv6", "arp", "tcp", "udp", "icmp", "icmpv6"} {
		var got uint64
		if m, ok := protos[p].(map[string]any); ok {
			got = num(m["packets"])
		}
		if got != want.Protocols[p] {
			t.Errorf("protocol %s: got %d; want %d", p, got, want.Protocols[p])
		}
	}
	sizes := rep["sizes"].([]any)
	if len(sizes) != len(want.Sizes) {
		t.Fatalf("sizes: got %d buckets; want %d", len(sizes), len(want.Sizes))
	}
	for i, s := range sizes {
		if got := num(s.(map[string]any)["packets"]); got != want.Sizes[i] {
			t.Errorf("size bucket %d: got %d; want %d", i, got, want.Sizes[i])
		}
	}
}

// TestCorpusSweep compares every capture of the directory named by
// PKTOP_CORPUS (e.g. ../shared/pcaps, and its malformed/) with tshark, as
// TestReportMatchesTshark does with testdata. .ci/run sets it when the
// corpus is there; it needs tshark and python3.
func TestCorpusSweep(t *testing.T) {
	dir := os.Getenv("PKTOP_CORPUS")
	if dir == "" {
		t.Skip("PKTOP_CORPUS is not set")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.*ap*"))
	more, _ := filepath.Glob(filepath.Join(dir, "malformed", "*"))
	files = append(files, more...)
	if len(files) == 0 {
		t.Fatalf("no captures in %s", dir)
	}
	compared := 0
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			check := exec.Command("tshark", "-n", "-r", f, "-T", "fields", "-e", "frame.number")
			var errb bytes.Buffer
			check.Stderr = &errb
			if err := check.Run(); err != nil || strings.TrimSpace(strings.ReplaceAll(errb.String(), "Running as user \"root\" and group \"root\". This could be dangerous.", "")) != "" {
				t.Skip("tshark does not read it cleanly")
			}
			out, err := exec.Command("python3", "testdata/expect.py", f).Output()
			if err != nil {
				t.Fatal(err)
			}
			var want expectation
			if err := json.Unmarshal(out, &want); err != nil {
				t.Fatal(err)
			}
			rep, code, stderr := runReport(t, "-r", f)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			compareReport(t, rep, want)
			compared++
		})
	}
	t.Logf("%d captures compared with tshark", compared)
}

// TestNamesFromTraffic: host names are learnt passively from what clients
// ask for (DNS questions, HTTP Host, TLS SNI), never from the end of a
// CDN's CNAME chain. Every name pktop gives a host of the demo capture is
// one tshark sees asked for in it.
func TestNamesFromTraffic(t *testing.T) {
	rep, code, stderr := runReport(t, "--demo")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	names := map[string]string{}
	for _, h := range rep["hosts"].([]any) {
		m := h.(map[string]any)
		if n, ok := m["name"].(string); ok {
			names[m["addr"].(string)] = n
		}
	}
	if len(names) < 15 {
		t.Fatalf("only %d hosts named: %v", len(names), names)
	}
	// 212.199.202.9 is a CDN address that DNS gives as a39.g.akamai.net
	// at the end of CNAME chains for www, images1 and go.ynet.co.il.
	switch n := names["212.199.202.9"]; n {
	case "www.ynet.co.il", "images1.ynet.co.il", "go.ynet.co.il":
	default:
		t.Errorf("212.199.202.9 is named %q; want a name a client asked for", n)
	}
	if _, err := exec.LookPath("tshark"); err != nil {
		return
	}
	data, err := os.ReadFile("sniff/demo/example.pcap.gz")
	if err != nil {
		t.Fatal(err)
	}
	pcap := filepath.Join(t.TempDir(), "demo.pcap.gz")
	os.WriteFile(pcap, data, 0o644)
	out, err := exec.Command("tshark", "-n", "-r", pcap, "-T", "fields", "-e", "dns.qry.name", "-e", "http.host", "-e", "tls.handshake.extensions_server_name").Output()
	if err != nil {
		t.Fatal(err)
	}
	asked := map[string]bool{}
	for _, f := range strings.Fields(strings.ReplaceAll(string(out), ",", " ")) {
		asked[strings.Split(f, ":")[0]] = true
	}
	for addr, n := range names {
		if !asked[n] {
			t.Errorf("host %s is named %q, which no client asked for", addr, n)
		}
	}
}
