package ui

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/pktop/pktop/model"
	"github.com/rivo/tview"
)

// Model is what the UI needs of the model: its latest snapshot, and
// view changes and resets, which must never block. *model.Model is one.
type Model interface {
	Latest() *model.Snapshot
	SetView(model.View)
	Reset()
}

// Player controls a paced replay; its methods are safe for concurrent
// use (*sniff.Player is one).
type Player interface {
	Speed() float64
	SetSpeed(float64)
	Paused() bool
	SetPaused(bool)
	// Step moves a paused replay on by one second of capture time.
	Step()
	// Skip jumps the clock over the gap to the next packet.
	Skip()
	// Waiting is the capture time between the clock and the next
	// packet while the replay waits for it.
	Waiting() time.Duration
	// Skipped is how many gaps were skipped, and the last one's length.
	Skipped() (int, time.Duration)
	Done() bool
}

// Source describes where the packets come from, for the header.
type Source struct {
	// Title names the source: a file, "stdin", an interface.
	Title string
	// Filter is the capture filter, if any.
	Filter string
	// Live is true for an interface.
	Live bool
	// Stream is true for a capture read as it arrives (standard input).
	Stream bool
	// Writing is the -w file the capture is written to, if any.
	Writing string
	// NoProcs says why the Processes table is empty for good ("" when
	// processes are attributed): a replay of a file, attribution off.
	NoProcs string
}

// Config sets up a UI.
type Config struct {
	Source Source
	Model  Model
	// Player paces the replay; nil when there is none (live capture,
	// a stream).
	Player Player
	// SetFilter, when set, changes the capture filter of the source
	// from now on (the f key); it returns why it cannot.
	SetFilter func(expr string) error
	// Refresh is the redraw interval (default 250 ms).
	Refresh time.Duration
	// Screen is the terminal; nil opens the real one. Tests pass a
	// tcell.SimulationScreen.
	Screen tcell.Screen
	// Mono forces a monochrome theme; NO_COLOR and terminals with fewer
	// than 8 colours get it anyway.
	Mono bool
	// ASCII forces drawing in ASCII only; terminals whose character set
	// is not UTF-8 (LANG=C) get it anyway.
	ASCII bool
	// Shutdown, when set, is called once the user quits (or the context
	// is done), after the terminal is restored: it stops the goroutines
	// that feed the model.
	Shutdown func()
	// Stuck, when set, is called when the screen could not stop within
	// a second of being asked to quit (its terminal modes are restored
	// by then): it must end the process. Unset, the process exits with
	// status 1.
	Stuck func()
}

// lineMode is how the talkers show directions (the t key, as iftop's).
type lineMode uint8

const (
	oneLine  lineMode = iota // rates of both directions, totals by direction
	twoLines                 // a line for each direction, with its rates
	sentOnly                 // rates of the first direction only
	recvOnly                 // rates of the second direction only
	numLineModes
)

var lineModeNames = [...]string{"one line a row", "two lines a row (=> and <=)", "sent only", "received only"}

// inputMode says what the input line at the bottom edits.
type inputMode uint8

const (
	noInput inputMode = iota
	displayInput
	captureInput
)

// state is the view state: written by the UI goroutine (keys, mouse,
// resizes), read by the pump. Guarded by UI.mu.
type state struct {
	kind     model.Kind
	view     model.View // what was last sent to the model
	focus    []focused  // the focus stack, Enter pushes, Backspace pops
	bits     bool
	names    bool
	services bool
	lines    lineMode
	noTotals bool // T: the cumulative columns are hidden
	noBars   bool // b: the sparklines are hidden (live, by default)
	live     bool // the source is a live capture
	log      bool // L: log scales in the graphs
	// order, when set, freezes the order of the rows (o): each key's
	// place when it was frozen.
	order map[model.Key]int
	// paused freezes the display on frozen; thaw asks for fresh
	// snapshots anyway (after a view change or a step).
	paused bool
	frozen *model.Snapshot
	thaw   int
	sel    [maxKinds]cursor
	cycle  int // which graphs the bottom slots show (v)
	help   bool
	// helpTop is the first help line shown.
	helpTop int
	input   inputMode
	before  string // the filter before / was pressed
	// filter is the capture filter now applied (f changes it).
	filter   string
	msg      string
	msgUntil time.Time
	err      string
	w, h     int
	mono     bool
	// ascii draws in ASCII only: the terminal's character set is not
	// UTF-8.
	ascii bool
	// ver counts changes made by the UI goroutine, so that the pump
	// writes a resolved cursor back only over the state it read.
	ver uint64
}

