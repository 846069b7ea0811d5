package sniff

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/pktop/pktop/model"
)

// reference counts the packets of a capture that match k, as a focus on k
// from the start of the capture must.
func reference(t *testing.T, open func() (*File, error), k model.Key) *model.Snapshot {
	t.Helper()
	f, err := open()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a := model.NewAggregator(model.Config{MaxKeys: 4000})
	var dec Decoder
	for {
		fr, err := f.Next()
		if err != nil {
			break
		}
		var p model.Packet
		decodeFrame(&dec, &fr, &p)
		if model.MatchPacket(k, &p) {
			a.Add(&p)
		}
	}
	return a.Snapshot(model.View{Sort: model.SortBytes})
}

// TestFocusReadsTheCaptureAgain: a focus made in the middle of a replay,
// or after its end, covers the whole capture: the capture is read again
// for it, and its counts are exactly those of the row's packets.
func TestFocusReadsTheCaptureAgain(t *testing.T) {
	mustAddr := netip.MustParseAddr
	keys := []model.Key{
		{Kind: model.KindHost, A: mustAddr("10.0.0.138")},
		{Kind: model.KindPort, L4: 17, Port: 53},
		{Kind: model.KindConv, A: mustAddr("10.0.0.6"), B: mustAddr("212.199.202.9")},
	}
	// The demo's batches, as a replay sends them.
	f, err := OpenDemo()
	if err != nil {
		t.Fatal(err)
	}
	all := make(chan *model.Batch, 1024)
	if err := Replay(context.Background(), f, all, Options{LearnNames: true}); err != nil {
		t.Fatal(err)
	}
	close(all)
	var batches []*model.Batch
	for b := range all {
		batches = append(batches, b)
	}
	for _, k := range keys {
		for _, at := range []int{1, len(batches)} { // after the first batch, or after all
			m := model.New(model.DefaultConfig(), 10*time.Millisecond)
			m.SetRescan(Rescanner(OpenDemo, func(*File) (*Filter, error) { return nil, nil }, true))
			ctx, cancel := context.WithCancel(context.Background())
			in := make(chan *model.Batch)
			done := make(chan struct{})
			go func() {
				m.Run(ctx, in)
				m.Idle(ctx)
				close(done)
			}()
			for i, b := range batches {
				c := *b
				c.Packets = append([]model.Packet(nil), b.Packets...)
				in <- &c
				if i+1 == at {
					m.SetView(model.View{Sort: model.SortBytes, Focus: &k})
				}
			}
			close(in)
			var fs *model.Focus
			deadline := time.Now().Add(10 * time.Second)
			for {
				s := m.Latest()
				if s.Focus != nil && s.Focus.Complete && s.Done {
					fs = s.Focus
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%v: the focus never covered the capture: %+v", k, s.Focus)
				}
				time.Sleep(5 * time.Millisecond)
			}
			cancel()
			<-done
			want := reference(t, OpenDemo, k)
			got := fs.Sub
			if got.Total != want.Total {
				t.Errorf("%v at batch %d: %v; want %v", k, at, got.Total, want.Total)
			}
			if len(got.Protocols) != len(want.Protocols) {
				t.Errorf("%v: %d protocols; want %d", k, len(got.Protocols), len(want.Protocols))
			}
			for i := range min(len(got.Protocols), len(want.Protocols)) {
				if got.Protocols[i].Name != want.Protocols[i].Name || got.Protocols[i].Counts != want.Protocols[i].Counts {
					t.Errorf("%v: protocol %v; want %v", k, got.Protocols[i], want.Protocols[i])
				}
			}
			if len(got.Lengths) != len(want.Lengths) {
				t.Errorf("%v: %d lengths; want %d", k, len(got.Lengths), len(want.Lengths))
			}
			for _, kind := range []model.Kind{model.KindHost, model.KindConv, model.KindPort, model.KindFlow} {
				g, w := got.Table(kind).Rows, want.Table(kind).Rows
				if len(g) != len(w) {
					t.Errorf("%v: %d %v; want %d", k, len(g), kind, len(w))
					continue
				}
				byKey := map[model.Key]model.Row{}
				for _, r := range w {
					byKey[r.Key] = r
				}
				for _, r := range g {
					if wr := byKey[r.Key]; wr.Total != r.Total || wr.Out != r.Out || wr.In != r.In {
						t.Errorf("%v: %v %v: %v %v %v; want %v %v %v", k, kind, r.Key, r.Total, r.Out, r.In, wr.Total, wr.Out, wr.In)
					}
				}
			}
		}
	}
}
