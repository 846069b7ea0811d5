package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pktop/pktop/internal/collect"
	"github.com/pktop/pktop/internal/synth"
	"github.com/pktop/pktop/model"
)

// buildExporter builds the pktop binary for the exporters' tests.
func buildExporter(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	bin := filepath.Join(t.TempDir(), "pktop")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// flowDirections turns a report's flows into directions keyed as
// collect.Flow.Key does.
func flowDirections(t *testing.T, rep *model.Report) map[string]model.Counts {
	t.Helper()
	m := map[string]model.Counts{}
	for _, f := range rep.Flows {
		a, errA := netip.ParseAddrPort(f.A)
		b, errB := netip.ParseAddrPort(f.B)
		if errA != nil || errB != nil {
			t.Fatalf("report flow %+v: %v %v", f, errA, errB)
		}
		pr := collect.ProtoNumber(f.Proto)
		if pr == 1 || pr == 58 { // nfdump: ICMP ports are type and code
			a, b = netip.AddrPortFrom(a.Addr(), 0), netip.AddrPortFrom(b.Addr(), 0)
		}
		key := func(s, d netip.AddrPort) string {
			return fmt.Sprintf("%d %s:%d %s:%d", pr, s.Addr(), s.Port(), d.Addr(), d.Port())
		}
		for _, d := range []struct {
			k string
			c model.Counts
		}{{key(a, b), f.AToB}, {key(b, a), f.BToA}} {
			if !d.c.IsZero() {
				c := m[d.k]
				c.Packets += d.c.Packets
				c.Bytes += d.c.Bytes
				m[d.k] = c
			}
		}
	}
	return m
}

func compareCollector(t *testing.T, name string, got map[string]*collect.Flow, want map[string]model.Counts) {
	t.Helper()
	for k, c := range want {
		f := got[k]
		switch {
		case f == nil:
			t.Errorf("%s: %s (%d packets) is not at the collector", name, k, c.Packets)
		case f.Packets != c.Packets || f.Bytes != c.Bytes:
			t.Errorf("%s: %s: the collector has %d packets, %d bytes; pktop's report %d, %d", name, k, f.Packets, f.Bytes, c.Packets, c.Bytes)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: the collector has %s, which pktop's report has not", name, k)
		}
	}
}

// TestIPFIXReplayNfcapd replays captures with --ipfix to a real nfcapd
// and reads the flows back with nfdump: every direction of every flow
// in pktop's JSON report has the same packets and bytes at the collector
// (summed over its records), and nothing else is there. A large
// synthetic capture with a small table (flows evicted all the time)
// still gives the collector every frame.
func TestIPFIXReplayNfcapd(t *testing.T) {
	collect.Need(t, "nfcapd", "nfdump")
	for _, name := range []string{"pcpp_DnsPackets.pcap", "pcpp_tls.pcap", "pcpp_four_ipv6_http_streams.pcap", "tcpdump_dhcp-rfc4388.pcap",
		"pktop_lo_any_multi.pcapng", "synth_tunnels.pcap", "pcpp_sll.pcap", "pcpp_ip4_fragments.pcap", "pcpp_GrePackets.cap",
		"tcpdump_bigtcp-ipv4-vxlan-ipv6.pcap", "pcpp_IcmpPackets.pcap"} {
		t.Run(name, func(t *testing.T) {
			n := collect.StartNfcapd(t)
			rep := reportWith(t, "-r", filepath.Join("testdata", "captures", name), "--speed", "0", "--ipfix", "127.0.0.1:"+strconv.Itoa(n.Port))
			want := flowDirections(t, rep)
			if len(want) == 0 {
				t.Fatal("no flows in the report")
			}
			compareCollector(t, name, n.Flows(t), want)
		})
	}
	t.Run("evicting", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "synth.pcap")
		f, _ := os.Create(file)
		if err := synth.Write(f, 200000, 5000); err != nil {
			t.Fatal(err)
		}
		f.Close()
		n := collect.StartNfcapd(t)
		rep := reportWith(t, "-r", file, "--speed", "0", "--max-keys", "500", "--ipfix", "127.0.0.1:"+strconv.Itoa(n.Port))
		var want model.Counts
		for _, c := range rep.Conversations {
			want.Packets += c.Packets
			want.Bytes += c.Bytes
		}
		want.Packets += rep.Other["conversations"].Packets
		want.Bytes += rep.Other["conversations"].Bytes
		var got model.Counts
		for _, f := range n.Flows(t) {
			got.Packets += f.Packets
			got.Bytes += f.Bytes
		}
		if got != want || rep.Other["flows"].Evictions == 0 {
			t.Errorf("the collector has %+v; pktop counted %+v IP (%d flows evicted)", got, want, rep.Other["flows"].Evictions)
		}
	})
}

