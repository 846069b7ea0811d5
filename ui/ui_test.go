package ui

import (
	"context"
	"errors"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/pktop/pktop/model"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// t0 is the capture time the synthetic traffic starts at.
var t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC).UnixNano()

// evilName is a host name as a hostile packet could carry it: a terminal
// escape, a bell and tview colour tags.
const evilName = "evil[red]\x1b[2J\a[::b]name"

// synthBatches makes secs seconds of traffic between hosts clients and
// a few servers, one batch per second, with learnt names (one of them
// hostile).
func synthBatches(hosts, secs int) []*model.Batch {
	servers := []netip.Addr{
		netip.MustParseAddr("192.0.2.10"), netip.MustParseAddr("192.0.2.53"),
		netip.MustParseAddr("2001:db8::443"), netip.MustParseAddr("198.51.100.7"),
	}
	var out []*model.Batch
	for sec := range secs {
		b := &model.Batch{Now: t0 + int64(sec+1)*1e9}
		for i := range hosts {
			c := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
			sv := servers[i%len(servers)]
			if sv.Is6() {
				c = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(i + 1)})
			}
			n := 1 + (i*7+sec)%5
			if i == 0 {
				n += 6 // one heavy talker
			}
			for k := range n {
				tm := t0 + int64(sec)*1e9 + int64(k)*1e6 + int64(i)
				size := uint32(60 + (i*131+k*977+sec*31)%1400)
				p := model.Packet{Time: tm, WireLen: size, CapLen: size, Src: c, Dst: sv,
					SrcPort: uint16(40000 + i), DstPort: 443, L4: 6, App: model.AppTLS,
					Protos: model.ProtoSet(0).Add(model.ProtoEthernet).Add(model.ProtoTCP)}
				if sv.Is6() {
					p.Protos = p.Protos.Add(model.ProtoIPv6)
				} else {
					p.Protos = p.Protos.Add(model.ProtoIPv4)
				}
				if sv == servers[1] {
					p.DstPort, p.L4, p.App = 53, 17, model.AppDNS
					p.Protos = p.Protos &^ model.ProtoSet(0).Add(model.ProtoTCP)
					p.Protos = p.Protos.Add(model.ProtoUDP)
				}
				if k%2 == 1 { // replies
					p.Src, p.Dst, p.SrcPort, p.DstPort = p.Dst, p.Src, p.DstPort, p.SrcPort
				}
				b.Packets = append(b.Packets, p)
			}
		}
		if sec == 0 {
			b.Names = []model.Name{{Addr: servers[0], Name: "www.example.com"}, {Addr: servers[3], Name: evilName}}
		}
		out = append(out, b)
	}
	return out
}

// testConfig is the model's configuration in the tests.
func testConfig(hosts int) model.Config {
	cfg := model.DefaultConfig()
	cfg.MaxKeys = max(hosts*2, 100)
	cfg.Service = func(l4 uint8, port uint16) string {
		switch port {
		case 443:
			return "https"
		case 53:
			return "domain"
		}
		return ""
	}
	return cfg
}

// synthAgg counts synthetic traffic.
func synthAgg(hosts, secs int) *model.Aggregator {
	agg := model.NewAggregator(testConfig(hosts))
	for _, b := range synthBatches(hosts, secs) {
		agg.AddBatch(b)
	}
	return agg
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update ./ui writes it)", err)
	}
	if got != string(want) {
		t.Errorf("screen differs from %s (go test -update ./ui rewrites it); got:\n%s", path, got)
	}
}