// maxKinds bounds the kinds of tables.
const maxKinds = 8

// tabs are the tables, in the order of the tab line.
var tabs = []model.Kind{model.KindHost, model.KindConv, model.KindPort, model.KindFlow, model.KindProc}

var tabNames = map[model.Kind]string{model.KindHost: "Hosts", model.KindConv: "Conversations", model.KindPort: "Ports",
	model.KindFlow: "Flows", model.KindProc: "Processes"}

// tabShort are the tabs' names on a narrow screen.
var tabShort = map[model.Kind]string{model.KindHost: "Hosts", model.KindConv: "Convs", model.KindPort: "Ports",
	model.KindFlow: "Flows", model.KindProc: "Procs"}

// focused is an entry of the focus stack: the key, and the table shown
// when it was focused (to go back to).
type focused struct {
	key  model.Key
	kind model.Kind
}

// UI is the terminal screen of pktop.
type UI struct {
	cfg  Config
	app  *tview.Application
	th   theme
	kick chan struct{}

	// Owned by the pump goroutine: the number of replay gaps skipped
	// already said, and the key of the last frame made.
	skipsSeen int
	lastKey   frameKey
	made      bool
	// paneSnap is the snapshot the bottom panes show, taken at second
	// paneSec with the view state paneVer.
	paneSnap *model.Snapshot
	paneVer  uint64
	paneSec  int64

	mu       sync.Mutex
	st       state
	panicked any
	stack    []byte

	// Owned by the UI goroutine.
	cur     *frame
	root    *root
	input   *tview.InputField
	cancel  context.CancelFunc
	started chan struct{} // closed by the first draw
	drawn   bool
}

var stylesOnce sync.Once

// New returns a UI; Run shows it.
func New(cfg Config) *UI {
	if cfg.Refresh <= 0 {
		cfg.Refresh = 250 * time.Millisecond
	}
	stylesOnce.Do(func() {
		// Keep the terminal's own colours.
		tview.Styles.PrimitiveBackgroundColor = tcell.ColorDefault
		tview.Styles.ContrastBackgroundColor = tcell.ColorDefault
		tview.Styles.PrimaryTextColor = tcell.ColorDefault
		tview.Styles.BorderColor = tcell.ColorDefault
		tview.Styles.TitleColor = tcell.ColorDefault
	})
	u := &UI{cfg: cfg, app: tview.NewApplication(), kick: make(chan struct{}, 1)}
	u.th.mono = cfg.Mono || os.Getenv("NO_COLOR") != ""
	u.st = state{
		mono:     u.th.mono,
		view:     model.View{Sort: model.Sort10s, Limit: defaultLimit, Settled: true},
		names:    true,
		services: true,
		filter:   cfg.Source.Filter,
		w:        80, h: 24,
		// Live, the sparklines start hidden (b shows them): each frame
		// scrolls every row's 40 cells, which cost an SSH link more than
		// all the numbers of the screen (see bench/termbytes.sh).
		noBars: cfg.Source.Live,
		live:   cfg.Source.Live,
	}
	u.input = tview.NewInputField().SetLabel("/ filter: ").SetFieldBackgroundColor(tcell.ColorDefault)
	u.input.SetChangedFunc(u.filterChanged)
	u.root = &root{Box: tview.NewBox(), u: u}
	u.app.SetRoot(u.root, true)
	u.app.SetInputCapture(u.onKey)
	return u
}

