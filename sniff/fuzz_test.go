package sniff

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/gopacket/gopacket/layers"

	"github.com/pktop/pktop/internal/synth"
	"github.com/pktop/pktop/model"
)

// seedFrames adds the first frames of every testdata capture to a fuzz
// corpus, with their link types.
func seedFrames(f *testing.F) {
	files, _ := filepath.Glob("../testdata/captures/*")
	for _, name := range files {
		fl, err := Open(name)
		if err != nil {
			continue
		}
		for i := 0; i < 20; i++ {
			fr, err := fl.Next()
			if err != nil {
				break
			}
			f.Add(uint16(fr.LinkType), bytes.Clone(fr.Data))
		}
		fl.Close()
	}
}

// FuzzDecode decodes arbitrary bytes as a frame of any link type: it must
// never panic, and the summary must stay consistent.
func FuzzDecode(f *testing.F) {
	seedFrames(f)
	var d Decoder
	d.LearnNames = true
	f.Fuzz(func(t *testing.T, lt uint16, data []byte) {
		p := model.Packet{WireLen: uint32(len(data)), CapLen: uint32(len(data))}
		d.Decode(data, layers.LinkType(lt), &p)
		d.TakeNames(nil)
		if p.Src.IsValid() != p.Dst.IsValid() {
			t.Fatalf("one address without the other: %v %v", p.Src, p.Dst)
		}
		if (p.SrcPort != 0 || p.DstPort != 0) && p.L4 == 0 {
			t.Fatalf("ports without a transport protocol")
		}
	})
}

// FuzzReader reads arbitrary bytes as a capture file: it must never
// panic nor hang, must end with io.EOF or a typed error, and must read in
// bounded memory: its buffers, plus no more than the (decompressed) input
// itself, whatever lengths and counts the input claims.
func FuzzReader(f *testing.F) {
	files, _ := filepath.Glob("../testdata/captures/*")
	more, _ := filepath.Glob("../testdata/malformed/*")
	for _, name := range append(files, more...) {
		data, err := os.ReadFile(name)
		if err == nil && len(data) < 64<<10 {
			f.Add(data)
		}
	}
	for _, h := range synth.CraftedSet() {
		var b bytes.Buffer
		if h.WriteFile(&b) == nil && b.Len() < 64<<10 {
			f.Add(b.Bytes())
			var z bytes.Buffer
			zw := gzip.NewWriter(&z)
			zw.Write(b.Bytes())
			zw.Close()
			f.Add(z.Bytes())
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		fl, err := NewReader("fuzz", bytes.NewReader(data))
		if err != nil {
			var fe *FormatError
			var de *DamageError
			if !errors.As(err, &fe) && !errors.As(err, &de) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		var d Decoder
		for i := 0; ; i++ {
			fr, err := fl.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				var de *DamageError
				if !errors.As(err, &de) {
					t.Fatalf("untyped error %T: %v", err, err)
				}
				break
			}
			if i > int(fl.count.n) {
				t.Fatalf("more records than bytes")
			}
			var p model.Packet
			d.Decode(fr.Data, fr.LinkType, &p)
		}
		runtime.ReadMemStats(&after)
		// Two read buffers (gzip), a kept record, the decompressor.
		limit := uint64(3<<20) + uint64(fl.count.n)
		if got := after.TotalAlloc - before.TotalAlloc; got > limit {
			t.Fatalf("reading %d bytes (%d decompressed) allocated %d bytes", len(data), fl.count.n, got)
		}
	})
}
