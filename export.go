package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/pktop/pktop/export"
	"github.com/pktop/pktop/model"
	"github.com/pktop/pktop/sniff"
)

// exportOptions are the flags of the exporters (Prometheus, IPFIX, JSON
// lines) and, once started, the exporters themselves.
type exportOptions struct {
	listen, path     string
	top              int
	noScreen         bool
	ipfix            string
	ipActive, ipIdle time.Duration
	every            time.Duration

	// Set by startExport.
	headless bool
	metrics  *export.Metrics
	ipfixExp *export.IPFIX
	jsonl    bool
	stdout   io.Writer
}

func exportFlags(fs *flag.FlagSet, e *exportOptions) {
	listenHelp := "serve Prometheus metrics on `address` (e.g. :9474), beside the screen or headless; after the end of a replay (-r) pktop keeps serving the final values until a signal"
	fs.StringVar(&e.listen, "listen", "", listenHelp)
	fs.StringVar(&e.listen, "web.listen-address", "", "the same as --listen (the name Prometheus exporters use)")
	fs.StringVar(&e.path, "web.telemetry-path", "/metrics", "`path` of the metrics under --listen")
	fs.IntVar(&e.top, "top-series", 10, "export the top `N` hosts, conversations and ports as Prometheus series (the rest sum into \"other\"), and N rows of each in JSON lines")
	fs.BoolVar(&e.noScreen, "no-screen", false, "no screen: only the exporters (--listen, --ipfix, --report jsonl) run, until a signal or the end of a replay")
	fs.StringVar(&e.ipfix, "ipfix", "", "export flow records over IPFIX to a collector at `HOST:PORT` (UDP; tcp://HOST:PORT for TCP)")
	fs.DurationVar(&e.ipActive, "ipfix-active", time.Minute, "IPFIX active timeout: a flow still sending after this `time` gets a record, and a new one starts")
	fs.DurationVar(&e.ipIdle, "ipfix-idle", 15*time.Second, "IPFIX idle timeout: a flow quiet for this `time` ends")
	fs.DurationVar(&e.every, "every", 10*time.Second, "with --report jsonl: write a line every `interval`")
}

// exportCheck checks the exporters' flags; --report jsonl, --no-screen
// and exporters with --report json|text make the run headless.
func exportCheck(o *options, stderr io.Writer) bool {
	e := &o.exp
	fail := func(msg string) bool { fmt.Fprintln(stderr, "pktop: "+msg); return false }
	switch {
	case e.top < 1:
		return fail("--top-series must be 1 or more")
	case e.ipActive <= 0 || e.ipIdle <= 0:
		return fail("--ipfix-active and --ipfix-idle must be positive")
	case e.every <= 0:
		return fail("--every must be positive")
	case e.noScreen && e.listen == "" && e.ipfix == "" && o.report == "":
		return fail("--no-screen needs --listen, --ipfix or --report")
	}
	exporting := e.listen != "" || e.ipfix != ""
	e.headless = o.report == "jsonl" || e.noScreen || (exporting && o.report != "")
	return true
}

// exportTitle names the capture in the metrics' interface label.
func exportTitle(o *options) string {
	switch {
	case o.demo:
		return "demo"
	case o.read == "-":
		return "stdin"
	case o.read != "":
		return filepath.Base(o.read)
	case o.iface != "":
		return o.iface
	}
	if name, err := sniff.DefaultInterface(); err == nil {
		return name
	}
	return ""
}