// TestScreens compares whole screens with goldens.
func TestScreens(t *testing.T) {
	src := Source{Title: "synthetic.pcap", Filter: "tcp or udp"}
	cases := []struct {
		name string
		m    func() Model
		w, h int
		keys string
		mono bool
	}{
		{"empty-80x24", func() Model { return NewStatic(model.NewAggregator(model.Config{}), false) }, 80, 24, "", false},
		{"empty-done-120x40", func() Model { return NewStatic(model.NewAggregator(model.Config{}), true) }, 120, 40, "", false},
		{"synth-120x40", func() Model { return NewStatic(synthAgg(30, 50), false) }, 120, 40, "", false},
		{"synth-80x24", func() Model { return NewStatic(synthAgg(30, 50), false) }, 80, 24, "", true},
		{"synth-ports-80x24-next-pane", func() Model { return NewStatic(synthAgg(30, 50), false) }, 80, 24, "\t\tv", false},
		{"synth-flows-160x40", func() Model { return NewStatic(synthAgg(30, 50), false) }, 160, 40, "p", false},
		{"synth-two-lines-120x40", func() Model { return NewStatic(synthAgg(30, 50), false) }, 120, 40, "\tt", false},
		{"synth-sent-only-sorted-by-name-100x30", func() Model { return NewStatic(synthAgg(30, 50), false) }, 100, 30, "tt<", false},
		{"synth-no-totals-no-bars-bits-log-120x40", func() Model { return NewStatic(synthAgg(30, 50), false) }, 120, 40, "TbuLv", false},
		{"synth-conversations-scrolled-100x30", func() Model { return NewStatic(synthAgg(30, 50), false) }, 100, 30, "\tjjjjjjjjjjjjjjjjjj", false},
		{"synth-focus-back-120x40", func() Model { return NewStatic(synthAgg(30, 50), false) }, 120, 40, "jjj\n\b", false},
		{"synth-names-off-120x40", func() Model { return NewStatic(synthAgg(30, 50), false) }, 120, 40, "nN\t\t", false},
		{"synth-filter-nomatch-80x24", func() Model { return NewStatic(synthAgg(30, 50), false) }, 80, 24, "/nothing-here\n", false},
		{"synth-tiny-40x10", func() Model { return NewStatic(synthAgg(30, 50), false) }, 40, 10, "", false},
		{"synth-tiny-help-40x10", func() Model { return NewStatic(synthAgg(30, 50), false) }, 40, 10, "?", false},
		{"synth-micro-12x3", func() Model { return NewStatic(synthAgg(30, 50), false) }, 12, 3, "\t?", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Render(c.m(), src, c.mono, c.w, c.h, Keys(c.keys)...)
			for i, l := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
				if n := width(strings.NewReplacer("«", "", "»", "").Replace(l)); n > c.w {
					t.Errorf("line %d is %d cells wide, more than %d: %q", i, n, c.w, l)
				}
			}
			golden(t, c.name, got)
		})
	}
}

// TestUntrustedNames: a hostile name from the traffic is no host name,
// so the model keeps none and its address shows; a hostile file name
// shows as inert text, styled by nothing in it.
func TestUntrustedNames(t *testing.T) {
	sim := simScreen(t, 140, 40)
	title := "x[red]y\x1b[:::$<5000>]z"
	u := New(Config{Model: NewStatic(synthAgg(8, 5), true), Source: Source{Title: title}})
	u.st.w, u.st.h = 140, 40
	u.renderOnce(sim)
	screen := ScreenText(sim)
	if strings.Contains(screen, "evil") || !strings.Contains(screen, "198.51.100.7") {
		t.Errorf("the hostile name should be refused and its address shown; screen:\n%s", screen)
	}
	if want := model.Sanitize(title, 0); !strings.Contains(screen, want) {
		t.Errorf("the title should show as %q; screen:\n%s", want, screen)
	}
	checkInert(t, sim)
}

// TestWriteErrorShown: a -w that failed says so in the header, the state
// still shown.
func TestWriteErrorShown(t *testing.T) {
	snap := synthAgg(3, 3).Snapshot(model.View{Sort: model.Sort10s, Limit: 50})
	snap.Source.WriteError = "writing /var/x.pcap: no space left on device"
	snap.Source.NotWritten = 1234
	got := Render(fixed{snap}, Source{Title: "eth0", Live: true}, false, 140, 30)
	first := strings.SplitN(got, "\n", 2)[0]
	if !strings.Contains(first, "live") || !strings.Contains(first, "-w failed (1,234 not written): writing /var/x.pcap: no space left") {
		t.Errorf("header: %q", first)
	}
}

