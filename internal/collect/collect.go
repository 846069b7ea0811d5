// Package collect runs the real collectors that pktop's exporters are
// tested against: nfcapd (and nfdump to read what it stored) for IPFIX,
// and the Prometheus server. Tests only: each function skips the test
// when the program is not installed.
package collect

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Buffer is a buffer a program writes while a test reads it.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// Bytes returns a copy of what was written.
func (b *Buffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.b.Bytes())
}

// String returns what was written.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// FreePort returns a port that was free on 127.0.0.1 for network (tcp
// or udp) a moment ago.
func FreePort(t testing.TB, network string) int {
	t.Helper()
	if network == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Need skips the test unless every program is installed.
func Need(t testing.TB, progs ...string) {
	t.Helper()
	for _, p := range progs {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s is not installed", p)
		}
	}
}

// Nfcapd is a running nfcapd.
type Nfcapd struct {
	Port int
	dir  string
	cmd  *exec.Cmd
	log  *Buffer
	wrap []string
}

// StartNfcapd starts nfcapd on 127.0.0.1 and a free UDP port, storing
// into a temporary directory; wrap, when set, runs it inside something
// (ip netns exec NS).
func StartNfcapd(t testing.TB, wrap ...string) *Nfcapd {
	t.Helper()
	Need(t, "nfcapd", "nfdump")
	n := &Nfcapd{Port: FreePort(t, "udp"), dir: t.TempDir(), log: &Buffer{}, wrap: wrap}
	args := append(append([]string{}, wrap...), "nfcapd", "-w", n.dir, "-b", "127.0.0.1", "-p", strconv.Itoa(n.Port), "-t", "3600")
	n.cmd = exec.Command(args[0], args[1:]...)
	n.cmd.Stdout, n.cmd.Stderr = n.log, n.log
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Stop() })
	// nfcapd binds at once; give it a moment to be listening.
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if strings.Contains(n.log.String(), "Startup") {
			break
		}
	}
	time.Sleep(100 * time.Millisecond)
	return n
}

// Stop stops nfcapd once it has read every datagram waiting on its
// socket, and it then writes what it holds; safe twice.
func (n *Nfcapd) Stop() {
	if n.cmd.ProcessState != nil || n.cmd.Process == nil {
		return
	}
	// /proc/net/udp: the 5th column is tx_queue:rx_queue, in hex.
	port := fmt.Sprintf(":%04X ", n.Port)
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		args := append(append([]string{}, n.wrap...), "cat", "/proc/net/udp")
		out, _ := exec.Command(args[0], args[1:]...).Output()
		waiting := false
		for _, ln := range strings.Split(string(out), "\n") {
			f := strings.Fields(ln)
			if len(f) > 4 && strings.HasSuffix(f[1]+" ", port) && !strings.HasSuffix(f[4], ":00000000") {
				waiting = true
			}
		}
		if !waiting {
			break
		}
	}
	time.Sleep(100 * time.Millisecond) // and stored
	n.cmd.Process.Signal(syscall.SIGTERM)
	n.cmd.Wait()
}

// Flow is one direction of a flow, as the collector summed it.
type Flow struct {
	Src, Dst         string
	SrcPort, DstPort int
	Proto            string // "TCP", "UDP", "ICMP" or a number
	Packets, Bytes   uint64
	Records          int     // records summed
	Longest          float64 // the longest record's duration, seconds
}

// Key names a direction: protocol number, src:port, dst:port.
func (f Flow) Key() string {
	return fmt.Sprintf("%d %s:%d %s:%d", ProtoNumber(f.Proto), f.Src, f.SrcPort, f.Dst, f.DstPort)
}

// Flows stops nfcapd and reads what it stored with nfdump, summing the
// records of each direction of a flow (by key).
func (n *Nfcapd) Flows(t testing.TB) map[string]*Flow {
	t.Helper()
	n.Stop()
	out, err := exec.Command("nfdump", "-R", n.dir, "-o", "csv").Output()
	if err != nil {
		t.Fatalf("nfdump -R %s: %v\nnfcapd said: %s", n.dir, err, n.log)
	}
	rd := csv.NewReader(bytes.NewReader(out))
	rd.FieldsPerRecord = -1
	flows := map[string]*Flow{}
	var head []string
	for {
		rec, err := rd.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("nfdump csv: %v", err)
		}
		if head == nil && len(rec) > 0 && rec[0] == "ts" {
			head = rec
			continue
		}
		if head == nil || len(rec) < len(head) || rec[0] == "Summary" {
			break
		}
		col := map[string]string{}
		for i, h := range head {
			col[h] = strings.TrimSpace(rec[i])
		}
		f := Flow{Src: col["sa"], Dst: col["da"], Proto: col["pr"]}
		f.SrcPort, _ = strconv.Atoi(col["sp"])
		f.DstPort, _ = strconv.Atoi(col["dp"])
		if f.Proto == "ICMP" || f.Proto == "ICMP6" { // nfdump shows type.code there
			f.SrcPort, f.DstPort = 0, 0
		}
		pk, _ := strconv.ParseUint(col["ipkt"], 10, 64)
		by, _ := strconv.ParseUint(col["ibyt"], 10, 64)
		td, _ := strconv.ParseFloat(col["td"], 64)
		g := flows[f.Key()]
		if g == nil {
			g = &f
			flows[f.Key()] = g
		}
		g.Packets += pk
		g.Bytes += by
		g.Records++
		g.Longest = max(g.Longest, td)
	}
	return flows
}