// startExport starts the Prometheus server and connects to the IPFIX
// collector, before the capture opens (a replay from a pipe may wait
// for its data, and Prometheus may already scrape). It returns an exit
// status, or -1 to go on. The server stops when ctx is done.
func startExport(ctx context.Context, o *options, stdout, stderr io.Writer) int {
	e := &o.exp
	e.jsonl, e.stdout = o.report == "jsonl", stdout
	stats := map[string]*export.Stats{}
	if e.ipfix != "" {
		x, err := export.DialIPFIX(e.ipfix, e.ipActive, e.ipIdle)
		if err != nil {
			fmt.Fprintf(stderr, "pktop: %v\n", err)
			return 1
		}
		e.ipfixExp = x
		stats["ipfix"] = &x.Stats
	}
	if e.listen != "" {
		e.metrics = export.NewMetrics(exportTitle(o), e.top, stats)
		reg, err := export.NewRegistry(e.metrics)
		if err == nil {
			_, err = export.Serve(ctx, e.listen, e.path, reg)
		}
		if err != nil {
			fmt.Fprintf(stderr, "pktop: %v\n", err)
			return 1
		}
	}
	return -1
}

// config sets what the model must keep for the exporters.
func (e *exportOptions) config(cfg model.Config) model.Config {
	cfg.FlowDeltas = e.ipfixExp != nil || e.jsonl
	return cfg
}

// attach starts the exporters' pump on m. The returned function stops
// it and makes the last export (final IPFIX records, last JSON line)
// from src: the model goroutine still serving, or export.Owned of the
// aggregator once it has returned.
func (e *exportOptions) attach(m *model.Model) func(src export.Source) {
	if e.metrics == nil && e.ipfixExp == nil && !e.jsonl {
		return func(export.Source) {}
	}
	p := &export.Pump{Every: time.Second, Top: e.top, Metrics: e.metrics, IPFIX: e.ipfixExp}
	if e.jsonl {
		p.JSONL = export.NewJSONL(e.stdout, e.every, e.top, time.Now())
		if e.metrics == nil && e.ipfixExp == nil {
			p.Every = e.every
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Run(ctx, m)
	}()
	return func(src export.Source) {
		cancel()
		<-done
		p.Close(context.Background(), src)
		if e.ipfixExp != nil {
			e.ipfixExp.Close()
		}
	}
}

// headless runs the exporters with no screen until the input ends (a
// replay) or a signal. The final report (--report json|text) is printed
// at the end of the input; with --listen, a replay then keeps serving
// the final values until a signal.
func headless(ctx context.Context, src source, cfg model.Config, o *options, stdout, stderr io.Writer) int {
	cfg = o.exp.config(cfg)
	cfg.NoRowRates = true // exporters rank rows by their deltas: no rates needed
	// The exporters take deltas; the only snapshot is the final one.
	m := model.New(cfg, time.Hour)
	m.SetView(model.View{Sort: model.SortBytes, NoSpark: true})
	stop := o.exp.attach(m)
	ch := make(chan *model.Batch, 64)
	feedErr := make(chan error, 1)
	go func() {
		feedErr <- src.Feed(ctx, ch)
		close(ch)
	}()
	idle, stopIdle := context.WithCancel(context.Background())
	counted, modelDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(modelDone)
		m.Run(context.Background(), ch) // counts every batch the feed sent
		close(counted)
		m.Idle(idle)
	}()
	if src.Live {
		fmt.Fprintf(stderr, "pktop: capturing on %s, exporting until a signal\n", src.Title)
	}
	err := <-feedErr
	<-counted
	stop(m)
	interrupted := ctx.Err() != nil
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		err = nil
	}
	code := 0
	if o.report == "json" || o.report == "text" {
		code = printReport(model.NewReport(m.Latest(), src.Title, src.Filter), err, o, stdout, stderr)
	} else if err != nil {
		fmt.Fprintf(stderr, "pktop: %v\n", err)
		code = 1
	}
	if !src.Live && o.exp.listen != "" && !interrupted {
		fmt.Fprintf(stderr, "pktop: end of %s; serving the final metrics until a signal\n", src.Title)
		<-ctx.Done()
	} else if !src.Live && interrupted && code == 0 {
		fmt.Fprintln(stderr, "pktop: interrupted; the exports cover what was read")
		code = 130
	}
	stopIdle()
	<-modelDone
	return code
}