// reportWith runs pktop in-process with --report json and more flags.
func reportWith(t *testing.T, args ...string) *model.Report {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(append(args, "--report", "json"), &out, &errb); code != 0 {
		t.Fatalf("pktop %s: exit %d: %s", strings.Join(args, " "), code, errb.String())
	}
	var rep model.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, out.String())
	}
	return &rep
}

// pktopProc is pktop running as a process, with its output kept.
type pktopProc struct {
	cmd         *exec.Cmd
	stdin       io.WriteCloser
	out, errOut collect.Buffer
}

func startPktop(t *testing.T, args ...string) *pktopProc {
	t.Helper()
	p := &pktopProc{cmd: exec.Command(args[0], args[1:]...)}
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.errOut
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	})
	return p
}

// stop sends SIGTERM, waits, and returns the JSON report it printed.
func (p *pktopProc) stop(t *testing.T) *model.Report {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("pktop: %v\n%s", err, p.errOut.String())
	}
	var rep model.Report
	if err := json.Unmarshal(p.out.Bytes(), &rep); err != nil {
		t.Fatalf("report: %v\n%s\n%s", err, p.out.String(), p.errOut.String())
	}
	return &rep
}

// waitQuery polls an instant query until ok accepts its samples, up to
// 30 s, and returns them.
func waitQuery(t *testing.T, p *collect.Prometheus, q string, ok func([]collect.Sample) bool, wrap ...string) []collect.Sample {
	t.Helper()
	var s []collect.Sample
	var err error
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if s, err = p.Query(q, 0, wrap...); err == nil && ok(s) {
			return s
		}
	}
	t.Fatalf("%s: never as wanted: %v %+v", q, err, s)
	return nil
}

func one(want float64) func([]collect.Sample) bool {
	return func(s []collect.Sample) bool { return len(s) == 1 && s[0].Value == want }
}

