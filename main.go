// Command pktop is "top for packets": a terminal traffic monitor. It shows
// who is talking (hosts, conversations, ports), which protocols carry the
// traffic, how packet sizes are distributed and how the rate moves over
// time, from a live interface or a pcap/pcapng capture (or standard
// input), redrawn several times a second; or it prints the same counts
// as a report and exits.
//
// The packages: sniff reads and decodes packets (the only importer of
// gopacket), model counts them and publishes snapshots (standard library
// only), ui draws the snapshots (tview, tcell, asciigraph; never sniff).
// This file alone wires them together.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pktop/pktop/model"
	"github.com/pktop/pktop/sniff"
	"golang.org/x/term"
)

const usage = `pktop: top for packets.

Usage:
  pktop [-i IFACE] [filter]           capture live (default: the first interface up)
  pktop -i IFACE --report json|text   capture live headless (-c N, --duration D)
  pktop -D                            list the interfaces
  pktop --demo                        replay the capture built into pktop
  pktop -r FILE [filter]              replay a pcap/pcapng file (or - for stdin)
  pktop -r FILE --report json|text    print the final counts and exit
  pktop ... --listen :9474            serve Prometheus metrics (--no-screen: headless)
  pktop ... --ipfix HOST:PORT         export flow records to an IPFIX collector
  pktop ... --report jsonl --every 10s  a JSON line of counts every interval

Examples:
  sudo pktop -i eth0 -w trace.pcap not port 22
  sudo pktop -i any --duration 30s --report text
  pktop -r capture.pcap tcp port 443
  pktop -r capture.pcapng --speed 10
  ssh host sudo tcpdump -i any -U -w - | pktop -r -
  pktop -r capture.pcap.gz --report json > counts.json
  sudo pktop -i eth0 --no-screen --listen :9474 --ipfix collector:4739

A filter is a tcpdump (pcap-filter) expression, as trailing words or with
-f; pktop compiles it itself, nothing needs to be installed.

Options:
`

type options struct {
	read    string
	demo    bool
	report  string
	filter  string
	speed   float64
	refresh time.Duration
	maxKeys int
	count   int
	top     int
	noNames bool
	cpuProf string

	// live capture (live.go)
	live      bool
	iface     string
	listIf    bool
	noPromisc bool
	snaplen   int
	write     string
	duration  time.Duration

	// exporters (export.go)
	exp exportOptions
	// process attribution (attribution.go)
	procs procsOptions
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// parseFlags reads the command line as tcpdump does: options and filter
// words may come in any order (pktop -r f.pcap tcp port 443 --report
// text), and everything after "--" is the filter. -h prints the usage on
// standard output; a bad option gets one line and a hint.
func parseFlags(args []string, stdout, stderr io.Writer) (*options, int) {
	o := &options{}
	fs := flag.NewFlagSet("pktop", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are said in one line below
	fs.Usage = func() {}
	fs.StringVar(&o.read, "r", "", "read packets from a pcap or pcapng `file` (plain or gzip; - for standard input)")
	fs.BoolVar(&o.demo, "demo", false, "replay the capture built into pktop (no file or privileges needed)")
	fs.StringVar(&o.report, "report", "", "print a report of the final counts in `format` json or text, and exit, with no screen; jsonl: a JSON line every --every")
	fs.StringVar(&o.filter, "f", "", "tcpdump filter `expression` (or give it as trailing words)")
	fs.Float64Var(&o.speed, "speed", 1, "replay speed: 1 is the capture's own pace, 10 ten times faster, 0 as fast as it reads")
	fs.DurationVar(&o.refresh, "refresh", 250*time.Millisecond, "screen refresh `interval`")
	fs.IntVar(&o.maxKeys, "max-keys", model.DefaultConfig().MaxKeys, "keep at most `N` hosts, conversations and ports each, exactly; past that the lightest fold into an \"other\" row")
	fs.IntVar(&o.count, "c", 0, "stop after `N` packets")
	fs.IntVar(&o.top, "top", 10, "rows of each table in a text report (0: all)")
	fs.BoolVar(&o.noNames, "n", false, "do not learn host names from DNS answers, TLS SNI and HTTP Host headers")
	fs.StringVar(&o.cpuProf, "cpuprofile", "", "write a Go CPU profile to `file` (for developers)")
	fs.StringVar(&o.iface, "i", "", "capture live on `interface` (any: all of them; default: the first one up, not loopback)")
	fs.BoolVar(&o.listIf, "D", false, "list the interfaces pktop can capture on, and exit")
	fs.BoolVar(&o.noPromisc, "p", false, "do not put the interface in promiscuous mode")
	fs.IntVar(&o.snaplen, "s", 0, "keep at most `snaplen` bytes of each live packet (0: 262144)")
	fs.StringVar(&o.write, "w", "", "also write every captured packet to `file` (pcap; pcapng if it ends in .pcapng or with -i any)")
	fs.DurationVar(&o.duration, "duration", 0, "stop a live capture after this `time` (e.g. 30s, 5m)")
	exportFlags(fs, &o.exp)
	procsFlags(fs, &o.procs)
	opts, after := args, []string(nil)
	if i := slices.Index(args, "--"); i >= 0 {
		opts, after = args[:i], args[i+1:]
	}
	var words []string
	for {
		if err := fs.Parse(opts); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(stdout, usage)
				fs.SetOutput(stdout)
				fs.PrintDefaults()
				return nil, 0
			}
			complain(stderr, "%v (pktop -h lists the options)", err)
			return nil, 2
		}
		opts = fs.Args()
		if len(opts) == 0 {
			break
		}
		words, opts = append(words, opts[0]), opts[1:]
	}
	words = append(words, after...)
	if len(words) > 0 {
		if o.filter != "" {
			fmt.Fprintln(stderr, "pktop: give the filter either with -f or as trailing words, not both")
			return nil, 2
		}
		o.filter = strings.Join(words, " ")
	}
	switch o.report {
	case "", "json", "text", "jsonl":
	default:
		complain(stderr, "--report takes json, text or jsonl, not %q", o.report)
		return nil, 2
	}
	if o.speed < 0 {
		fmt.Fprintln(stderr, "pktop: --speed must be 0 or more")
		return nil, 2
	}
	if !liveFlags(o, stderr) || !exportCheck(o, stderr) {
		return nil, 2
	}
	return o, -1
}