// checkInert fails when a cell of the screen holds a rune that inert
// text never holds, or a style pktop does not draw with.
func checkInert(t testing.TB, sim tcell.SimulationScreen) {
	t.Helper()
	allowed := map[tcell.Style]bool{}
	for _, th := range []theme{{false}, {true}} {
		for _, st := range []tcell.Style{th.plain(), th.title(), th.label(), th.heading(), th.sorted(), th.active(),
			th.spark(), th.dim(), th.ok(), th.warn(), th.bad(), th.key(), th.app(), th.name(), th.border()} {
			allowed[st] = true
			allowed[st.Reverse(true)] = true
		}
	}
	cells, w, h := sim.GetContents()
	for i, c := range cells {
		for _, r := range c.Runes {
			if r != ' ' && model.CellWidth(r) == 0 {
				t.Fatalf("cell %d,%d holds %U", i%w, i/w, r)
			}
		}
		if !allowed[c.Style] {
			t.Fatalf("cell %d,%d of %dx%d has a style pktop does not draw with: %v", i%w, i/w, w, h, c.Style)
		}
	}
}

// FuzzUntrustedText draws arbitrary bytes as a host's name (as if the
// model had kept it), a process's command, user and container (which a
// process chooses), a file name, a filter and an error message: the
// cells hold exactly the inert text, in pktop's styles, every row in its
// place, and drawing ends.
func FuzzUntrustedText(f *testing.F) {
	for _, s := range []string{"[:::$<99999999>]x.example", "zz[:::", "evil[red]\x1b[2J\a[::b]name",
		"\x1b]8;;http://evil/\x1b\\link\x1b]8;;\x1b\\", "👍🏽👍🏽👍🏽", "a\u202eb", "[\"region\"]", "x\ny\rz", "\xff\xfe[-:-:-]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		agg := procsAgg(3, 3, "x")
		snap := agg.Snapshot(model.View{Sort: model.Sort10s, Limit: 50})
		snap.Done = true
		rows := snap.Hosts.Rows
		rows[0].NameA = s
		pr := &snap.Procs.Rows[0]
		pr.Proc = model.ProcID{PID: 31337, Start: 1}
		pr.Owners[0] = &model.Owner{PID: 31337, Start: 1, Command: s, Cmdline: s, User: s, Container: s}
		u := New(Config{Model: fixed{snap}, Source: Source{Title: s, Filter: s}})
		u.st.w, u.st.h = 100, 30
		u.st.err = s
		for _, kind := range []model.Kind{model.KindHost, model.KindProc} {
			// A screen of its own for each table: tcell's simulation
			// keeps a wide rune's second cell from the frame before.
			sim := simScreen(t, 100, 30)
			u.st.kind = kind
			u.st.ver++
			done := make(chan struct{})
			go func() {
				defer close(done)
				u.renderOnce(sim)
			}()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("drawing %q did not end", s)
			}
			checkInert(t, sim)
			lines := strings.Split(ScreenText(sim), "\n")
			// The first row of the table starts with the name (the
			// host's, the process's command), made inert and cut to its
			// column.
			row := lines[headerLines+talkersTop]
			want := safe(s, 0)
			ok := strings.HasPrefix(row, want)
			if i := strings.Index(row, "…"); !ok && i >= 0 {
				ok = strings.HasPrefix(want, row[:i])
			}
			if !ok {
				t.Fatalf("%s: the first row is %q; want it to start with %q", kind, row, want)
			}
			if !strings.HasPrefix(lines[2], " Hosts ") {
				t.Fatalf("the tab line moved: %q", lines[2])
			}
		}
	})
}

// fakePlayer records what the keys asked of the replay.
type fakePlayer struct {
	mu      sync.Mutex
	speed   float64
	paused  bool
	steps   int
	skips   int
	waiting time.Duration
}

