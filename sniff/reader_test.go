package sniff

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/pktop/pktop/internal/synth"
)

// readAll reads a capture to its end and returns the frames it counted
// and the error it ended with (nil at a clean end).
func readAll(t testing.TB, name string, r io.Reader) (int, error) {
	t.Helper()
	f, err := NewReader(name, r)
	if err != nil {
		return 0, err
	}
	n := 0
	for {
		fr, err := f.Next()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			if n != f.Records() {
				t.Fatalf("%s: %d frames returned, %d records counted", name, n, f.Records())
			}
			return n, err
		}
		if len(fr.Data) > fr.CapLen || len(fr.Data) > maxKeep || fr.Time < timeMin || fr.Time > timeMax {
			t.Fatalf("%s: frame %d has %d bytes of %d, time %d", name, n, len(fr.Data), fr.CapLen, fr.Time)
		}
		n++
	}
}

var damageLine = regexp.MustCompile(`^[^\n]*: damaged at byte [0-9]+( \(of the decompressed data\))?, after [0-9]+ packets?: [^\n]+$`)

// checkEnd checks that a capture read n packets and ended as h says: at
// its end, or with one line of damage in pktop's words after h.Packets.
func checkEnd(t *testing.T, h *synth.Hostile, n int, err error) {
	t.Helper()
	if n != h.Packets {
		t.Errorf("%s: %d packets; want %d (%v)", h.Name, n, h.Packets, err)
	}
	var de *DamageError
	switch {
	case h.Damaged && !errors.As(err, &de):
		t.Errorf("%s: ended with %v; want damage", h.Name, err)
	case !h.Damaged && err != nil:
		t.Errorf("%s: %v", h.Name, err)
	case h.Damaged && !damageLine.MatchString(err.Error()):
		t.Errorf("%s: %q is not pktop's one line of damage", h.Name, err)
	case h.Damaged && de.Records != h.Packets:
		t.Errorf("%s: the damage says after %d packets; %d were read", h.Name, de.Records, n)
	}
}

var genCrafted = flag.Bool("gen-crafted", false, "rewrite testdata's crafted_ng_* and crafted_pcap_* captures from synth.CraftedSet")

// TestGenerateCraftedCaptures writes synth.CraftedSet into testdata: the
// clean captures into captures/ (testdata/gen-expect.sh then records
// what tshark says of them), the damaged into malformed/; not the few
// of 300 kB, which the tests make at run time.
func TestGenerateCraftedCaptures(t *testing.T) {
	if !*genCrafted {
		t.Skip("run with -gen-crafted to rewrite the crafted captures")
	}
	for _, h := range synth.CraftedSet() {
		if strings.Contains(h.Name, "300000") {
			continue // 300 kB: made at run time by TestReaderAgreesWithTshark
		}
		dir := "../testdata/captures"
		if h.Damaged {
			dir = "../testdata/malformed"
		}
		var b bytes.Buffer
		if err := h.WriteFile(&b); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, h.Name), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCraftedCaptures reads every crafted capture: odd ones to their end,
// damaged ones to the damage, with the packets tshark 4.0 reads.
func TestCraftedCaptures(t *testing.T) {
	for _, h := range synth.CraftedSet() {
		var b bytes.Buffer
		if err := h.WriteFile(&b); err != nil {
			t.Fatal(err)
		}
		n, err := readAll(t, h.Name, &b)
		checkEnd(t, &h, n, err)
	}
}

// TestHostileBoundedMemory reads every hostile capture at a sixteenth of
// its size (an enhanced packet block of 64 MiB, 256k interfaces, gzip
// expanding to 64 MiB, ...): each gives its packets and ends as it must,
// and reading it allocates a few MiB whatever it claims, apart from what
// its interfaces take in proportion to their number.
func TestHostileBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 100 MB of captures")
	}
	dir := t.TempDir()
	for _, h := range synth.HostileSet(16) {
		path := filepath.Join(dir, h.Name)
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.WriteFile(f); err != nil {
			t.Fatal(err)
		}
		f.Close()
		f, err = os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		n, err := readAll(t, h.Name, f)
		runtime.ReadMemStats(&after)
		f.Close()
		checkEnd(t, &h, n, err)
		// Buffers: 1 MiB to read, 1 MiB more for gzip, 256 KiB for a
		// long record. Interfaces: 8 bytes a run of identical ones
		// (16 as the table grows), 128 a distinct description.
		limit := uint64(4 << 20)
		switch {
		case strings.Contains(h.Name, "alternating"):
			limit += 16 * (3 << 20) / 16
		case strings.Contains(h.Name, "distinct"):
			limit += 128 * 200000 / 16
		}
		if got := after.TotalAlloc - before.TotalAlloc; got > limit {
			t.Errorf("%s: reading allocated %.1f MiB (more than %.1f)", h.Name, float64(got)/(1<<20), float64(limit)/(1<<20))
		}
	}
}

