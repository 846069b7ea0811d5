package main

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/pktop/pktop/model"
	"github.com/pktop/pktop/sniff"
	"github.com/pktop/pktop/ui"
)

var updateScreens = flag.Bool("update-screens", false, "rewrite the demo screens in ui/testdata/demo-*.golden")

// demoAggregator counts the whole built-in capture, as the screen would
// by its end.
func demoAggregator(t testing.TB) *model.Aggregator {
	t.Helper()
	f, err := sniff.OpenDemo()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg := model.DefaultConfig()
	cfg.Service = serviceName
	ch := make(chan *model.Batch, 16)
	errc := make(chan error, 1)
	go func() {
		errc <- sniff.Replay(context.Background(), f, ch, sniff.Options{LearnNames: true})
		close(ch)
	}()
	agg := model.NewAggregator(cfg)
	for b := range ch {
		agg.AddBatch(b)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	return agg
}

// TestDemoScreens draws the end of the built-in capture on screens of
// several sizes after a few keys, and compares them with goldens.
func TestDemoScreens(t *testing.T) {
	agg := demoAggregator(t)
	src := ui.Source{Title: "demo:example.pcap (built in)"}
	cases := []struct {
		name string
		w, h int
		keys string
	}{
		{"hosts-120x40", 120, 40, ""},
		{"conversations-120x40", 120, 40, "\t"},
		{"ports-80x24", 80, 24, "3"},
		{"hosts-80x24", 80, 24, ""},
		{"help-80x24", 80, 24, "?"},
		{"filter-120x40", 120, 40, "/tls\n"},
		{"focus-120x40", 120, 40, "jj\n"},
		{"sort-bits-noname-100x30", 100, 30, "ssbn"},
		{"tiny-40x10", 40, 10, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ui.Render(ui.NewStatic(agg, true), src, false, c.w, c.h, ui.Keys(c.keys)...)
			path := filepath.Join("ui", "testdata", "demo-"+c.name+".golden")
			if *updateScreens {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestDemoScreens -update-screens .)", err)
			}
			if got != string(want) {
				t.Errorf("screen %s differs from %s; got:\n%s", c.name, path, got)
			}
		})
	}
}