// Log is what nfcapd printed.
func (n *Nfcapd) Log() string { return n.log.String() }

// Prometheus is a running Prometheus server.
type Prometheus struct {
	URL string
	cmd *exec.Cmd
	log *Buffer
}

// StartPrometheus starts a Prometheus server on a free port with a
// temporary storage that scrapes target (HOST:PORT, job "pktop") every
// interval; wrap, when set, runs it inside something (ip netns exec NS),
// and then the caller reaches it through Get and Query with the same
// wrap, which run curl the same way.
func StartPrometheus(t testing.TB, target string, interval time.Duration, wrap ...string) *Prometheus {
	cfg := fmt.Sprintf("global:\n  scrape_interval: %s\n  scrape_timeout: %s\nscrape_configs:\n  - job_name: pktop\n    static_configs:\n      - targets: ['%s']\n",
		interval, interval, target)
	return StartPrometheusConfig(t, cfg, nil, wrap...)
}

// StartPrometheusConfig starts a Prometheus server with the given
// configuration, and files (rule files, by name) beside it.
func StartPrometheusConfig(t testing.TB, cfg string, files map[string][]byte, wrap ...string) *Prometheus {
	t.Helper()
	Need(t, "prometheus")
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	port := FreePort(t, "tcp")
	p := &Prometheus{URL: fmt.Sprintf("http://127.0.0.1:%d", port), log: &Buffer{}}
	args := append(append([]string{}, wrap...), "prometheus", "--config.file="+cfgFile, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port), "--log.level=warn")
	p.cmd = exec.Command(args[0], args[1:]...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		p.cmd.Wait()
	})
	return p
}

// Get fetches a path of the server's HTTP API, through curl inside wrap
// when set.
func (p *Prometheus) Get(path string, wrap ...string) ([]byte, error) {
	if len(wrap) > 0 {
		args := append(append([]string{}, wrap...), "curl", "-sf", p.URL+path)
		return exec.Command(args[0], args[1:]...).Output()
	}
	resp, err := http.Get(p.URL + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("%s: %s: %s", path, resp.Status, b)
	}
	return b, err
}

// Sample is one series' value of an instant query.
type Sample struct {
	Labels map[string]string
	Time   float64
	Value  float64
}

// Query evaluates an instant query at time at (Unix seconds; 0: now).
func (p *Prometheus) Query(q string, at float64, wrap ...string) ([]Sample, error) {
	path := "/api/v1/query?query=" + url.QueryEscape(q)
	if at != 0 {
		path += "&time=" + strconv.FormatFloat(at, 'f', 3, 64)
	}
	b, err := p.Get(path, wrap...)
	if err != nil {
		return nil, fmt.Errorf("query %s: %w (prometheus said: %s)", q, err, p.log)
	}
	var r struct {
		Status string
		Error  string
		Data   struct {
			ResultType string
			Result     []struct {
				Metric map[string]string
				Value  [2]any
			}
		}
	}
	if err := json.Unmarshal(b, &r); err != nil || r.Status != "success" {
		return nil, fmt.Errorf("query %s: %v %s: %s", q, err, r.Error, b)
	}
	var out []Sample
	for _, res := range r.Data.Result {
		ts, _ := res.Value[0].(float64)
		vs, _ := res.Value[1].(string)
		v, _ := strconv.ParseFloat(vs, 64)
		out = append(out, Sample{res.Metric, ts, v})
	}
	return out, nil
}

// Ready waits until the server answers, up to 30 s.
func (p *Prometheus) Ready(t testing.TB, wrap ...string) {
	t.Helper()
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if _, err := p.Get("/-/ready", wrap...); err == nil {
			return
		}
	}
	t.Fatalf("prometheus did not start: %s", p.log)
}

// ProtoNumber turns a protocol as nfdump prints it (TCP, UDP, ICMP6,
// GRE, ..., or a number) or as pktop's report does (tcp, udp, sctp,
// udplite, or a number) into its number, or -1.
func ProtoNumber(s string) int {
	switch strings.ToUpper(s) {
	case "ICMP":
		return 1
	case "IGMP":
		return 2
	case "IPIP":
		return 4
	case "TCP":
		return 6
	case "UDP":
		return 17
	case "IPV6":
		return 41
	case "RSVP":
		return 46
	case "GRE":
		return 47
	case "ESP":
		return 50
	case "AH":
		return 51
	case "ICMP6":
		return 58
	case "OSPF":
		return 89
	case "PIM":
		return 103
	case "VRRP":
		return 112
	case "SCTP":
		return 132
	case "UDPLITE":
		return 136
	}
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return -1
}