// checkPrometheus queries what Prometheus scraped from pktop and compares
// it with pktop's JSON report of the same traffic: increase() of the
// totals over the whole run (exact: pktop was scraped at zero before the
// first packet, and the query is evaluated at the last scrape), the
// protocols summed by proto, the size histogram, and the host series,
// which with "other" add up to the IP traffic.
func checkPrometheus(t *testing.T, p *collect.Prometheus, rep *model.Report, ts float64, wrap ...string) {
	t.Helper()
	if ts == 0 {
		// The last scrape holds the final counts: pktop stopped counting.
		waitQuery(t, p, `pktop_packets_total`, one(float64(rep.Packets)), wrap...)
		time.Sleep(600 * time.Millisecond) // one more scrape: every series is final
		ts = lastScrape(t, p, wrap...)
	}
	q := func(expr string) []collect.Sample {
		s, err := p.Query(expr, ts, wrap...)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	value := func(expr string) float64 {
		s := q(expr)
		if len(s) != 1 {
			t.Fatalf("%s: %d samples", expr, len(s))
		}
		return s[0].Value
	}
	for expr, want := range map[string]uint64{
		`increase(pktop_packets_total[10m])`:                                      rep.Packets,
		`increase(pktop_bytes_total[10m])`:                                        rep.Bytes,
		`increase(pktop_packet_size_bytes_count[10m])`:                            rep.Packets,
		`sum(increase(pktop_dropped_packets_total[10m]))`:                         rep.KernelDrops + rep.QueueDrops,
		`pktop_truncated_packets_total + pktop_undecoded_packets_total`:           rep.Truncated + rep.Undecoded,
		`sum(pktop_host_packets_total{direction="sent"})`:                         rep.Packets - rep.NonIP,
		`sum(pktop_host_packets_total{direction="received"})`:                     rep.Packets - rep.NonIP,
		`sum(pktop_conversation_packets_total)`:                                   rep.Packets - rep.NonIP,
		`count(pktop_host_bytes_total{direction="sent",host!="other"}) <= bool 5`: 1,
		`count(pktop_packet_size_bytes_bucket) == bool 10`:                        1,
	} {
		if got := value(expr); math.Abs(got-float64(want)) > 1e-6 {
			t.Errorf("%s = %v; pktop's report says %d", expr, got, want)
		}
	}
	// Protocols: sum by (proto) is the report's counts.
	byProto := q(`sum by (proto) (pktop_protocol_packets_total)`)
	if len(byProto) != len(rep.Protocols) {
		t.Errorf("sum by (proto): %d protocols; the report has %d", len(byProto), len(rep.Protocols))
	}
	for _, s := range byProto {
		if want := rep.Protocols[s.Labels["proto"]].Packets; s.Value != float64(want) {
			t.Errorf("protocol %s: %v packets in Prometheus; %d in the report", s.Labels["proto"], s.Value, want)
		}
	}
	// Sizes: the cumulative buckets are the report's (le is "19" in
	// Prometheus text, "19.0" in OpenMetrics).
	buckets := map[float64]float64{}
	for _, s := range q(`pktop_packet_size_bytes_bucket`) {
		le, _ := strconv.ParseFloat(s.Labels["le"], 64)
		buckets[le] = s.Value
	}
	var cum uint64
	for _, b := range rep.Sizes {
		cum += b.Packets
		le := math.Inf(1)
		if b.Hi != nil {
			le = float64(*b.Hi)
		}
		if got, ok := buckets[le]; !ok || got != float64(cum) {
			t.Errorf("size bucket le=%v: %v; the report says %d", le, got, cum)
		}
	}
	// Exported hosts: never more than pktop counted for them.
	sent := map[string]uint64{}
	for _, h := range rep.Hosts {
		sent[h.Addr] = h.Sent.Bytes
	}
	for _, s := range q(`pktop_host_bytes_total{direction="sent",host!="other"}`) {
		if s.Value > float64(sent[s.Labels["host"]]) {
			t.Errorf("host %s sent %v bytes in Prometheus; %d in the report", s.Labels["host"], s.Value, sent[s.Labels["host"]])
		}
	}
}

// lastScrape returns the time of the last scrape of pktop.
func lastScrape(t *testing.T, p *collect.Prometheus, wrap ...string) float64 {
	return waitQuery(t, p, `timestamp(pktop_packets_total)`, func(s []collect.Sample) bool { return len(s) == 1 }, wrap...)[0].Value
}

// promtoolMetrics checks a scrape of pktop with promtool check metrics.
func promtoolMetrics(t *testing.T, url string, wrap ...string) {
	t.Helper()
	var body []byte
	if len(wrap) > 0 {
		args := append(append([]string{}, wrap...), "curl", "-sf", url)
		out, err := exec.Command(args[0], args[1:]...).Output()
		if err != nil {
			t.Fatalf("scrape %s: %v", url, err)
		}
		body = out
	} else {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	c := exec.Command("promtool", "check", "metrics")
	c.Stdin = bytes.NewReader(body)
	if out, err := c.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
	t.Logf("a scrape of pktop: %d bytes, %d series", len(body), bytes.Count(body, []byte("\n"))-bytes.Count(body, []byte("\n#")))
}

// TestPrometheusReplay starts a real Prometheus that scrapes pktop every
// 250 ms while pktop replays a capture from standard input (so that the
// first scrape sees zero), then compares PromQL with pktop's report.
func TestPrometheusReplay(t *testing.T) {
	collect.Need(t, "prometheus", "promtool")
	bin := buildExporter(t)
	addr := "127.0.0.1:" + strconv.Itoa(collect.FreePort(t, "tcp"))
	pk := startPktop(t, bin, "-r", "-", "--listen", addr, "--no-screen", "--report", "json", "--top-series", "5")
	prom := collect.StartPrometheus(t, addr, 250*time.Millisecond)
	prom.Ready(t)
	waitQuery(t, prom, `pktop_packets_total`, one(0))
	capture, err := os.ReadFile("testdata/captures/pcpp_DnsPackets.pcap")
	if err != nil {
		t.Fatal(err)
	}
	pk.stdin.Write(capture)
	pk.stdin.Close()
	if !waitFor2(&pk.errOut, "serving the final metrics") {
		t.Fatalf("pktop did not reach the end of its input: %s", pk.errOut.String())
	}
	promtoolMetrics(t, "http://"+addr+"/metrics")
	var rep model.Report
	if err := json.Unmarshal(pk.out.Bytes(), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, pk.out.String())
	}
	checkPrometheus(t, prom, &rep, 0)
	if got := pk.stop(t); got.Packets != rep.Packets {
		t.Errorf("after SIGTERM the report changed: %d packets, was %d", got.Packets, rep.Packets)
	}
}

// fleetConfig is deploy/prometheus.yml scraping only target, every
// 250 ms.
func fleetConfig(t *testing.T, target string) string {
	t.Helper()
	cfg := string(mustRead(t, "deploy/prometheus.yml"))
	i := strings.Index(cfg, "      - targets:\n")
	if i < 0 {
		t.Fatal("deploy/prometheus.yml: no targets")
	}
	cfg = cfg[:i] + "      - targets: ['" + target + "']\n"
	r := strings.NewReplacer("scrape_interval: 15s", "scrape_interval: 250ms", "evaluation_interval: 15s", "evaluation_interval: 250ms")
	return r.Replace(cfg)
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// waitFor2 waits up to 30 s for text in a buffer that a process writes.
func waitFor2(b *collect.Buffer, text string) bool {
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if strings.Contains(b.String(), text) {
			return true
		}
	}
	return false
}

// TestExportLive captures live on a veth between two network namespaces
// with --listen and --ipfix at once: a real Prometheus (in the
// namespace, scraping over its loopback, which pktop does not capture)
// and a real nfcapd get what pktop's own report says of the same
// traffic. The Prometheus runs the README's fleet setup,
// deploy/prometheus.yml and its rules, with the test's target and
// intervals. Root only; all traffic stays in the namespaces.
func TestExportLive(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("live capture test needs root (network namespaces, capture sockets)")
	}
	collect.Need(t, "ip", "ping", "curl", "python3", "prometheus", "promtool", "nfcapd", "nfdump")
	bin := buildExporter(t)
	n := newVethPair(t)
	inA := []string{"ip", "netns", "exec", n.a}
	www := t.TempDir()
	os.WriteFile(filepath.Join(www, "big"), bytes.Repeat([]byte("pktop export test "), 9000), 0o644)
	n.background(t, n.b, "python3", "-m", "http.server", "8080", "--bind", n.addrB, "--directory", www)
	n.background(t, n.b, "python3", "-c", udpSink, n.addrB)
	waitHTTP(t, n, "http://"+n.addrB+":8080/big")

	nf := collect.StartNfcapd(t, inA...)
	addr := "127.0.0.1:" + strconv.Itoa(collect.FreePort(t, "tcp"))
	pk := startPktop(t, append(inA, bin, "-i", n.ifA, "--listen", addr, "--ipfix", "127.0.0.1:"+strconv.Itoa(nf.Port),
		"--ipfix-idle", "2s", "--ipfix-active", "3s", "--no-screen", "--report", "json", "--top-series", "5")...)
	prom := collect.StartPrometheusConfig(t, fleetConfig(t, addr), map[string][]byte{"pktop-rules.yml": mustRead(t, "deploy/pktop-rules.yml")}, inA...)
	prom.Ready(t, inA...)
	if !waitFor2(&pk.errOut, "capturing on") {
		t.Fatalf("pktop did not start: %s", pk.errOut.String())
	}
	waitQuery(t, prom, `pktop_packets_total`, one(0), inA...)

	n.must(t, n.a, "ping", "-q", "-c", "20", "-i", "0.01", n.addrB)
	n.must(t, n.a, "python3", "-c", udpBurst, n.addrB, "300")
	for range 3 {
		n.must(t, n.a, "curl", "-sS", "-o", "/dev/null", "http://"+n.addrB+":8080/big")
	}
	time.Sleep(4 * time.Second) // past the idle timeout: records go out while pktop runs
	n.must(t, n.a, "ping", "-q", "-c", "5", "-i", "0.01", n.addrB)
	time.Sleep(1500 * time.Millisecond) // the capture reads its last block
	// Prometheus must have scraped the final counts before pktop stops:
	// wait until two scrapes 1 s apart agree.
	var last float64 = -1
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(time.Second) {
		s, err := prom.Query(`pktop_packets_total`, 0, inA...)
		if err == nil && len(s) == 1 && s[0].Value == last {
			break
		}
		if len(s) == 1 {
			last = s[0].Value
		}
	}
	promtoolMetrics(t, "http://"+addr+"/metrics", inA...)
	time.Sleep(600 * time.Millisecond) // every series scraped since
	ts := lastScrape(t, prom, inA...)
	// The fleet's recording rules see this host's traffic.
	waitQuery(t, prom, `instance:pktop_bits:rate5m{interface="`+n.ifA+`"} > 0`, func(s []collect.Sample) bool { return len(s) == 1 }, inA...)
	rep := pk.stop(t)
	if rep.Packets < 20+300+25 || rep.KernelDrops != 0 || rep.QueueDrops != 0 {
		t.Fatalf("pktop's report: %d packets, %d kernel drops, %d queue drops", rep.Packets, rep.KernelDrops, rep.QueueDrops)
	}
	checkPrometheus(t, prom, rep, ts, inA...)
	got := nf.Flows(t)
	compareCollector(t, "live", got, flowDirections(t, rep))
	records := 0
	for _, f := range got {
		records += f.Records
	}
	t.Logf("live: %d packets, %d flows in the report, %d records at the collector", rep.Packets, len(rep.Flows), records)
}

