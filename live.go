package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/pktop/pktop/model"
	"github.com/pktop/pktop/sniff"
)

// liveFlags checks the live-capture flags and decides whether pktop
// captures live: it does when neither -r nor --demo is given.
func liveFlags(o *options, stderr io.Writer) bool {
	replay := o.read != "" || o.demo
	var liveOnly []string
	for _, f := range []struct {
		set  bool
		name string
	}{{o.iface != "", "-i"}, {o.write != "", "-w"}, {o.noPromisc, "-p"}, {o.snaplen != 0, "-s"}, {o.duration != 0, "--duration"}} {
		if f.set {
			liveOnly = append(liveOnly, f.name)
		}
	}
	switch {
	case o.read != "" && o.demo:
		fmt.Fprintln(stderr, "pktop: give -r FILE or --demo, not both")
		return false
	case replay && len(liveOnly) > 0:
		complain(stderr, "%s %s for live capture, not with -r or --demo", strings.Join(liveOnly, ", "), are(len(liveOnly)))
		return false
	case o.snaplen < 0:
		fmt.Fprintln(stderr, "pktop: -s must be 0 or more")
		return false
	case o.duration < 0:
		fmt.Fprintln(stderr, "pktop: --duration must be positive")
		return false
	case o.write == "-":
		fmt.Fprintln(stderr, "pktop: -w needs a file name (to pipe packets, use tcpdump -w -)")
		return false
	}
	o.live = !replay && !o.listIf
	return true
}

func are(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

// live lists the interfaces (-D) or captures from one: headless with
// --report, on the screen otherwise.
func live(ctx context.Context, o *options, stdout, stderr io.Writer) int {
	if o.listIf {
		ifs, err := sniff.Interfaces()
		if err != nil {
			complain(stderr, "%v", err)
			return 1
		}
		for _, i := range ifs {
			fmt.Fprintln(stdout, i)
		}
		return 0
	}
	iface, err := ifaceByNumber(o.iface)
	if err != nil {
		complain(stderr, "%v", err)
		return 1
	}
	if iface == "" {
		var err error
		if iface, err = sniff.DefaultInterface(); err != nil {
			complain(stderr, "%v", err)
			return 1
		}
	}
	lc, err := sniff.OpenLive(sniff.LiveOptions{Interface: iface, Filter: o.filter, Snaplen: o.snaplen,
		NoPromisc: o.noPromisc, Count: o.count, LearnNames: !o.noNames})
	if err != nil {
		complain(stderr, "%v", err)
		return 1
	}
	defer lc.Close()
	var wf, created *os.File
	if o.write != "" {
		var isNew bool
		if wf, isNew, err = sniff.CreateOutput(o.write); err != nil {
			complain(stderr, "%v", err)
			return 1
		}
		if isNew {
			created = wf // only a file pktop made may change owner
		}
		// Closed after the capture: on every way out, signals included,
		// the capture stops, flushes, then the file is synced and closed.
		defer func() {
			lc.Close()
			if isNew { // a FIFO or a device cannot be synced
				if err := wf.Sync(); err != nil {
					complain(stderr, "writing %s: %v", o.write, err)
				}
			}
			wf.Close()
		}()
		pcapng := strings.HasSuffix(strings.ToLower(o.write), ".pcapng")
		lc.WriteTo(wf, o.write, pcapng)
	}
	// The socket and the -w file are open, and process attribution is
	// started: nothing else needs privileges but what it keeps.
	var att *attribution
	noProcs := "no process attribution for the exporters alone"
	if wantProcs(o) {
		att, noProcs = startProcs(o, stderr)
	}
	dropPrivileges(att, created, stderr)

	cfg := model.DefaultConfig()
	cfg.MaxKeys = o.maxKeys
	cfg.Service = serviceName
	if att != nil {
		defer att.stop()
		cfg.Procs = att
	}
	capCtx := ctx
	if o.duration > 0 {
		var cancel context.CancelFunc
		capCtx, cancel = context.WithTimeout(ctx, o.duration)
		defer cancel()
	}
	defer func() {
		st := lc.Stats()
		complain(stderr, "%d packets captured on %s, %d dropped by the kernel, %d dropped by pktop",
			st.Captured, lc.Name(), st.KernelDrops, st.QueueDrops)
		if st.WriteError != "" {
			complain(stderr, "%s; %d packets not written", st.WriteError, st.NotWritten)
		}
	}()
	if o.report != "" && !o.exp.headless {
		where := "in the kernel"
		if !lc.FilterInKernel() {
			where = "in pktop"
		}
		if o.filter == "" {
			where = "none"
		}
		if att != nil {
			complain(stderr, "%s", att.summary())
		}
		complain(stderr, "capturing on %s (filter: %s), Ctrl-C to stop", lc.Name(), where)
		return liveReport(capCtx, lc, o, cfg, att, noProcs, stdout, stderr)
	}
	src := source{
		Title:     lc.Name(),
		Filter:    o.filter,
		Live:      true,
		Writing:   o.write,
		NoProcs:   noProcs,
		SetFilter: lc.SetFilter,
		Feed: func(ctx context.Context, out chan<- *model.Batch) error {
			if o.duration <= 0 {
				return lc.Feed(ctx, out)
			}
			dctx, cancel := context.WithTimeout(ctx, o.duration)
			defer cancel()
			err := lc.Feed(dctx, out)
			if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
				err = nil // --duration ran out: the capture ended as asked
			}
			return err
		},
	}
	var code int
	if o.exp.headless {
		code = headless(ctx, src, cfg, o, stdout, stderr)
	} else {
		if att != nil { // the resolver's notices would land on the screen
			att.log.setHold(true)
			defer att.log.setHold(false)
		}
		code = screen(ctx, src, cfg, o, stderr)
	}
	if lc.Stats().WriteError != "" {
		code = 1 // the -w file is incomplete (said on stderr at the end)
	}
	return code
}