// defaultLimit is the model's row limit until the user scrolls far.
const defaultLimit = 500

// SetError shows a feed error in the header and status line; the UI
// goes on showing what was read. Safe from any goroutine.
func (u *UI) SetError(err error) {
	if err == nil {
		return
	}
	u.mu.Lock()
	u.st.err = err.Error()
	u.mu.Unlock()
	u.wake()
}

// Fail records a panic of another goroutine (with its stack) and quits:
// Run returns once the terminal is restored and then panics with it.
// Safe from any goroutine.
func (u *UI) Fail(p any, stack []byte) {
	u.mu.Lock()
	if u.panicked == nil {
		u.panicked, u.stack = p, stack
	}
	cancel := u.cancel
	u.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// wake asks the pump for a frame now.
func (u *UI) wake() {
	select {
	case u.kick <- struct{}{}:
	default:
	}
}

// Run shows the UI until the user quits or ctx is done, and restores the
// terminal. It returns an error when the terminal could not be used. A
// panic of the pump (or one recorded with Fail) is raised again once the
// terminal is restored.
func (u *UI) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	u.mu.Lock()
	u.cancel = cancel
	u.mu.Unlock()

	scr := u.cfg.Screen
	var guard *ttyGuard
	if scr == nil {
		var err error
		if scr, guard, err = openTerminal(); err != nil {
			return err
		}
		defer guard.close()
	}
	// tview draws through diffScreen, which sends the terminal only the
	// cells that changed (see diffscreen.go), and which sees every
	// event before tview does: a quit key is heard even while the UI
	// goroutine is busy.
	ds := &diffScreen{Screen: scr, onEvent: u.peek}
	u.app.SetScreen(ds) // initialises it
	if ds.initErr != nil {
		return fmt.Errorf("cannot use the terminal: %w", ds.initErr)
	}
	ds.EnableMouse()
	w, h := ds.Size()
	u.mu.Lock()
	u.st.w, u.st.h = w, h
	u.mu.Unlock()

	pumpDone := make(chan struct{})
	runDone := make(chan struct{})
	u.started = make(chan struct{})
	stopped := make(chan struct{})
	go u.pump(ctx, pumpDone)
	go func() {
		defer close(stopped)
		<-ctx.Done()
		// Stop before Run has the screen would make Run open the
		// real terminal: wait for the first draw.
		select {
		case <-u.started:
		case <-runDone:
		}
		// If the application stopped by itself (the terminal went
		// away), the pump may be stuck in QueueUpdateDraw for good:
		// leave it.
		select {
		case <-pumpDone:
		case <-runDone:
		}
		u.app.Stop() // restores the terminal
	}()
	// The watchdog: once asked to quit, the terminal is back within a
	// second whatever the UI goroutine is doing. If the application has
	// not stopped by then (a draw that never ends: a terminal that
	// stopped reading, a bug), the terminal's modes are restored without
	// tcell and Config.Stuck ends the process.
	go func() {
		<-ctx.Done()
		select {
		case <-runDone:
			return
		case <-time.After(stuckAfter):
		}
		guard.restore()
		if u.cfg.Stuck != nil {
			u.cfg.Stuck()
			return
		}
		os.Exit(1)
	}()
	err := u.app.Run()
	close(runDone)
	cancel()
	<-stopped
	if u.cfg.Shutdown != nil {
		u.cfg.Shutdown()
	}
	u.mu.Lock()
	p, stack := u.panicked, u.stack
	u.mu.Unlock()
	if p != nil {
		panic(fmt.Sprintf("%v\n\n%s", p, stack))
	}
	return err
}

// stuckAfter is how long the watchdog of Run waits for the application
// to stop once asked to quit.
const stuckAfter = 700 * time.Millisecond