// scrapeValue returns the value of the first series of a scrape whose
// line starts with prefix, or -1.
func scrapeValue(url, prefix string) float64 {
	resp, err := http.Get(url)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, ln := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(ln, prefix) {
			f := strings.Fields(ln)
			v, err := strconv.ParseFloat(f[len(f)-1], 64)
			if err == nil {
				return v
			}
		}
	}
	return -1
}

// TestE2EScreenListen runs the screen and --listen together on the
// built-in capture, in tmux: the metrics reach the replay's totals, the
// screen's reset (r) does not make them go down, and q quits cleanly.
func TestE2EScreenListen(t *testing.T) {
	bin := buildPktop(t)
	want := reportWith(t, "--demo", "--speed", "0")
	addr := "127.0.0.1:" + strconv.Itoa(collect.FreePort(t, "tcp"))
	s := newTmux(t, 120, 40, bin+" --demo --speed 0 --listen "+addr)
	s.wait("end of capture")
	url := "http://" + addr + "/metrics"
	got := -1.0
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end) && got != float64(want.Packets); time.Sleep(100 * time.Millisecond) {
		got = scrapeValue(url, `pktop_packets_total{`)
	}
	if got != float64(want.Packets) {
		t.Fatalf("pktop_packets_total = %v; the report counts %d", got, want.Packets)
	}
	hosts := scrapeValue(url, `pktop_host_packets_total{direction="sent",host="other"`)
	s.send("r")
	time.Sleep(1500 * time.Millisecond) // a pump tick after the reset
	if after := scrapeValue(url, `pktop_packets_total{`); after != got {
		t.Errorf("after the screen's reset pktop_packets_total = %v; was %v", after, got)
	}
	if after := scrapeValue(url, `pktop_host_packets_total{direction="sent",host="other"`); after < hosts {
		t.Errorf("after the screen's reset the other hosts' counter went from %v to %v", hosts, after)
	}
	s.send("q")
	s.restored(0)
}

