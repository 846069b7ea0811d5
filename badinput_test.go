package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadInputGetsOneLineError: every damaged, empty, missing or foreign
// input gets one line on stderr naming the file, and never a panic.
func TestBadInputGetsOneLineError(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("this is not a capture at all"))
	zw.Close()
	cases := map[string]struct {
		path string
		want string
	}{
		"missing":      {filepath.Join(dir, "nope.pcap"), "no such file"},
		"directory":    {dir, "is a directory"},
		"empty":        {write("empty.pcap", nil), "empty file"},
		"text":         {write("notes.txt", []byte("hello, this is text\n")), "not a pcap or pcapng capture"},
		"tiny":         {write("tiny.pcap", []byte{0xd4, 0xc3}), "not a capture"},
		"gzip-of-text": {write("text.gz", gz.Bytes()), "not a pcap or pcapng capture"},
		"garbled-gzip": {write("bad.pcap.gz", append([]byte{0x1f, 0x8b, 8, 0}, bytes.Repeat([]byte{0xff}, 40)...)), "gzip"},
		"pcap-v1":      {"testdata/malformed/libpcap_pcap-invalid-version-1.pcap", "unsupported pcap version 1.4"},
		"pcapng-v0":    {"testdata/malformed/libpcap_pcapng-invalid-vers-1.pcapng", "damaged at byte 0"},
		"reserved":     {"testdata/malformed/libpcap_linktype-reserved-field-not-zero.pcap", "reserved bits"},
		"huge-record":  {"testdata/malformed/suricata_tls_DER-incomplete-header.pcap", "damaged at byte 5035, after 6 packets"},
		"2nd-section":  {"testdata/malformed/gopacket_be_test901.pcapng", "after 1 packet:"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			rep, code, stderr := runReport(t, "-r", c.path)
			if code == 0 {
				t.Fatalf("exit 0; want an error")
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if len(lines) != 1 || !strings.Contains(stderr, c.path) || !strings.Contains(stderr, c.want) {
				t.Fatalf("stderr %q; want one line naming %s and saying %q", stderr, c.path, c.want)
			}
			if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
				t.Fatalf("stderr has a trace: %s", stderr)
			}
			_ = rep
		})
	}
}

// TestMalformedCorpusNeverPanics reads every file of testdata/malformed.
func TestMalformedCorpusNeverPanics(t *testing.T) {
	files, _ := filepath.Glob("testdata/malformed/*")
	for _, f := range files {
		_, code, stderr := runReport(t, "-r", f)
		if code != 0 && len(strings.Split(strings.TrimSpace(stderr), "\n")) != 1 {
			t.Errorf("%s: exit %d with %q", f, code, stderr)
		}
	}
}

// TestCutShortKeepsWhatWasRead cuts good captures at many points: the
// report still counts every packet before the cut (as many as tshark
// reads), then says where the damage is, and exits non-zero.
func TestCutShortKeepsWhatWasRead(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"pcpp_sll.pcap", "pcpp_pcapng-example.pcapng", "tcpdump_geneve.pcap"} {
		data, err := os.ReadFile(filepath.Join("testdata", "captures", name))
		if err != nil {
			t.Fatal(err)
		}
		whole, code, _ := runReport(t, "-r", filepath.Join("testdata", "captures", name))
		if code != 0 {
			t.Fatalf("%s: exit %d", name, code)
		}
		total := num(whole["packets"])
		prev := uint64(0)
		for _, frac := range []float64{0.1, 0.33, 0.5, 0.77, 0.999} {
			cut := int(float64(len(data)) * frac)
			p := filepath.Join(dir, name)
			os.WriteFile(p, data[:cut], 0o644)
			rep, code, stderr := runReport(t, "-r", p)
			if code != 1 {
				t.Fatalf("%s cut at %d: exit %d; want 1 (%s)", name, cut, code, stderr)
			}
			if !strings.Contains(stderr, p+": damaged at byte") {
				t.Fatalf("%s cut at %d: stderr %q does not say where", name, cut, stderr)
			}
			got := num(rep["packets"])
			if got < prev || got >= total {
				t.Fatalf("%s cut at %d: %d packets; want between %d and %d", name, cut, got, prev, total-1)
			}
			if rep["error"] == nil {
				t.Fatalf("%s cut at %d: the report does not carry the error", name, cut)
			}
			prev = got
		}
	}
}