func run(args []string, stdout, stderr io.Writer) int {
	o, code := parseFlags(args, stdout, stderr)
	if o == nil {
		return code
	}
	// SIGQUIT too: Go's default (a goroutine dump, then exit) would leave
	// the terminal raw, in the alternate screen, with mouse reporting on.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	defer stop()
	if o.cpuProf != "" {
		pf, err := os.Create(o.cpuProf)
		if err != nil {
			complain(stderr, "%v", err)
			return 2
		}
		defer pf.Close()
		pprof.StartCPUProfile(pf)
		defer pprof.StopCPUProfile()
	}
	if !o.listIf {
		if code := startExport(ctx, o, stdout, stderr); code >= 0 {
			return code
		}
	}
	if o.listIf || o.live {
		return live(ctx, o, stdout, stderr)
	}

	var f *sniff.File
	var err error
	if o.demo {
		f, err = sniff.OpenDemo()
	} else {
		if o.read == "-" && term.IsTerminal(int(os.Stdin.Fd())) {
			complain(stderr, "waiting for a capture on standard input, which is this terminal: pipe one in (tcpdump -U -w - | pktop -r -); Ctrl-C stops")
		}
		f, err = openWaiting(ctx, o.read)
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			complain(stderr, "interrupted while waiting for the capture header of %s", o.read)
			return 130
		}
		complain(stderr, "%v", err)
		return 1
	}
	defer f.Close()
	filter, err := sniff.NewFileFilter(o.filter, f)
	if err != nil {
		complain(stderr, "%v", err)
		return 2
	}
	cfg := model.DefaultConfig()
	cfg.MaxKeys = o.maxKeys
	cfg.Service = serviceName
	ropt := sniff.Options{Filter: filter, LearnNames: !o.noNames, Count: o.count}
	if o.report != "" && !o.exp.headless {
		return report(ctx, f, o, cfg, ropt, stdout, stderr)
	}
	if o.read == "-" {
		// A stream paces itself: show packets as they arrive.
		ropt.Stream = true
	} else {
		// Speed 0 (as fast as it reads) still gets a Player, so that the
		// screen can pause it and change its speed.
		ropt.Player = sniff.NewPlayer(o.speed)
	}
	var filterChanged atomic.Bool
	title := f.Name()
	noProcs := "no processes in a replay of a file"
	if o.read == "-" {
		title = "stdin"
		noProcs = "no processes in a capture read from standard input"
	}
	src := source{
		Title:   title,
		Filter:  filter.String(),
		Player:  ropt.Player,
		Stream:  o.read == "-",
		NoProcs: noProcs,
		Feed: func(ctx context.Context, out chan<- *model.Batch) error {
			return sniff.Replay(ctx, f, out, ropt)
		},
	}
	if o.read != "-" {
		// A file can be read again from its start, for a focus on a row
		// to cover the whole capture.
		open := func() (*sniff.File, error) { return sniff.Open(o.read) }
		if o.demo {
			open = sniff.OpenDemo
		}
		expr := o.filter
		src.Rescan = sniff.Rescanner(open, func(f *sniff.File) (*sniff.Filter, error) {
			if filterChanged.Load() {
				// The packets read so far went through other filters:
				// reading again cannot give them back.
				return nil, errors.New("the capture filter changed during the replay")
			}
			return sniff.NewFileFilter(expr, f)
		}, !o.noNames)
	}
	src.SetFilter = func(expr string) error {
		if err := filter.Set(expr); err != nil {
			return err
		}
		filterChanged.Store(true)
		return nil
	}
	if o.exp.headless {
		return headless(ctx, src, cfg, o, stdout, stderr)
	}
	var ended atomic.Bool
	if o.read == "-" {
		feed := src.Feed
		src.Feed = func(ctx context.Context, out chan<- *model.Batch) error {
			err := feed(ctx, out)
			ended.Store(err == nil)
			return err
		}
	}
	rc := screen(ctx, src, cfg, o, stderr)
	if o.read == "-" && !ended.Load() {
		// The user quit before the stream ended: end its writers too.
		endUpstream()
	}
	return rc
}