// TestTimeResolutions: an interface's if_tsresol and if_tsoffset give
// the times tshark gives, or saturate within 1970-2116 where tshark's
// wrap or go negative.
func TestTimeResolutions(t *testing.T) {
	cases := []struct {
		resol  byte
		offset int64
		ts     uint64
		want   int64
	}{
		{6, 0, 1700000000_123456, 1700000000_123456000},
		{9, 0, 1700000000_123456789, 1700000000_123456789},
		{3, 0, 1700000000_123, 1700000000_123000000},
		{0, 0, 1700000000, 1700000000_000000000},
		{0, 0, 1700000000_000000, timeMax},                  // tshark: 1.7e15 s
		{0x80, 0, 1700000000, 1700000000_000000000},         // 2^0
		{0x80 | 10, 0, 1024 * 1700000000, 1700000000 * 1e9}, // 2^-10
		{0x80 | 20, 0, 3 << 19, 1_500000000},                // 1.5 s
		{19, 0, math.MaxUint64, 1_844674407},                // 10^-19
		{20, 0, math.MaxUint64, 1_000000000},                // finer than a uint64 counts: 2^64-1 units a second
		{0x7f, 0, 1 << 63, 500000000},                       // 10^-127: tshark's arithmetic overflows to 0
		{0xff, 0, math.MaxUint64, 1_000000000},              // 2^-127
		{0xbf, 0, 1 << 63, 1_000000000},                     // 2^-63
		{0xc0, 0, math.MaxUint64, 1_000000000},              // 2^-64
		{6, 3600, 1700000000_000000, 1700003600_000000000},
		{6, -3600, 1700000000_000000, 1699996400_000000000},
		{6, 1 << 62, 1, timeMax},
		{6, math.MinInt64, 1700000000_000000, timeMin},
		{9, 0, math.MaxUint64, timeMax},
		{6, 0, math.MaxUint64, timeMax},
	}
	for _, c := range cases {
		d := ifDesc{units: unitsPerSecond(c.resol), offset: c.offset}
		if got := d.nanos(c.ts); got != c.want {
			t.Errorf("resolution 0x%02x offset %d: %d gives %d; want %d", c.resol, c.offset, c.ts, got, c.want)
		}
	}
}

// TestInterfaceTable: interfaces kept as runs of shared descriptions
// are found again, across runs and chunks of runs.
func TestInterfaceTable(t *testing.T) {
	var tab ifTable
	var want []uint16
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 3*runChunk; i++ {
		lt := uint16(1)
		if r.IntN(3) == 0 {
			lt = uint16(r.IntN(500))
		}
		if msg := tab.add(ifDesc{units: 1e6, lt: lt}, 0); msg != "" {
			t.Fatal(msg)
		}
		want = append(want, lt)
	}
	if len(tab.chunks) < 2 || len(tab.descs) > 500 {
		t.Fatalf("%d chunks, %d descriptions", len(tab.chunks), len(tab.descs))
	}
	for _, id := range append(r.Perm(len(want)), 0, 1, 2, len(want)-1) {
		d, ok := tab.get(uint32(id))
		if !ok || d.lt != want[id] {
			t.Fatalf("interface %d: %v %v; want link type %d", id, d, ok, want[id])
		}
	}
	if _, ok := tab.get(uint32(len(want))); ok {
		t.Fatal("an interface past the last")
	}
	tab.reset()
	if _, ok := tab.get(0); ok || tab.add(ifDesc{units: 1e9, lt: 7}, 0) != "" {
		t.Fatal("reset")
	}
	if d, ok := tab.get(0); !ok || d.lt != 7 {
		t.Fatalf("after reset: %v %v", d, ok)
	}
}

