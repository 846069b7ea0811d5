package export

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pktop/pktop/internal/collect"
	"github.com/pktop/pktop/model"
)

// TestEncoderGolden: a message with the templates, an IPv4 and an IPv6
// record, at a given export time and sequence number, is the golden
// bytes (annotated in testdata/ipfix.hex).
func TestEncoderGolden(t *testing.T) {
	e := Encoder{Domain: 1, Seq: 41}
	e.Begin(1700000000)
	e.AddTemplates()
	recs := []Record{
		{Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("198.51.100.7"), SrcPort: 40000, DstPort: 443, Proto: 6,
			Packets: 10, Octets: 5000, Start: 1700000000123e6, End: 1700000001456e6, EndReason: EndIdle, Direction: 1},
		{Src: netip.MustParseAddr("2001:db8::1"), Dst: netip.MustParseAddr("2001:db8::2"), SrcPort: 53, DstPort: 5353, Proto: 17,
			Packets: 1, Octets: 90, Start: 1700000002e9, End: 1700000002e9, EndReason: EndForced, Direction: 2},
	}
	for i := range recs {
		if !e.Fits(&recs[i]) {
			t.Fatal("a record does not fit")
		}
		e.Add(&recs[i])
	}
	msg := e.Finish()
	if e.Seq != 43 {
		t.Errorf("next sequence number %d; want 43", e.Seq)
	}
	if int(binary.BigEndian.Uint16(msg[2:])) != len(msg) {
		t.Errorf("message length field %d; message %d bytes", binary.BigEndian.Uint16(msg[2:]), len(msg))
	}
	golden := "testdata/ipfix.hex"
	if *update {
		os.WriteFile(golden, []byte(annotate(msg)), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := annotate(msg); got != string(want) {
		t.Errorf("message:\n%s\nwant:\n%s", got, want)
	}
}

// annotate prints a message as hex, one part a line: the header, each
// set header, each template and record.
func annotate(msg []byte) string {
	var b strings.Builder
	line := func(what string, p []byte) { fmt.Fprintf(&b, "%-26s %s\n", what, hex.EncodeToString(p)) }
	line("header", msg[:16])
	for off := 16; off+4 <= len(msg); {
		id, n := binary.BigEndian.Uint16(msg[off:]), int(binary.BigEndian.Uint16(msg[off+2:]))
		line(fmt.Sprintf("set %d", id), msg[off:off+4])
		body := msg[off+4 : off+n]
		for len(body) > 0 {
			var k int
			switch id {
			case 2:
				k = 4 + 4*int(binary.BigEndian.Uint16(body[2:]))
				line(fmt.Sprintf("  template %d", binary.BigEndian.Uint16(body)), body[:k])
			default:
				k = recordLen(id == templateIPv6)
				line("  record", body[:k])
			}
			body = body[k:]
		}
		off += n
	}
	return b.String()
}

// synthFlows feeds an aggregator with the frames of flows, each in both
// directions, over seconds of capture time, with quiet gaps longer than
// idle in some of them. It calls tick at each second of capture time.
func synthFlows(a *model.Aggregator, flows, seconds int, tick func()) {
	r := rand.New(rand.NewPCG(9, 10))
	t0 := int64(1700000000e9)
	for s := range seconds {
		for f := range flows {
			// Flows of the first tenth pause for 5 s every 20 s.
			if f < flows/10 && s%20 >= 15 {
				continue
			}
			if r.IntN(3) == 0 {
				continue
			}
			c := netip.AddrFrom4([4]byte{10, 0, byte(f >> 8), byte(f)})
			sv := netip.MustParseAddr("192.0.2.80")
			l4 := uint8(6)
			if f%3 == 0 {
				l4 = 17
			}
			if f%7 == 0 {
				c = netip.AddrFrom16([16]byte{0x20, 1, 0xd, 0xb8, 15: byte(f)})
				sv = netip.MustParseAddr("2001:db8::80")
			}
			for range 1 + r.IntN(4) {
				p := model.Packet{Time: t0 + int64(s)*1e9 + int64(r.IntN(1e9)), WireLen: uint32(60 + r.IntN(1400)),
					Src: c, Dst: sv, SrcPort: uint16(30000 + f), DstPort: 443, L4: l4}
				if r.IntN(2) == 0 {
					p.Src, p.Dst, p.SrcPort, p.DstPort = sv, c, 443, uint16(30000+f)
				}
				a.Add(&p)
			}
		}
		a.Advance(t0 + int64(s+1)*1e9)
		tick()
	}
}

// directionsOf returns the aggregator's flows by direction, keyed as
// collect.Flow.Key does.
func directionsOf(a *model.Aggregator) map[string]model.Counts {
	s := a.Snapshot(model.View{Sort: model.SortBytes})
	m := map[string]model.Counts{}
	for _, f := range s.Flows.Rows {
		if !f.Out.IsZero() {
			m[fmt.Sprintf("%d %s:%d %s:%d", f.L4, f.A, f.Port, f.B, f.PortB)] = f.Out
		}
		if !f.In.IsZero() {
			m[fmt.Sprintf("%d %s:%d %s:%d", f.L4, f.B, f.PortB, f.A, f.Port)] = f.In
		}
	}
	return m
}

// TestIPFIXNfcapd exports two minutes of flows, with active and idle
// timeouts, to a real nfcapd, and reads them back with nfdump: every
// direction of every flow has the packets and bytes pktop counted, split
// into records no longer than the active timeout (plus the pump's
// second). With a small flow table, the records of evicted flows still
// add up to the traffic.
func TestIPFIXNfcapd(t *testing.T) {
	for _, tc := range []struct {
		name    string
		maxKeys int
	}{{"exact", 20000}, {"evicting", 40}} {
		t.Run(tc.name, func(t *testing.T) {
			n := collect.StartNfcapd(t)
			cfg := model.DefaultConfig()
			cfg.MaxKeys = tc.maxKeys
			cfg.FlowDeltas = true
			a := model.NewAggregator(cfg)
			x, err := DialIPFIX("127.0.0.1:"+strconv.Itoa(n.Port), 10*time.Second, 3*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			p := &Pump{IPFIX: x}
			var ip model.Counts
			synthFlows(a, 200, 120, func() {
				if err := p.Tick(t.Context(), Owned(a)); err != nil {
					t.Fatal(err)
				}
				time.Sleep(time.Millisecond) // a collector's socket buffer is finite
			})
			if err := p.Close(t.Context(), Owned(a)); err != nil {
				t.Fatal(err)
			}
			x.Close()
			s := a.Snapshot(model.View{})
			ip = s.Total // every frame is IP
			got := n.Flows(t)
			var sum model.Counts
			records := 0
			for _, f := range got {
				sum.Packets += f.Packets
				sum.Bytes += f.Bytes
				records += f.Records
				if f.Longest > 11 {
					t.Errorf("%s: a record lasts %.3f s; the active timeout is 10 s", f.Key(), f.Longest)
				}
			}
			if sum != ip {
				t.Errorf("the collector has %+v; pktop counted %+v\n%s", sum, ip, n.Log())
			}
			if x.Stats.Errors.Load() != 0 || x.Stats.Records.Load() != uint64(records) {
				t.Errorf("pktop sent %d records (%d errors); the collector has %d", x.Stats.Records.Load(), x.Stats.Errors.Load(), records)
			}
			if tc.maxKeys < 100 {
				return
			}
			want := directionsOf(a)
			if records < 3*len(want) {
				t.Errorf("%d records for %d flow directions over 120 s: the timeouts did not split them", records, len(want))
			}
			for k, c := range want {
				f := got[k]
				if f == nil {
					t.Errorf("%s: not at the collector", k)
					continue
				}
				if f.Packets != c.Packets || f.Bytes != c.Bytes {
					t.Errorf("%s: the collector has %d packets, %d bytes; pktop %d, %d", k, f.Packets, f.Bytes, c.Packets, c.Bytes)
				}
			}
			if len(got) != len(want) {
				t.Errorf("the collector has %d flow directions; pktop %d", len(got), len(want))
			}
		})
	}
}

// udpRecorder receives UDP datagrams on loopback and writes them into a
// pcap (raw IPv4 link type) as they would have been on the wire.
type udpRecorder struct {
	conn *net.UDPConn
	mu   sync.Mutex
	msgs [][]byte
	done chan struct{}
}

func newUDPRecorder(t *testing.T) *udpRecorder {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadBuffer(8 << 20)
	r := &udpRecorder{conn: c, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		buf := make([]byte, 65536)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			r.mu.Lock()
			r.msgs = append(r.msgs, append([]byte(nil), buf[:n]...))
			r.mu.Unlock()
		}
	}()
	return r
}

func (r *udpRecorder) port() int { return r.conn.LocalAddr().(*net.UDPAddr).Port }

// pcap stops receiving and writes the datagrams as IPv4/UDP frames.
func (r *udpRecorder) pcap(name string) ([][]byte, error) {
	time.Sleep(200 * time.Millisecond)
	r.conn.Close()
	<-r.done
	f, err := os.Create(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 65535)
	binary.LittleEndian.PutUint32(hdr[20:], 101) // LINKTYPE_RAW
	w.Write(hdr)
	for i, m := range r.msgs {
		pkt := make([]byte, 28, 28+len(m))
		pkt[0], pkt[8], pkt[9] = 0x45, 64, 17
		binary.BigEndian.PutUint16(pkt[2:], uint16(28+len(m)))
		copy(pkt[12:], []byte{127, 0, 0, 1, 127, 0, 0, 1})
		binary.BigEndian.PutUint16(pkt[20:], 50000)
		binary.BigEndian.PutUint16(pkt[22:], uint16(r.port()))
		binary.BigEndian.PutUint16(pkt[24:], uint16(8+len(m)))
		pkt = append(pkt, m...)
		rec := make([]byte, 16)
		binary.LittleEndian.PutUint32(rec[0:], uint32(1700000000+i))
		binary.LittleEndian.PutUint32(rec[8:], uint32(len(pkt)))
		binary.LittleEndian.PutUint32(rec[12:], uint32(len(pkt)))
		w.Write(rec)
		w.Write(pkt)
	}
	return r.msgs, w.Flush()
}

// TestIPFIXTshark decodes pktop's export with tshark's IPFIX dissector:
// the fields of every record (addresses, ports, protocol, counts, times,
// end reason, direction) sum up per flow direction to what pktop
// counted, no record starts after it ends, and the sequence numbers
// follow RFC 7011 (each message's is the records sent before it).
func TestIPFIXTshark(t *testing.T) {
	collect.Need(t, "tshark")
	rec := newUDPRecorder(t)
	cfg := model.DefaultConfig()
	cfg.FlowDeltas = true
	a := model.NewAggregator(cfg)
	x, err := DialIPFIX("udp://127.0.0.1:"+strconv.Itoa(rec.port()), 10*time.Second, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	p := &Pump{IPFIX: x}
	synthFlows(a, 60, 40, func() { p.Tick(t.Context(), Owned(a)) })
	p.Close(t.Context(), Owned(a))
	x.Close()
	file := filepath.Join(t.TempDir(), "ipfix.pcap")
	if d := os.Getenv("PKTOP_KEEP"); d != "" {
		file = filepath.Join(d, "ipfix.pcap")
	}
	msgs, err := rec.pcap(file)
	if err != nil {
		t.Fatal(err)
	}
	// The sequence numbers, from the bytes received.
	var seq uint32
	for i, m := range msgs {
		if got := binary.BigEndian.Uint32(m[8:]); got != seq {
			t.Errorf("message %d: sequence number %d; want %d", i, got, seq)
		}
		for off := 16; off+4 <= len(m); {
			id, n := binary.BigEndian.Uint16(m[off:]), int(binary.BigEndian.Uint16(m[off+2:]))
			if id >= 256 {
				seq += uint32((n - 4) / recordLen(id == templateIPv6))
			}
			off += n
		}
	}
	out, err := exec.Command("tshark", "-n", "-r", file, "-d", "udp.port=="+strconv.Itoa(rec.port())+",cflow", "-T", "json").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	var frames []struct {
		Source struct {
			Layers map[string]json.RawMessage
		} `json:"_source"`
	}
	if err := json.Unmarshal(out, &frames); err != nil {
		t.Fatalf("tshark -T json: %v", err)
	}
	got := map[string]model.Counts{}
	records := 0
	for _, fr := range frames {
		var cf map[string]json.RawMessage
		if err := json.Unmarshal(fr.Source.Layers["cflow"], &cf); err != nil {
			t.Fatalf("no IPFIX in a frame: %v", err)
		}
		if string(cf["cflow.version"]) != `"10"` {
			t.Errorf("IPFIX version %s", cf["cflow.version"])
		}
		for name, set := range cf {
			if !strings.HasPrefix(name, "Set ") || strings.Contains(name, "id=2]") {
				continue
			}
			var flows map[string]json.RawMessage
			json.Unmarshal(set, &flows)
			for fname, raw := range flows {
				if !strings.HasPrefix(fname, "Flow ") {
					continue
				}
				var f map[string]any
				json.Unmarshal(raw, &f)
				str := func(k string) string { v, _ := f[k].(string); return v }
				src, dst := str("cflow.srcaddr")+str("cflow.srcaddrv6"), str("cflow.dstaddr")+str("cflow.dstaddrv6")
				k := fmt.Sprintf("%s %s:%s %s:%s", str("cflow.protocol"), src, str("cflow.srcport"), dst, str("cflow.dstport"))
				n, _ := strconv.ParseUint(str("cflow.packets"), 10, 64)
				b, _ := strconv.ParseUint(str("cflow.octets"), 10, 64)
				c := got[k]
				c.Packets += n
				c.Bytes += b
				got[k] = c
				records++
				times, _ := f["cflow.timedelta_tree"].(map[string]any)
				st, _ := time.Parse("Jan 2, 2006 15:04:05.000000000 MST", fmt.Sprint(times["cflow.abstimestart"]))
				en, _ := time.Parse("Jan 2, 2006 15:04:05.000000000 MST", fmt.Sprint(times["cflow.abstimeend"]))
				if st.IsZero() || en.Before(st) || en.Sub(st) > 11*time.Second {
					t.Errorf("%s: from %v to %v (active timeout 10 s)", k, times["cflow.abstimestart"], times["cflow.abstimeend"])
				}
				if r := str("cflow.flow_end_reason"); r != "1" && r != "2" && r != "4" {
					t.Errorf("%s: flowEndReason %q", k, r)
				}
				sp, _ := strconv.Atoi(str("cflow.srcport"))
				dp, _ := strconv.Atoi(str("cflow.dstport"))
				want := "1"
				if sp < dp {
					want = "2"
				}
				if d := str("cflow.biflow_direction"); d != want {
					t.Errorf("%s: biflowDirection %s; want %s (the lower port serves)", k, d, want)
				}
			}
		}
	}
	if uint32(records) != seq || records == 0 {
		t.Errorf("tshark decoded %d records; the messages hold %d", records, seq)
	}
	want := directionsOf(a)
	if len(got) != len(want) {
		t.Errorf("tshark sees %d flow directions; pktop counted %d", len(got), len(want))
	}
	for k, c := range want {
		if got[k] != c {
			t.Errorf("%s: tshark decodes %+v; pktop counted %+v", k, got[k], c)
		}
	}
}

// decodeRecords sums the data records of IPFIX messages per flow
// direction (keyed as directionsOf does); it fails on a data set before
// its template was seen in the stream.
func decodeRecords(t *testing.T, msgs [][]byte, got map[string]model.Counts) {
	t.Helper()
	templates := map[uint16]bool{}
	for _, m := range msgs {
		for off := 16; off+4 <= len(m); {
			id, n := binary.BigEndian.Uint16(m[off:]), int(binary.BigEndian.Uint16(m[off+2:]))
			body := m[off+4 : off+n]
			off += n
			if id == 2 {
				for len(body) >= 4 {
					tid, fields := binary.BigEndian.Uint16(body), int(binary.BigEndian.Uint16(body[2:]))
					templates[tid] = true
					body = body[4+4*fields:]
				}
				continue
			}
			if !templates[id] {
				t.Fatalf("a data set of template %d before the template", id)
			}
			al := 4
			if id == templateIPv6 {
				al = 16
			}
			for k := recordLen(id == templateIPv6); len(body) >= k; body = body[k:] {
				src, _ := netip.AddrFromSlice(body[:al])
				dst, _ := netip.AddrFromSlice(body[al : 2*al])
				r := body[2*al:]
				key := fmt.Sprintf("%d %s:%d %s:%d", r[4], src, binary.BigEndian.Uint16(r), dst, binary.BigEndian.Uint16(r[2:]))
				c := got[key]
				c.Packets += binary.BigEndian.Uint64(r[5:])
				c.Bytes += binary.BigEndian.Uint64(r[13:])
				got[key] = c
			}
		}
	}
}

// TestIPFIXTCP exports over TCP to a collector that drops the first
// connection after one message: pktop connects again, sends the
// templates first in the new stream, and the messages it could send
// carry every record after the first connection's.
func TestIPFIXTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	streams := make(chan [][]byte, 4)
	go func() {
		for i := 0; ; i++ {
			c, err := ln.Accept()
			if err != nil {
				close(streams)
				return
			}
			var msgs [][]byte
			for {
				hdr := make([]byte, 4)
				if _, err := io.ReadFull(c, hdr); err != nil {
					break
				}
				m := make([]byte, binary.BigEndian.Uint16(hdr[2:]))
				copy(m, hdr)
				if _, err := io.ReadFull(c, m[4:]); err != nil {
					break
				}
				msgs = append(msgs, m)
				if i == 0 { // the first connection: one message, then gone
					break
				}
			}
			c.Close()
			streams <- msgs
		}
	}()
	cfg := model.DefaultConfig()
	cfg.FlowDeltas = true
	a := model.NewAggregator(cfg)
	x, err := DialIPFIX("tcp://"+ln.Addr().String(), 10*time.Second, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	p := &Pump{IPFIX: x}
	synthFlows(a, 60, 40, func() {
		p.Tick(t.Context(), Owned(a))
		time.Sleep(2 * time.Millisecond)
	})
	p.Close(t.Context(), Owned(a))
	x.Close()
	time.Sleep(100 * time.Millisecond)
	ln.Close()
	var all [][][]byte
	for s := range streams {
		all = append(all, s)
	}
	if len(all) < 2 || x.Stats.Errors.Load() == 0 {
		t.Fatalf("%d connections, %d write errors: the collector's drop was not seen", len(all), x.Stats.Errors.Load())
	}
	got := map[string]model.Counts{}
	for _, s := range all {
		decodeRecords(t, s, got) // each stream starts with its templates
	}
	var sum model.Counts
	for _, c := range got {
		sum.Packets += c.Packets
		sum.Bytes += c.Bytes
	}
	total := a.Snapshot(model.View{}).Total
	// What was written into the closed connection is lost (and counted as
	// errors); the rest arrived.
	if sum.Packets == 0 || sum.Packets > total.Packets || x.Stats.Records.Load() == 0 {
		t.Errorf("the collector got %+v of %+v", sum, total)
	}
	t.Logf("%d connections, %d records sent, %d write errors; %d of %d packets at the collector",
		len(all), x.Stats.Records.Load(), x.Stats.Errors.Load(), sum.Packets, total.Packets)
}