// TestExportBadFlags: wrong exporter flags give one clear line and an
// exit status, before any capture starts.
func TestExportBadFlags(t *testing.T) {
	busy := "127.0.0.1:" + strconv.Itoa(collect.FreePort(t, "tcp"))
	l, err := net.Listen("tcp", busy)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--demo", "--ipfix", "nonsense"}, 1, "want HOST:PORT"},
		{[]string{"--demo", "--ipfix", "no-such-host.invalid:4739"}, 1, "IPFIX collector"},
		{[]string{"--demo", "--listen", busy}, 1, "listen for Prometheus on " + busy},
		{[]string{"--demo", "--top-series", "0"}, 2, "--top-series must be 1 or more"},
		{[]string{"--demo", "--no-screen"}, 2, "--no-screen needs --listen, --ipfix or --report"},
		{[]string{"--demo", "--report", "xml"}, 2, "--report takes json, text or jsonl"},
		{[]string{"--demo", "--ipfix-idle", "0s", "--ipfix", "127.0.0.1:4739"}, 2, "must be positive"},
	} {
		var out, errb bytes.Buffer
		code := run(tc.args, &out, &errb)
		if code != tc.code || !strings.Contains(errb.String(), tc.want) || strings.Count(errb.String(), "\n") != 1 {
			t.Errorf("pktop %s: exit %d, %q; want exit %d and one line with %q", strings.Join(tc.args, " "), code, errb.String(), tc.code, tc.want)
		}
	}
}