func (p *fakePlayer) Speed() float64     { p.mu.Lock(); defer p.mu.Unlock(); return p.speed }
func (p *fakePlayer) SetSpeed(s float64) { p.mu.Lock(); defer p.mu.Unlock(); p.speed = s }
func (p *fakePlayer) Paused() bool       { p.mu.Lock(); defer p.mu.Unlock(); return p.paused }
func (p *fakePlayer) SetPaused(v bool)   { p.mu.Lock(); defer p.mu.Unlock(); p.paused = v }
func (p *fakePlayer) Step()              { p.mu.Lock(); defer p.mu.Unlock(); p.steps++ }
func (p *fakePlayer) Done() bool         { return false }
func (p *fakePlayer) Skip()              { p.mu.Lock(); defer p.mu.Unlock(); p.skips++ }
func (p *fakePlayer) Waiting() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.waiting
}
func (p *fakePlayer) Skipped() (int, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.skips, 0
}
func (p *fakePlayer) get() (float64, bool, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.speed, p.paused, p.steps
}

// running is a UI running on a simulation screen over a real model fed
// synthetic batches.
type running struct {
	t      *testing.T
	u      *UI
	sim    tcell.SimulationScreen
	done   chan struct{} // closed when Run returned
	err    error
	cancel context.CancelFunc
	shut   chan struct{}
}

func start(t *testing.T, w, h int, pl Player) *running {
	t.Helper()
	return startWith(t, w, h, pl, nil)
}

// startWith is start with a capture filter setter.
func startWith(t *testing.T, w, h int, pl Player, setFilter func(string) error) *running {
	t.Helper()
	sim := tcell.NewSimulationScreen("UTF-8")
	ctx, cancel := context.WithCancel(context.Background())
	m := model.New(testConfig(100), 10*time.Millisecond)
	ch := make(chan *model.Batch, 64)
	modelDone := make(chan struct{})
	go func() {
		defer close(modelDone)
		m.Run(ctx, ch)
		m.Idle(ctx)
	}()
	go func() {
		for _, b := range synthBatches(20, 30) {
			select {
			case ch <- b:
			case <-ctx.Done():
				return
			}
		}
		<-ctx.Done() // a capture still running
	}()
	r := &running{t: t, sim: sim, done: make(chan struct{}), cancel: cancel, shut: make(chan struct{})}
	var cfg Config
	cfg = Config{Model: m, Player: pl, Screen: sim, Refresh: 20 * time.Millisecond,
		Source: Source{Title: "synthetic"}, SetFilter: setFilter,
		Shutdown: func() {
			cancel()
			<-modelDone
			close(r.shut)
		}}
	r.u = New(cfg)
	go func() {
		r.err = r.u.Run(ctx)
		close(r.done)
	}()
	r.resize(w, h) // Run initialises the screen at 80x25
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(5 * time.Second):
			t.Error("the UI did not stop")
		}
	})
	return r
}

// resize changes the size of the running screen.
func (r *running) resize(w, h int) {
	r.u.app.QueueUpdate(func() { r.sim.SetSize(w, h) })
	r.sim.PostEvent(tcell.NewEventResize(w, h))
}

// screen reads the screen on the UI goroutine (race-free).
func (r *running) screen() string {
	var s string
	r.u.app.QueueUpdate(func() { s = ScreenText(r.sim) })
	return s
}