// TestGzipDamage: damage in the gzip stream is said as such, at the
// offset in the decompressed data where it stops the reading, and every
// packet before it counts.
func TestGzipDamage(t *testing.T) {
	data, err := os.ReadFile("../testdata/captures/pcpp_sll.pcap")
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(data)
	zw.Close()
	z := gz.Bytes()
	corrupt := bytes.Clone(z)
	corrupt[len(corrupt)-6] ^= 0xff // the CRC
	cases := []struct {
		name  string
		data  []byte
		n     int // packets; -1: some, fewer than 518
		want  string
		isFmt bool
	}{
		{"whole", z, 518, "", false},
		{"two members", twoMembers(data), 518, "", false},
		{"cut short", z[:len(z)/2], -1, "gzip stream cut short at byte", false},
		{"cut in the trailer", z[:len(z)-3], 518, "gzip stream cut short at byte", false},
		{"cut in the header", z[:6], 0, "damaged at byte 0 (of the decompressed data), after 0 packets: gzip stream cut short at byte 6 of the file", false},
		{"trailing garbage", append(bytes.Clone(z), "not gzip at all"...), 518, fmt.Sprintf("damaged at byte %d (of the decompressed data), after 518 packets: the gzip stream ends at byte %d of the file, and what follows is not gzip", len(data), len(z)), false},
		{"trailing zeros", append(bytes.Clone(z), make([]byte, 512)...), 518, "what follows is not gzip", false},
		{"trailing member cut", append(bytes.Clone(z), z[:5]...), 518, "gzip stream cut short", false},
		{"bad checksum", corrupt, 518, "gzip checksum or length does not match", false},
		{"bad header", append([]byte{0x1f, 0x8b, 99}, z[3:]...), 0, "gzip header is damaged", true},
	}
	for _, c := range cases {
		n, err := readAll(t, c.name, bytes.NewReader(c.data))
		if c.n >= 0 && n != c.n || c.n < 0 && (n == 0 || n >= 518) {
			t.Errorf("%s: %d packets; want %d", c.name, n, c.n)
		}
		var de *DamageError
		var fe *FormatError
		switch {
		case c.want == "":
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
		case c.isFmt && !errors.As(err, &fe), !c.isFmt && !errors.As(err, &de):
			t.Errorf("%s: %T %v", c.name, err, err)
		case !strings.Contains(err.Error(), c.want):
			t.Errorf("%s: %q does not say %q", c.name, err, c.want)
		case de != nil && !damageLine.MatchString(err.Error()):
			t.Errorf("%s: %q is not pktop's one line of damage", c.name, err)
		}
	}
}

// tsharkPackets runs tshark on a capture and returns the packets it
// reads (in a pcapng, frames of an interface: custom blocks and journal
// entries are not packets) and its complaint, if any.
func tsharkPackets(t *testing.T, path string) (int, string) {
	t.Helper()
	cmd := exec.Command("tshark", "-n", "-r", path, "-T", "fields", "-e", "frame.interface_id")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Run()
	n := 0
	if out.Len() > 0 {
		ng := isPcapng(t, path)
		for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
			if l != "" || !ng {
				n++
			}
		}
	}
	var complaint []string
	for _, l := range strings.Split(errb.String(), "\n") {
		if l != "" && !strings.Contains(l, "Running as user") {
			complaint = append(complaint, l)
		}
	}
	return n, strings.Join(complaint, " ")
}

func isPcapng(t *testing.T, path string) bool {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if zr, err := gzip.NewReader(f); err == nil {
		r = zr
	} else {
		f.Seek(0, 0)
	}
	m := make([]byte, 4)
	io.ReadFull(r, m)
	return bytes.Equal(m, []byte{0x0a, 0x0d, 0x0d, 0x0a})
}