// peek sees every terminal event before tview does (on tview's event
// goroutine): Ctrl-C, and q outside the filter input, quit at once, even
// while the UI goroutine is busy drawing.
func (u *UI) peek(ev tcell.Event) {
	k, ok := ev.(*tcell.EventKey)
	if !ok {
		return
	}
	if k.Key() == tcell.KeyCtrlC {
		u.quit()
		return
	}
	if k.Key() == tcell.KeyRune && k.Rune() == 'q' {
		u.mu.Lock()
		typing := u.st.input != noInput
		u.mu.Unlock()
		if !typing {
			u.quit()
		}
	}
}

// pump makes a frame on every tick and on every wake, until ctx is done.
func (u *UI) pump(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	defer func() {
		if p := recover(); p != nil {
			u.Fail(p, debug.Stack())
		}
	}()
	// The model cuts its snapshots by the screen's view from the start.
	u.mu.Lock()
	v := u.st.view
	u.mu.Unlock()
	u.cfg.Model.SetView(v)
	t := time.NewTicker(u.cfg.Refresh)
	defer t.Stop()
	var last *frame
	for {
		if f := u.nextFrame(); f != nil && !f.same(last) {
			last = f
			u.app.QueueUpdateDraw(func() { u.apply(f) })
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-u.kick:
		}
	}
}

// frameKey is what a frame shows, but for the counts: a new frame is made
// only when it changes. The capture clock's second is in it, not the
// clock itself: on a steady screen the numbers change once a second, and
// the terminal gets one update a second, not one a refresh.
type frameKey struct {
	sec      int64
	ver      uint64
	done     bool
	pl       playerState
	msg, err string
	focus    int // how far a focus's rescan is, in percent
	complete bool
	// current says that the snapshot was cut with the view asked for:
	// the first snapshot after a view change (a focus, a sort) is drawn
	// at once, not at the next settled second.
	current bool
	w, h    int
	// view is the view the snapshot was cut with: a view change shows
	// as soon as the model answers it.
	view     model.View
	focusKey model.Key
}

// nextFrame takes the snapshot to show and formats it (pump goroutine);
// it returns nil when nothing the frame shows changed since the last.
func (u *UI) nextFrame() *frame {
	var pl playerState
	if p := u.cfg.Player; p != nil {
		pl = playerState{has: true, speed: p.Speed(), paused: p.Paused(), done: p.Done(), waiting: p.Waiting()}
		pl.skips, pl.skipped = p.Skipped()
		if pl.skips > u.skipsSeen {
			u.skipsSeen = pl.skips
			msg := "skipped " + humanSpan(pl.skipped) + " without packets"
			u.mu.Lock()
			say(&u.st, msg)
			u.mu.Unlock()
		}
	}
	s, st := u.take()
	sec := floorSec(s.Now)
	if u.cfg.Source.Live {
		// Live, the screen settles every liveFrameSeconds.
		sec -= floorMod(sec, liveFrameSeconds)
	}
	key := frameKey{sec: sec, ver: st.ver, done: s.Done, pl: pl, msg: st.msg, err: st.err, w: st.w, h: st.h,
		current: viewEqual(s.View, st.view)}
	if fo := s.Focus; fo != nil {
		key.focus, key.complete = int(fo.Progress*100), fo.Complete
	}
	key.view = s.View
	if f := s.View.Focus; f != nil {
		key.view.Focus, key.focusKey = nil, *f
	}
	if u.made && key == u.lastKey {
		return nil
	}
	u.made, u.lastKey = true, key
	// Live, the bottom panes (distributions that change slowly) settle
	// every livePaneSeconds, unless the view changed.
	ps := s
	if u.cfg.Source.Live && u.paneSnap != nil && st.ver == u.paneVer && sec-u.paneSec < livePaneSeconds {
		ps = u.paneSnap
	} else {
		u.paneSnap, u.paneVer, u.paneSec = s, st.ver, sec
	}
	f := buildFrame(s, ps, &st, pl, u.cfg.Source, theme{st.mono})
	u.mu.Lock()
	if u.st.ver == st.ver && u.st.kind == f.kind {
		u.st.sel[f.kind] = f.cur
	}
	u.mu.Unlock()
	return f
}