// wait polls the screen until it holds want.
func (r *running) wait(want string) string {
	r.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s := r.screen()
		if strings.Contains(s, want) {
			return s
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("the screen never showed %q; it shows:\n%s", want, s)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (r *running) key(k tcell.Key, ch rune) { r.sim.InjectKey(k, ch, tcell.ModNone) }
func (r *running) runes(s string) {
	for _, c := range s {
		r.key(tcell.KeyRune, c)
	}
}

// TestKeys drives a running UI with keys and reads its screen: the keys
// an iftop user knows do what they do in iftop.
func TestKeys(t *testing.T) {
	pl := &fakePlayer{speed: 1}
	var filters []string
	r := startWith(t, 120, 40, pl, func(expr string) error {
		if expr == "bad [" {
			return errors.New("syntax error")
		}
		filters = append(filters, expr)
		return nil
	})
	r.wait("www.example.com")
	r.wait("x1")

	r.key(tcell.KeyTab, 0)
	r.wait("CONVERSATION")
	r.key(tcell.KeyTab, 0)
	r.wait("tcp/443 https")
	r.key(tcell.KeyBacktab, 0)
	r.key(tcell.KeyBacktab, 0)
	r.wait("HOST")
	r.runes("p")
	r.wait("FLOW A:port <=> B:port")
	r.runes("p")
	r.wait("CONVERSATION")
	r.key(tcell.KeyBacktab, 0)
	r.wait("HOST")

	// 1 2 3 sort by the 2 s, 10 s, 40 s rates; < and > by name.
	r.runes("3")
	r.wait("40s↓")
	r.runes("1")
	r.wait("2s↓")
	r.runes("2")
	r.wait("10s↓")
	r.runes("<")
	r.wait("sorted by name")
	r.runes("s")
	r.wait("sorted by destination")
	r.runes("2")

	// o freezes the order; t shows two lines a row; T hides the totals;
	// b the sparklines; u switches to bits; L to log scales.
	r.runes("o")
	r.wait("sort frozen (o)")
	r.runes("o")
	r.wait("order unfrozen")
	r.runes("t")
	r.wait("two lines a row")
	r.wait(" sent ")
	r.wait(" recv ")
	r.runes("ttt")
	r.wait("rows: one line a row")
	r.runes("T")
	waitFor(t, func() bool { return !strings.Contains(r.screen(), "TOTAL") }, "T to hide the totals")
	r.runes("T")
	r.wait("TOTAL")
	r.runes("b")
	waitFor(t, func() bool { return !strings.Contains(r.screen(), "LAST 40s") }, "b to hide the sparklines")
	r.runes("b")
	r.wait("LAST 40s")
	r.runes("u")
	r.wait("rates b/s")
	r.runes("L")
	r.wait("(log)")
	r.runes("L")

	// l and / edit the display filter.
	r.runes("l192.0.2.53")
	r.wait("show rows (l, /): 192.0.2.53")
	r.wait("show 192.0.2.53")
	r.key(tcell.KeyEnter, 0)
	var s string
	waitFor(t, func() bool { s = r.screen(); return !strings.Contains(s, "show rows (l, /):") }, "the filter input closed")
	// The model's snapshot for the last key may come a frame later.
	waitFor(t, func() bool {
		s = r.screen()
		return strings.Contains(s, "show 192.0.2.53") && !strings.Contains(s, "www.example.com")
	}, "the filter to hide www.example.com")
	r.key(tcell.KeyEscape, 0)
	r.wait("www.example.com")

	// f edits the capture filter; a bad one is refused and said.
	r.runes("f")
	r.wait("capture filter (tcpdump expression")
	r.key(tcell.KeyCtrlU, 0)
	r.runes("udp")
	r.key(tcell.KeyEnter, 0)
	r.wait("capture filter applied")
	r.wait("filter udp")
	r.runes("f")
	r.key(tcell.KeyCtrlU, 0)
	r.runes("bad [")
	r.key(tcell.KeyEnter, 0)
	r.wait("filter not changed: syntax error")
	if len(filters) != 1 || filters[0] != "udp" {
		t.Errorf("capture filters applied: %q", filters)
	}

	r.runes("h")
	r.wait("pktop keys")
	r.key(tcell.KeyEscape, 0)
	waitFor(t, func() bool { return !strings.Contains(r.screen(), "pktop keys") }, "Esc to close the help")
	r.runes("?")
	r.wait("pktop keys")
	r.runes("h")
	waitFor(t, func() bool { return !strings.Contains(r.screen(), "pktop keys") }, "h to close the help")

	r.runes("Z")
	r.wait("unknown key 'Z': h lists the keys")

	r.runes("+++")
	waitFor(t, func() bool { sp, _, _ := pl.get(); return sp == 10 }, "speed x10")
	r.wait("x10")
	r.runes("-")
	waitFor(t, func() bool { sp, _, _ := pl.get(); return sp == 5 }, "speed x5")
	r.runes("P")
	waitFor(t, func() bool { _, p, _ := pl.get(); return p }, "the player paused")
	r.wait("paused")
	r.runes(".")
	waitFor(t, func() bool { _, _, st := pl.get(); return st == 1 }, "one step")
	pl.mu.Lock()
	pl.waiting = 30 * time.Second
	pl.mu.Unlock()
	r.wait("next packet in 30s (→ skips)")
	r.key(tcell.KeyRight, 0)
	waitFor(t, func() bool { pl.mu.Lock(); defer pl.mu.Unlock(); return pl.skips == 1 }, "→ to skip the gap")
	r.runes(" ")
	waitFor(t, func() bool { _, p, _ := pl.get(); return !p }, "the player running again")

	// Focus: the host row selected, then Enter; Backspace goes back.
	r.runes("g")
	r.key(tcell.KeyEnter, 0)
	r.wait("focus www.example.com")
	r.wait("CONVERSATION") // a host's focus shows its conversations
	r.key(tcell.KeyBackspace2, 0)
	r.wait("back to all traffic")
	r.wait("HOST")
	// The click below must land on a frame of all traffic, not on the
	// last focused one still on screen: a new frame re-finds the
	// selected row by its key, which would move the selection.
	waitFor(t, func() bool {
		var ok bool
		r.u.app.QueueUpdate(func() {
			f := r.u.cur
			ok = f != nil && f.snap != nil && f.snap.View.Focus == nil && len(f.snap.Hosts.Rows) >= 3
		})
		return ok
	}, "a frame of all traffic")

	// A click on a row selects it; the wheel scrolls.
	r.sim.InjectMouse(5, 2+talkersTop+2, tcell.Button1, tcell.ModNone)
	r.sim.InjectMouse(5, 2+talkersTop+2, tcell.ButtonNone, tcell.ModNone)
	selected := func() int {
		var i int
		r.u.app.QueueUpdate(func() {
			r.u.mu.Lock()
			i = r.u.st.sel[r.u.st.kind].idx
			r.u.mu.Unlock()
		})
		return i
	}
	waitFor(t, func() bool { return selected() == 2 }, "the click to select the third row")
	r.sim.InjectMouse(5, 10, tcell.WheelDown, tcell.ModNone)
	waitFor(t, func() bool { return selected() == 5 }, "the wheel to move the selection down by 3")

	r.runes("q")
	select {
	case <-r.done:
		if r.err != nil {
			t.Fatal(r.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("q did not quit")
	}
	select {
	case <-r.shut:
	default:
		t.Error("Shutdown was not called before Run returned")
	}
}

// TestCtrlC checks that Ctrl-C quits through the same shutdown as q.
func TestCtrlC(t *testing.T) {
	r := start(t, 80, 24, nil)
	r.wait("HOST")
	r.key(tcell.KeyCtrlC, 0)
	select {
	case <-r.done:
	case <-time.After(5 * time.Second):
		t.Fatal("Ctrl-C did not quit")
	}
	select {
	case <-r.shut:
	default:
		t.Error("Shutdown was not called")
	}
}

// TestCancel checks that the UI stops when its context is done (a
// signal in pktop).
func TestCancel(t *testing.T) {
	r := start(t, 80, 24, nil)
	r.wait("HOST")
	r.cancel()
	select {
	case <-r.done:
	case <-time.After(5 * time.Second):
		t.Fatal("cancelling the context did not stop the UI")
	}
}

// stallScreen is a simulation screen whose Show blocks once armed, as a
// terminal that stopped reading (or a draw that sleeps) would.
type stallScreen struct {
	tcell.SimulationScreen
	armed   atomic.Bool
	stalled chan struct{} // closed when a Show blocks
	release chan struct{}
	once    sync.Once
}

func (s *stallScreen) Show() {
	if s.armed.Load() {
		s.once.Do(func() { close(s.stalled) })
		<-s.release
	}
	s.SimulationScreen.Show()
}

// TestQuitWhileDrawBlocks: whatever the UI goroutine is doing, q and a
// signal (the context) end the screen within a second: the watchdog
// calls Stuck, which ends the process in pktop.
func TestQuitWhileDrawBlocks(t *testing.T) {
	for _, how := range []string{"q", "ctrl-c", "signal"} {
		t.Run(how, func(t *testing.T) {
			sim := simScreen(t, 80, 24)
			scr := &stallScreen{SimulationScreen: sim, stalled: make(chan struct{}), release: make(chan struct{})}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			stuck := make(chan time.Time, 1)
			u := New(Config{Model: NewStatic(synthAgg(8, 5), false), Screen: scr, Refresh: 10 * time.Millisecond,
				Source: Source{Title: "synthetic"}, Stuck: func() { stuck <- time.Now() }})
			done := make(chan struct{})
			go func() {
				u.Run(ctx)
				close(done)
			}()
			waitFor(t, func() bool {
				var ok bool
				u.app.QueueUpdate(func() { ok = strings.Contains(ScreenText(sim), "HOST") })
				return ok
			}, "the first frame")
			scr.armed.Store(true)
			go u.app.QueueUpdateDraw(func() {})
			select {
			case <-scr.stalled:
			case <-time.After(5 * time.Second):
				t.Fatal("the draw did not block")
			}
			asked := time.Now()
			switch how {
			case "q":
				sim.InjectKey(tcell.KeyRune, 'q', tcell.ModNone)
			case "ctrl-c":
				sim.InjectKey(tcell.KeyCtrlC, 0, tcell.ModNone)
			default:
				cancel()
			}
			select {
			case at := <-stuck:
				if d := at.Sub(asked); d > time.Second {
					t.Errorf("Stuck came %v after the quit", d)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("nothing ended the screen while its draw blocked")
			}
			cancel()
			close(scr.release)
			<-done
		})
	}
}

// TestResize checks that the UI follows a resize.
func TestResize(t *testing.T) {
	r := start(t, 160, 40, nil)
	r.wait("Throughput")
	r.resize(60, 12)
	s := r.wait("HOST")
	waitFor(t, func() bool {
		s = r.screen()
		return !strings.Contains(s, "Packet sizes") && len(strings.Split(s, "\n")) == 13
	}, "a 60x12 screen")
}

type panicky struct{ fixed }

func (p panicky) Latest() *model.Snapshot { panic("boom") }

// TestPumpPanic checks that a panic in the pump stops the UI (restoring
// the terminal) and is raised again by Run.
func TestPumpPanic(t *testing.T) {
	sim := tcell.NewSimulationScreen("UTF-8")
	sim.SetSize(80, 24)
	u := New(Config{Model: panicky{}, Screen: sim})
	var got any
	func() {
		defer func() { got = recover() }()
		u.Run(context.Background())
	}()
	if got == nil || !strings.Contains(got.(string), "boom") {
		t.Fatalf("Run should panic with the pump's panic; got %v", got)
	}
}

func waitFor(t *testing.T, ok func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestSpeeds checks the + and - ladder.
func TestSpeeds(t *testing.T) {
	s := 1.0
	var up []string
	for range 12 {
		s = faster(s)
		up = append(up, speedLabel(s))
	}
	if got, want := strings.Join(up, " "), "x2 x5 x10 x20 x50 x100 x200 x500 x1000 max max max"; got != want {
		t.Errorf("faster: got %s; want %s", got, want)
	}
	if got := speedLabel(slower(0)); got != "x1000" {
		t.Errorf("slower(max): got %s; want x1000", got)
	}
	if got := speedLabel(slower(3)); got != "x2" {
		t.Errorf("slower(3): got %s; want x2", got)
	}
	if got := speedLabel(slower(0.1)); got != "x0.1" {
		t.Errorf("slower(0.1): got %s; want x0.1", got)
	}
}

// fixed is a Model that always shows one snapshot.
type fixed struct{ s *model.Snapshot }

func (f fixed) Latest() *model.Snapshot { return f.s }
func (f fixed) SetView(model.View)      {}
func (f fixed) Reset()                  {}

func simScreen(tb testing.TB, w, h int) tcell.SimulationScreen {
	sim := tcell.NewSimulationScreen("UTF-8")
	if err := sim.Init(); err != nil {
		tb.Fatal(err)
	}
	sim.SetSize(w, h)
	tb.Cleanup(sim.Fini)
	return sim
}

// TestSelectionStaysOnTop: until the user moves, the selection is the top
// row whatever row is there (the top of the ranking stays in view); once
// moved, it follows its row as the ranking changes.
func TestSelectionStaysOnTop(t *testing.T) {
	key := func(i int) model.Key {
		return model.Key{Kind: model.KindHost, A: netip.AddrFrom4([4]byte{10, 0, 0, byte(i)})}
	}
	rows := func(order ...int) []model.Row {
		var rs []model.Row
		for _, i := range order {
			rs = append(rs, model.Row{Key: key(i)})
		}
		return rs
	}
	c := resolve(cursor{}, rows(1, 2, 3, 4, 5, 6), 3)
	c = resolve(c, rows(6, 5, 4, 3, 2, 1), 3)
	if c.idx != 0 || c.top != 0 || c.key != key(6) || c.moved {
		t.Errorf("unmoved: %+v; want the top row, in view", c)
	}
	c = cursor{idx: 1, key: key(2), ok: true, moved: true}
	c = resolve(c, rows(6, 5, 4, 3, 2, 1), 3)
	if c.key != key(2) || c.idx != 4 || c.top != 2 {
		t.Errorf("moved: %+v; want row 10.0.0.2 followed to index 4, in view", c)
	}
}

// TestFrozenOrder: o keeps the rows in the order they had when frozen;
// rows that came since follow in the model's order.
func TestFrozenOrder(t *testing.T) {
	var rs []model.Row
	for i := range 5 {
		rs = append(rs, model.Row{Key: model.Key{Kind: model.KindPort, L4: 6, Port: uint16(i)}})
	}
	order := map[model.Key]int{rs[3].Key: 0, rs[1].Key: 1, rs[4].Key: 2}
	got := ordered(rs, order)
	want := []uint16{3, 1, 4, 0, 2}
	for i, r := range got {
		if r.Port != want[i] {
			t.Fatalf("frozen order: %v; want ports %v", got, want)
		}
	}
}

// TestUptime: a live screen's clock ticks in seconds for the first
// minute, then in minutes, as uptime(1) does.
func TestUptime(t *testing.T) {
	for ns, want := range map[int64]string{
		-5: "0s", 0: "0s", 59_999_999_999: "59s", 60e9: "1m", 3599e9: "59m",
		3600e9: "1h00m", 3900e9: "1h05m", 86400e9 + 3*3600e9 + 59e9: "1d03h",
	} {
		if got := uptime(ns); got != want {
			t.Errorf("uptime(%d) = %q; want %q", ns, got, want)
		}
	}
}

// TestCountersKeepTheirPlace: the header's counters are right-aligned in
// fixed widths, so a number that grows a digit moves nothing else; at 80
// columns with drops and bad frames, the padding goes before they would.
func TestCountersKeepTheirPlace(t *testing.T) {
	text := func(l *line) string {
		var b strings.Builder
		for _, sp := range l.spans {
			b.WriteString(sp.s)
		}
		return b.String()
	}
	snap := func(pkts, bytes uint64) *model.Snapshot {
		s := &model.Snapshot{}
		s.Total.Packets, s.Total.Bytes = pkts, bytes
		s.Rates = [3]float64{999, 21400, 1.5e6}
		return s
	}
	st := &state{}
	a := text(counters(snap(999, 999_000), st, Source{Live: true}, theme{}, 120, false, fitPadded))
	b := text(counters(snap(1000, 1_000_000), st, Source{Live: true}, theme{}, 120, false, fitPadded))
	if len(a) != len(b) || strings.Index(a, "rate") != strings.Index(b, "rate") || strings.Index(a, "drops") != strings.Index(b, "drops") {
		t.Errorf("the counters moved:\n%q\n%q", a, b)
	}
	s := snap(123456, 7e9)
	s.Source.KernelDrops, s.Truncated, s.Undecoded = 12345, 12, 3
	lines := headerText(s, st, playerState{}, Source{Live: true}, theme{}, 80)
	t.Logf("80 columns: %q", text(lines[1]))
	if got := text(lines[1]); !strings.HasSuffix(got, "bad 12 cut 3 undecoded") || !strings.Contains(got, "drops 12,345+0") {
		t.Errorf("at 80 columns drops and bad frames do not show whole: %q", got)
	}
}