// source is what the screen shows: where packets come from and the
// function that feeds them to the model.
type source struct {
	// Title names the source: a file, "-", an interface.
	Title string
	// Filter is the capture filter expression, if any.
	Filter string
	// Player paces a replay; nil for live capture and unpaced replay.
	Player *sniff.Player
	// Live is true for an interface; Stream for standard input.
	Live, Stream bool
	// Writing is the -w file, if any.
	Writing string
	// NoProcs says why there are no processes ("": they are attributed).
	NoProcs string
	// Rescan reads the capture again for a focus (nil when it cannot be
	// read again: live capture, standard input).
	Rescan model.Rescan
	// SetFilter changes the capture filter from now on (the f key).
	SetFilter func(expr string) error
	// Feed runs the sniffer: it sends batches to out until its input
	// ends (nil), fails (an error; what was sent before still counts) or
	// ctx is done. It does not close out.
	Feed func(ctx context.Context, out chan<- *model.Batch) error
}

// reportGC makes the garbage collector keep the heap closer to what is
// live for the rest of the run: making the report (the final snapshot of
// every row, the report's rows, the JSON) allocates about twice the
// tables' size in a few milliseconds, and with the default goal the heap
// would grow to twice what is live first (a flood of new addresses
// peaked at 95-125 MB instead of 80).
func reportGC() { debug.SetGCPercent(40) }

// report replays the whole capture as fast as it reads and prints the
// final counts. A damaged capture still gets its report, with the error,
// and a non-zero exit status.
func report(ctx context.Context, f *sniff.File, o *options, cfg model.Config, ropt sniff.Options, stdout, stderr io.Writer) int {
	ch := make(chan *model.Batch, 16)
	m := newReportModel(cfg)
	errc := make(chan error, 1)
	go func() {
		errc <- sniff.Replay(ctx, f, ch, ropt)
		reportGC()
		close(ch)
	}()
	agg := m.Run(ctx, ch)
	var rerr error
	if ctx.Err() != nil {
		// Interrupted: count what was already read and handed over,
		// and do not wait long for a reader blocked on a quiet pipe.
		drain(agg, ch)
		select {
		case rerr = <-errc:
		case <-time.After(500 * time.Millisecond):
			rerr = context.Canceled
		}
		drain(agg, ch)
	} else {
		rerr = <-errc
	}
	snap := m.Latest()
	if !snap.Done { // interrupted: the model stopped before the end
		snap = agg.Snapshot(model.View{Sort: model.SortBytes, NoSpark: true})
	}
	rep := model.NewReport(snap, f.Name(), ropt.Filter.String())
	if errors.Is(rerr, context.Canceled) {
		rep.Error = rerr.Error()
		if writeReport(rep, o, stdout) != nil {
			return 1
		}
		fmt.Fprintln(stderr, "pktop: interrupted; the report covers what was read")
		return 130
	}
	return printReport(rep, rerr, o, stdout, stderr)
}

// openWaiting opens a capture, giving up when ctx is done: reading
// standard input waits for the capture's header, which may never come.
func openWaiting(ctx context.Context, name string) (*sniff.File, error) {
	type res struct {
		f   *sniff.File
		err error
	}
	c := make(chan res, 1)
	go func() {
		f, err := sniff.Open(name)
		c <- res{f, err}
	}()
	select {
	case r := <-c:
		return r.f, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// drain counts the batches already in ch, without waiting for more.
func drain(agg *model.Aggregator, ch <-chan *model.Batch) {
	for {
		select {
		case b, ok := <-ch:
			if !ok {
				return
			}
			agg.AddBatch(b)
		default:
			return
		}
	}
}

// serviceName names a transport port from gopacket's IANA tables (through
// sniff, the only package that imports gopacket).
func serviceName(l4 uint8, port uint16) string {
	return sniff.ServiceName(l4, port)
}

// complain prints one line on stderr: "pktop: " and the message (its
// first line: a filter's error goes on with a caret line for screens),
// made inert (file names and errors may hold anything; see
// model.Sanitize).
func complain(w io.Writer, format string, args ...any) {
	msg, _, _ := strings.Cut(fmt.Sprintf(format, args...), "\n")
	fmt.Fprintln(w, "pktop: "+model.Sanitize(msg, 0))
}