// agreesWithTshark checks that pktop reads as many packets of a capture
// as tshark before the damage, and finds damage where tshark complains.
// tshark refuses classic pcaps of link types it does not know, which
// pktop counts (as undecoded): those are not compared.
func agreesWithTshark(t *testing.T, path string) {
	t.Helper()
	want, complaint := tsharkPackets(t, path)
	if strings.Contains(complaint, "doesn't support") && !isPcapng(t, path) {
		return
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, err := readAll(t, path, f)
	var fe *FormatError
	var de *DamageError
	if n == 0 && (errors.As(err, &fe) || want == 0 && errors.As(err, &de) && de.Offset == 0) {
		// Not a capture for pktop from its first byte; tshark may still
		// read it as some other kind of file (MIME, text), or as nothing.
		return
	}
	if n != want || (err != nil) != (complaint != "") {
		t.Errorf("%s: pktop reads %d packets (%v); tshark %d (%s)", path, n, err, want, complaint)
	}
}

// TestReaderAgreesWithTshark reads every capture of testdata (the
// malformed and crafted ones included) as tshark does: the same packets
// before the damage, and damage exactly where tshark finds some.
func TestReaderAgreesWithTshark(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark is not installed")
	}
	files, _ := filepath.Glob("../testdata/captures/*")
	more, _ := filepath.Glob("../testdata/malformed/*")
	dir := t.TempDir()
	for _, h := range synth.CraftedSet() {
		var b bytes.Buffer
		h.WriteFile(&b)
		path := filepath.Join(dir, h.Name)
		os.WriteFile(path, b.Bytes(), 0o644)
		files = append(files, path)
	}
	for _, path := range append(files, more...) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel() // tshark takes a while to start
			agreesWithTshark(t, path)
		})
	}
}

// TestMutantsAgreeWithTshark damages captures of testdata at random
// (cut short, a length or a field overwritten, a byte changed, bytes
// inserted, a block repeated, a block's type changed) and checks that pktop and tshark read as many packets of
// each before the damage. PKTOP_MUTANTS sets how many (default 60).
func TestMutantsAgreeWithTshark(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark is not installed")
	}
	count := 60
	if s := os.Getenv("PKTOP_MUTANTS"); s != "" {
		count, _ = strconv.Atoi(s)
	}
	seeds := []string{
		"gopacket_be_test202.pcapng", "pcpp_pcapng-example.pcapng", "pktop_lo_any_multi.pcapng",
		"tcpdump_vsock-1.pcapng", "pcpp_many_interfaces-1.pcapng", "crafted_ng_byte_orders.pcapng",
		"tcpdump_tcp-handshake-nano.pcap", "pcpp_microsecs_big_endian.pcap", "tcpdump_ntp.pcap",
		"tcpdump_vxlan.pcap", "crafted_pcap_nokia.pcap", "crafted_pcap_v2.2_lengths.pcap",
	}
	var data [][]byte
	for _, s := range seeds {
		b, err := os.ReadFile(filepath.Join("../testdata/captures", s))
		if err != nil {
			t.Fatal(err)
		}
		data = append(data, b)
	}
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(7, uint64(count)))
	for i := range count {
		k := r.IntN(len(seeds))
		m, how := mutate(r, data[k])
		name := fmt.Sprintf("%03d-%s-%s", i, how, seeds[k])
		path := filepath.Join(dir, name)
		os.WriteFile(path, m, 0o644)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			agreesWithTshark(t, path)
		})
	}
}

