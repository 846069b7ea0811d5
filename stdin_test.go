package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"
)

// TestStdinAndGzip: the same capture read from a file, from standard
// input (-r -), gzip-compressed, and gzip through standard input gives the
// same report.
func TestStdinAndGzip(t *testing.T) {
	name := "testdata/captures/pcpp_pcapng-example.pcapng"
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(data)
	zw.Close()
	gzName := filepath.Join(t.TempDir(), "capture.gz") // the name says nothing of the format
	os.WriteFile(gzName, gz.Bytes(), 0o644)

	want, code, _ := runReport(t, "-r", name)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	viaStdin := func(b []byte) map[string]any {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		old := os.Stdin
		os.Stdin = r
		defer func() { os.Stdin = old; r.Close() }()
		go func() { w.Write(b); w.Close() }()
		rep, code, stderr := runReport(t, "-r", "-")
		if code != 0 {
			t.Fatalf("stdin: exit %d: %s", code, stderr)
		}
		return rep
	}
	gzRep, code, _ := runReport(t, "-r", gzName)
	if code != 0 {
		t.Fatalf("gzip: exit %d", code)
	}
	for label, got := range map[string]map[string]any{"stdin": viaStdin(data), "gzip": gzRep, "gzip stdin": viaStdin(gz.Bytes())} {
		for _, k := range []string{"packets", "bytes", "captured_bytes"} {
			if num(got[k]) != num(want[k]) || num(want[k]) == 0 {
				t.Errorf("%s: %s = %v; want %v", label, k, got[k], want[k])
			}
		}
		if len(got["hosts"].([]any)) != len(want["hosts"].([]any)) {
			t.Errorf("%s: %d hosts; want %d", label, len(got["hosts"].([]any)), len(want["hosts"].([]any)))
		}
	}
}