// ifaceByNumber takes -i N, where N is the number pktop -D lists an
// interface under (its index), as tcpdump -i takes the numbers of its -D;
// an interface that is named N keeps its name.
func ifaceByNumber(name string) (string, error) {
	n, err := strconv.Atoi(name)
	if err != nil || n < 0 {
		return name, nil
	}
	ifs, err := sniff.Interfaces()
	if err != nil {
		return name, nil
	}
	for _, i := range ifs {
		if i.Name == name {
			return name, nil
		}
	}
	for _, i := range ifs {
		if i.Index == n {
			return i.Name, nil
		}
	}
	return "", fmt.Errorf("no interface number %d (pktop -D lists them)", n)
}

// liveReport captures until ctx is done (a signal or --duration) or -c
// packets were read, then prints the report. Stopping by signal is the
// normal end of a live capture: the report covers what was captured and
// pktop exits 0.
func liveReport(ctx context.Context, lc *sniff.Live, o *options, cfg model.Config, att *attribution, noProcs string, stdout, stderr io.Writer) int {
	ch := make(chan *model.Batch, 64)
	m := newReportModel(cfg)
	errc := make(chan error, 1)
	go func() {
		errc <- lc.Feed(ctx, ch)
		close(ch)
	}()
	// The model drains every batch the capture sent, whatever stopped it.
	m.Run(context.Background(), ch)
	ferr := <-errc
	if errors.Is(ferr, context.Canceled) || errors.Is(ferr, context.DeadlineExceeded) {
		ferr = nil
	}
	rep := model.NewReport(m.Latest(), lc.Name(), o.filter)
	if att != nil {
		att.fillReport(rep)
	} else {
		rep.ProcessesNote = noProcs
	}
	return printReport(rep, ferr, o, stdout, stderr)
}

// newReportModel returns a model for a headless report: it keeps no
// per-row history (a report shows no rates), and the snapshot it
// publishes at the end of its input is the report's.
func newReportModel(cfg model.Config) *model.Model {
	cfg.NoRowRates = true
	m := model.New(cfg, time.Hour)
	m.SetView(model.View{Sort: model.SortBytes, NoSpark: true})
	return m
}

// printReport prints the report, with err (if any) in it and after it on
// stderr, and returns the exit status: 1 when err is set or the report
// could not be written.
func printReport(rep *model.Report, err error, o *options, stdout, stderr io.Writer) int {
	if err != nil {
		rep.Error = err.Error()
	}
	if werr := writeReport(rep, o, stdout); werr != nil {
		complain(stderr, "writing the report: %v", werr)
		return 1
	}
	if err != nil {
		complain(stderr, "%v", err)
		return 1
	}
	if rep.WriteError != "" {
		return 1 // the -w file is incomplete (said on stderr at the end)
	}
	return 0
}

// writeReport prints the report as --report asks (json or text).
func writeReport(rep *model.Report, o *options, stdout io.Writer) error {
	if o.report == "json" {
		return rep.WriteJSON(stdout)
	}
	return rep.WriteText(stdout, o.top)
}