// liveFrameSeconds is how often a live screen's numbers settle: top's
// pace. Each frame shows the rates of the whole seconds before it (the
// 2 s column the last two), and a steady screen costs an SSH link fewer
// bytes than iftop's (see bench/termbytes.sh). Keys redraw at once.
const liveFrameSeconds = 3

func floorMod(a, n int64) int64 {
	m := a % n
	if m < 0 {
		m += n
	}
	return m
}

// livePaneSeconds is how often the bottom panes of a live screen are
// redrawn on their own: their distributions move slowly, and each redraw
// costs an SSH link a few hundred bytes (a key that changes the view
// redraws them at once).
const livePaneSeconds = 30

func floorSec(ns int64) int64 {
	if ns < 0 {
		return (ns - 999999999) / 1e9
	}
	return ns / 1e9
}

// take returns the snapshot to draw (the frozen one while paused) and a
// copy of the view state.
func (u *UI) take() (*model.Snapshot, state) {
	u.mu.Lock()
	fresh := !u.st.paused || u.st.frozen == nil || u.st.thaw > 0
	u.mu.Unlock()
	var latest *model.Snapshot
	if fresh {
		latest = u.cfg.Model.Latest() // outside the lock: it may panic
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.st.msg != "" && time.Now().After(u.st.msgUntil) {
		u.st.msg = ""
	}
	s := u.st.frozen
	if latest != nil && (!u.st.paused || s == nil || u.st.thaw > 0) {
		s = latest
		if u.st.paused {
			u.st.frozen = s
			if u.st.thaw > 0 && viewEqual(s.View, u.st.view) {
				u.st.thaw--
			}
		}
	}
	if s == nil {
		s = latest
	}
	return s, u.st
}

// viewEqual compares two views, the focus by value.
func viewEqual(a, b model.View) bool {
	if a.Sort != b.Sort || a.Filter != b.Filter || a.Limit != b.Limit {
		return false
	}
	if a.Focus == nil || b.Focus == nil {
		return a.Focus == b.Focus
	}
	return *a.Focus == *b.Focus
}

// apply makes a frame the one to draw (UI goroutine).
func (u *UI) apply(f *frame) { u.cur = f }

// root lays the widgets out on the whole screen and draws them, with the
// help overlay on top.
type root struct {
	*tview.Box
	u *UI
}

// Draw places and draws the widgets (UI goroutine).
func (r *root) Draw(scr tcell.Screen) {
	u := r.u
	x, y, w, h := r.GetRect()
	u.mu.Lock()
	if mono := u.th.mono || scr.Colors() < 8; mono != u.st.mono {
		u.st.mono = mono
		u.st.ver++
		u.wake()
	}
	if ascii := u.cfg.ASCII || scr.CharacterSet() != "UTF-8"; ascii != u.st.ascii {
		u.st.ascii = ascii
		u.st.ver++
		u.wake()
	}
	if w != u.st.w || h != u.st.h {
		u.st.w, u.st.h = w, h
		u.st.ver++
		u.wake()
	}
	filtering := u.st.input != noInput
	u.mu.Unlock()
	l := computeLayout(w, h, 0, 1<<20)
	if f := u.cur; f != nil && f.lay.w == w && f.lay.h == h {
		l = f.lay // the layout the frame was formatted for
		f.cv.draw(scr, x, y)
	}
	if !u.drawn && u.started != nil {
		u.drawn = true
		close(u.started)
	}
	place := func(p tview.Primitive, rc rect) {
		if rc.w <= 0 || rc.h <= 0 {
			return
		}
		p.SetRect(x+rc.x, y+rc.y, rc.w, rc.h)
		p.Draw(scr)
	}
	if filtering {
		place(u.input, l.status)
	}
}

// MouseHandler selects the clicked row, switches tables on a click on
// their tab, and scrolls on the wheel (UI goroutine).
func (r *root) MouseHandler() func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(p tview.Primitive)) (bool, tview.Primitive) {
	return r.WrapMouseHandler(func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(p tview.Primitive)) (bool, tview.Primitive) {
		return r.u.onMouse(action, event), nil
	})
}