// mutate returns a copy of a capture damaged in one way, and the way.
func mutate(r *rand.Rand, b []byte) ([]byte, string) {
	m := bytes.Clone(b)
	ng := bytes.HasPrefix(b, []byte{0x0a, 0x0d, 0x0d, 0x0a})
	// Block (or record) starts, where lengths and types are.
	var starts []int
	if ng {
		order := littleOrBig(b)
		for off := 0; off+8 <= len(b); {
			starts = append(starts, off)
			if b[off] == 0x0a && b[off+1] == 0x0d {
				order = littleOrBig(b[off:])
			}
			n := int(order.Uint32(b[off+4:]))
			if n < 12 {
				break
			}
			off += n
		}
	} else {
		order := littleOrBig(b)
		for off := 24; off+16 <= len(b); off += 16 + int(order.Uint32(b[off+8:])) {
			starts = append(starts, off)
		}
	}
	at := starts[r.IntN(len(starts))]
	switch r.IntN(8) {
	case 5: // any byte of the file
		m[r.IntN(len(m))] = byte(r.IntN(256))
		return m, "anybyte"
	case 6: // four bytes inserted in a block
		p := min(at+8+4*r.IntN(8), len(m))
		return append(m[:p:p], append([]byte{byte(r.IntN(256)), 0, 0, byte(r.IntN(2))}, m[p:]...)...), "insert"
	case 0:
		return m[:r.IntN(len(m))], "cut"
	case 1: // a length or count field: in a pcapng the block length or a field after it
		p := at + 4 + 4*r.IntN(4)
		if p+4 <= len(m) {
			v := []uint32{0, 1, 8, 12, 16, 28, 32, 0xffff, 0x10000, 262145, 0x7fffffff, 0xffffffff}[r.IntN(12)]
			m[p], m[p+1], m[p+2], m[p+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
		}
		return m, "field"
	case 2: // a small change to a length
		p := at + 4 + 4*r.IntN(5)
		if p < len(m) {
			m[p] += byte(r.IntN(9)) - 4
		}
		return m, "delta"
	case 3: // any byte of a block's first 64
		p := at + r.IntN(64)
		if p < len(m) {
			m[p] = byte(r.IntN(256))
		}
		return m, "byte"
	case 4: // a block repeated
		end := len(m)
		for _, s := range starts {
			if s > at {
				end = s
				break
			}
		}
		return append(m[:end:end], m[at:]...), "repeat"
	}
	// The type of a block.
	if ng && at > 0 {
		v := []byte{1, 2, 3, 4, 5, 6, 9, 10, 0xad}[r.IntN(9)]
		m[at], m[at+1], m[at+2], m[at+3] = v, 0, 0, 0
	}
	return m, "type"
}

// littleOrBig is the byte order of a pcap file header or a pcapng
// section header block at the start of b.
func littleOrBig(b []byte) binary.ByteOrder {
	if len(b) >= 12 && bytes.HasPrefix(b, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		if bytes.Equal(b[8:12], []byte{0x1a, 0x2b, 0x3c, 0x4d}) {
			return binary.BigEndian
		}
		return binary.LittleEndian
	}
	if len(b) >= 4 && (b[0] == 0xa1 || b[0] == 0x4d && b[1] == 0x3c) {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

// twoMembers returns data gzip-compressed in two members, as cat a.gz
// b.gz makes.
func twoMembers(data []byte) []byte {
	var b bytes.Buffer
	for _, part := range [][]byte{data[:len(data)/3], data[len(data)/3:]} {
		zw := gzip.NewWriter(&b)
		zw.Write(part)
		zw.Close()
	}
	return b.Bytes()
}

// TestStdinTricklePcapng: packets of a pcapng that trickle in through a
// pipe (as from dumpcap -w -) reach the model as they arrive: a block is
// not buffered until all of it is.
func TestStdinTricklePcapng(t *testing.T) {
	g := synth.NewNG(binary.BigEndian).IDB(1, 0, nil)
	frame := synth.UDP4(0x0a000001, 0x0a000002, 1, 2, 10)
	g.EPB(0, 1, frame, nil)
	first := len(g.B)
	g.EPB(0, 2, frame, nil).EPB(0, 3, frame, nil)
	pr, pw := io.Pipe()
	go pw.Write(g.B[:first+5]) // the first packet and part of the next block
	f, err := NewReader("-", pr)
	if err != nil {
		t.Fatal(err)
	}
	trickle(t, f, func() {
		pw.Write(g.B[first+5:])
		pw.Close()
	})
}
