package ui

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/uniseg"
)

// fakeTty is a terminal for a real tcell screen: what tcell writes is kept
// as it is (raw) and as wire rewrites it (opt).
type fakeTty struct {
	mu       sync.Mutex
	w, h     int
	raw, opt bytes.Buffer
	wire     *wire
	resize   func()
	quit     chan struct{}
	once     sync.Once
}

func newFakeTty(w, h int) *fakeTty {
	t := &fakeTty{w: w, h: h, quit: make(chan struct{})}
	t.wire = newWire(&t.opt, func() int { t.mu.Lock(); defer t.mu.Unlock(); return t.w })
	return t
}

func (t *fakeTty) Start() error { return nil }
func (t *fakeTty) Stop() error  { return nil }
func (t *fakeTty) Drain() error { return nil }
func (t *fakeTty) NotifyResize(cb func()) {
	t.mu.Lock()
	t.resize = cb
	t.mu.Unlock()
}
func (t *fakeTty) WindowSize() (tcell.WindowSize, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return tcell.WindowSize{Width: t.w, Height: t.h}, nil
}
func (t *fakeTty) Read(p []byte) (int, error) {
	<-t.quit
	return 0, os.ErrClosed
}
func (t *fakeTty) Write(p []byte) (int, error) {
	t.raw.Write(p)
	return t.wire.Write(p)
}
func (t *fakeTty) Close() error {
	t.once.Do(func() { close(t.quit) })
	return nil
}

func (t *fakeTty) setSize(w, h int) {
	t.mu.Lock()
	t.w, t.h = w, h
	cb := t.resize
	t.mu.Unlock()
	if cb != nil {
		cb()
	}
}

// vt is a small terminal model for the test: cursor moves, SGR (kept as
// its meaning, not its bytes), character sets, erase, the pending wrap at
// the last column, wide characters.
type vt struct {
	w, h   int
	cells  [][]vtCell
	x, y   int
	wrap   bool
	sgr    vtAttr
	g0     byte
	hidden bool
}

type vtCell struct {
	s string // "" for the right half of a wide character
	a vtAttr
}

type vtAttr struct {
	fg, bg string
	flags  uint16
}

func newVT(w, h int) *vt {
	v := &vt{w: w, h: h, g0: 'B'}
	v.erase()
	return v
}

func (v *vt) erase() {
	v.cells = make([][]vtCell, v.h)
	for y := range v.cells {
		v.cells[y] = make([]vtCell, v.w)
		for x := range v.cells[y] {
			v.cells[y][x] = vtCell{s: " ", a: vtAttr{bg: v.sgr.bg}}
		}
	}
}

// resize is a window size change: the attributes in force stay.
func (v *vt) resize(w, h int) {
	v.w, v.h = w, h
	v.erase()
	v.clampCursor()
}

func (v *vt) clampCursor() {
	v.x = max(0, min(v.x, v.w-1))
	v.y = max(0, min(v.y, v.h-1))
	v.wrap = false
}

func (v *vt) feed(p []byte) {
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == 0x1b && i+1 < len(p) && p[i+1] == '[':
			j := i + 2
			for j < len(p) && (p[j] < 0x40 || p[j] > 0x7e) {
				j++
			}
			v.csi(string(p[i+2:j]), p[j])
			i = j + 1
		case c == 0x1b && i+2 < len(p) && p[i+1] == '(':
			v.g0 = p[i+2]
			i += 3
		case c == 0x1b && i+1 < len(p) && p[i+1] == ']':
			j := i + 2
			for j < len(p) && p[j] != 0x07 && !(p[j] == 0x1b && j+1 < len(p) && p[j+1] == '\\') {
				j++
			}
			if j < len(p) && p[j] == 0x1b {
				j++
			}
			i = j + 1
		case c == 0x1b:
			i += 2
		case c == '\r':
			v.x, v.wrap = 0, false
			i++
		case c == '\n':
			v.y = min(v.y+1, v.h-1)
			v.wrap = false
			i++
		case c == '\b':
			v.x, v.wrap = max(v.x-1, 0), false
			i++
		case c < 0x20 || c == 0x7f:
			i++
		default:
			r, n := utf8.DecodeRune(p[i:])
			v.put(r)
			i += n
		}
	}
}

func (v *vt) put(r rune) {
	wd := uniseg.StringWidth(string(r))
	if wd == 0 {
		wd = 1
	}
	if v.wrap {
		v.x, v.y, v.wrap = 0, min(v.y+1, v.h-1), false
	}
	if v.x+wd > v.w {
		v.x, v.y = 0, min(v.y+1, v.h-1)
	}
	s := string(r)
	if v.g0 != 'B' {
		s = "acs:" + s
	}
	// Overwriting half of a wide character blanks the other half.
	for k := 0; k < wd; k++ {
		x := v.x + k
		if v.cells[v.y][x].s == "" && x > 0 {
			v.cells[v.y][x-1].s = " "
		}
		if x+1 < v.w && v.cells[v.y][x+1].s == "" {
			v.cells[v.y][x+1].s = " "
		}
	}
	v.cells[v.y][v.x] = vtCell{s: s, a: v.sgr}
	if wd == 2 {
		v.cells[v.y][v.x+1] = vtCell{s: "", a: v.sgr}
	}
	v.x += wd
	if v.x >= v.w {
		v.x, v.wrap = v.w-1, true
	}
}

func (v *vt) csi(params string, final byte) {
	if strings.HasPrefix(params, "?") {
		switch params {
		case "?25l":
			v.hidden = final == 'l'
		case "?25h", "?25":
			v.hidden = final == 'l'
		case "?1049":
			if final == 'h' || final == 'l' {
				v.erase()
			}
		}
		return
	}
	nums := strings.Split(params, ";")
	n := func(i, def int) int {
		if i < len(nums) && nums[i] != "" {
			if k, err := strconv.Atoi(nums[i]); err == nil && k > 0 {
				return k
			}
		}
		return def
	}
	switch final {
	case 'H', 'f':
		v.y, v.x = n(0, 1)-1, n(1, 1)-1
		v.clampCursor()
	case 'A':
		v.y -= n(0, 1)
		v.clampCursor()
	case 'B':
		v.y += n(0, 1)
		v.clampCursor()
	case 'C':
		v.x += n(0, 1)
		v.clampCursor()
	case 'D':
		v.x -= n(0, 1)
		v.clampCursor()
	case 'G':
		v.x = n(0, 1) - 1
		v.clampCursor()
	case 'J':
		if params == "2" {
			v.erase()
		}
	case 'm':
		v.setSGR(nums)
	}
}

func (v *vt) setSGR(nums []string) {
	for i := 0; i < len(nums); i++ {
		k, _ := strconv.Atoi(nums[i])
		switch {
		case nums[i] == "" || k == 0:
			v.sgr = vtAttr{}
		case k >= 1 && k <= 9:
			v.sgr.flags |= 1 << k
		case k >= 21 && k <= 29:
			v.sgr.flags &^= 1 << (k - 20)
			if k == 22 {
				v.sgr.flags &^= 1 << 1
			}
		case k >= 30 && k <= 37 || k >= 90 && k <= 97:
			v.sgr.fg = nums[i]
		case k == 39:
			v.sgr.fg = ""
		case k >= 40 && k <= 47 || k >= 100 && k <= 107:
			v.sgr.bg = nums[i]
		case k == 49:
			v.sgr.bg = ""
		case (k == 38 || k == 48) && i+1 < len(nums):
			var col string
			if nums[i+1] == "5" && i+2 < len(nums) {
				col, i = "5;"+nums[i+2], i+2
			} else if nums[i+1] == "2" && i+4 < len(nums) {
				col, i = "2;"+strings.Join(nums[i+2:i+5], ";"), i+4
			}
			if k == 38 {
				v.sgr.fg = col
			} else {
				v.sgr.bg = col
			}
		}
	}
}

func (v *vt) same(o *vt) bool {
	if v.w != o.w || v.h != o.h {
		return false
	}
	for y := range v.cells {
		for x := range v.cells[y] {
			if v.cells[y][x] != o.cells[y][x] {
				return false
			}
		}
	}
	return true
}

func (v *vt) String() string {
	var b strings.Builder
	for y := range v.cells {
		for x := range v.cells[y] {
			c := v.cells[y][x]
			fmt.Fprintf(&b, "%s|%s|%s|%d ", c.s, c.a.fg, c.a.bg, c.a.flags)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// scene draws pktop-like frames on a real tcell screen: a header of
// counters, rows of numbers in columns, sparklines, boxes, colours, and
// now and then a wide or unknown character, a visible cursor, a full
// redraw or a resize.
type scene struct {
	rnd    *rand.Rand
	scr    tcell.Screen
	tty    *fakeTty
	resize bool
}

func newScene(t *testing.T, seed int64, w, h int, resize bool) *scene {
	t.Helper()
	ti, err := tcell.LookupTerminfo("xterm-256color")
	if err != nil {
		t.Skip("no terminfo for xterm-256color")
	}
	tty := newFakeTty(w, h)
	scr, err := tcell.NewTerminfoScreenFromTtyTerminfo(tty, ti)
	if err != nil {
		t.Fatal(err)
	}
	if err := scr.Init(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tty.Close() })
	return &scene{rnd: rand.New(rand.NewSource(seed)), scr: scr, tty: tty, resize: resize}
}

var sceneStyles = []tcell.Style{
	tcell.StyleDefault,
	tcell.StyleDefault.Foreground(tcell.ColorGreen),
	tcell.StyleDefault.Foreground(tcell.ColorGray),
	tcell.StyleDefault.Bold(true),
	tcell.StyleDefault.Reverse(true),
	tcell.StyleDefault.Background(tcell.ColorNavy).Foreground(tcell.ColorWhite),
	tcell.StyleDefault.Foreground(tcell.NewRGBColor(200, 120, 30)),
}

func (s *scene) text(x, y int, str string, st tcell.Style) {
	for _, r := range str {
		s.scr.SetContent(x, y, r, nil, st)
		x += max(uniseg.StringWidth(string(r)), 1)
	}
}

// frame changes part of the screen and shows it.
func (s *scene) frame(i int) {
	r := s.rnd
	w, h := s.scr.Size()
	switch {
	case i == 0 || r.Intn(40) == 0:
		s.scr.Clear()
		for y := 0; y < h; y++ {
			s.text(0, y, strings.Repeat("─", w/2), sceneStyles[r.Intn(len(sceneStyles))])
		}
	case s.resize && r.Intn(60) == 0:
		nw, nh := 60+r.Intn(80), 20+r.Intn(30)
		s.tty.setSize(nw, nh)
		// tcell takes the new size in its own goroutine
		for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(time.Millisecond) {
			if w, h = s.scr.Size(); w == nw && h == nh {
				break
			}
		}
		s.scr.Sync()
	case r.Intn(50) == 0:
		s.scr.Sync()
	}
	// counters in the header and in rows: a few digits change
	for k := 0; k < 3+r.Intn(12); k++ {
		y := r.Intn(max(h, 1))
		x := (r.Intn(max(w/8, 1))) * 8
		s.text(x, y, fmt.Sprintf("%6.3g", r.Float64()*1e6), sceneStyles[r.Intn(3)])
	}
	// a sparkline scrolls
	if r.Intn(3) == 0 {
		y := r.Intn(max(h, 1))
		for x := w - 20; x < w; x++ {
			s.scr.SetContent(x, y, []rune("▁▂▃▄▅▆▇█ ")[r.Intn(9)], nil, sceneStyles[1])
		}
	}
	// now and then a wide, combining or unknown character
	if r.Intn(6) == 0 {
		s.text(r.Intn(max(w-2, 1)), r.Intn(max(h, 1)), []string{"名前", "é", "ẽ", "🙂", "\u00ad", "Ω", "·", "…"}[r.Intn(8)], sceneStyles[r.Intn(len(sceneStyles))])
	}
	if r.Intn(10) == 0 {
		s.scr.ShowCursor(r.Intn(max(w, 1)), r.Intn(max(h, 1)))
	} else if r.Intn(4) == 0 {
		s.scr.HideCursor()
	}
	s.scr.Show()
}

// TestWireSameScreen draws many frames through a real tcell screen and
// checks after each that the terminal shows the same cells (characters
// and attributes) from wire's bytes as from tcell's, and that wire sends
// fewer bytes.
func TestWireSameScreen(t *testing.T) {
	for seed := int64(1); seed <= 6; seed++ {
		s := newScene(t, seed, 120, 40, true)
		raw, opt := newVT(120, 40), newVT(120, 40)
		var prevRaw, prevOpt []byte
		for i := 0; i < 300; i++ {
			prevRaw, prevOpt = append(prevRaw[:0], s.tty.raw.Bytes()...), append(prevOpt[:0], s.tty.opt.Bytes()...)
			s.tty.raw.Reset()
			s.tty.opt.Reset()
			s.frame(i)
			w, h := s.scr.Size()
			if w != raw.w || h != raw.h {
				raw.resize(w, h)
				opt.resize(w, h)
			}
			raw.feed(s.tty.raw.Bytes())
			opt.feed(s.tty.opt.Bytes())
			if !raw.same(opt) {
				a, b := raw.String(), opt.String()
				t.Fatalf("seed %d frame %d: the screens differ\nraw %q\nopt %q\nthe end of the frame before:\nraw %q\nopt %q\nat %s", seed, i, s.tty.raw.Bytes(), s.tty.opt.Bytes(), prevRaw[max(0, len(prevRaw)-500):], prevOpt[max(0, len(prevOpt)-500):], firstDiff(a, b))
			}
			if !raw.hidden && (raw.x != opt.x || raw.y != opt.y || opt.hidden) {
				t.Fatalf("seed %d frame %d: visible cursor at %d,%d; wire leaves it at %d,%d (hidden %v)", seed, i, raw.x, raw.y, opt.x, opt.y, opt.hidden)
			}
		}
	}
}

func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for y := range la {
		if y < len(lb) && la[y] != lb[y] {
			return fmt.Sprintf("row %d:\n%s\n%s", y, la[y], lb[y])
		}
	}
	return "?"
}

// TestWireTmux plays the bytes of the same frames, as tcell wrote them and
// as wire rewrote them, into two tmux panes, and compares what tmux shows
// (characters and attributes, capture-pane -e).
func TestWireTmux(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("needs tmux")
	}
	s := newScene(t, 42, 100, 30, false)
	var raw, opt bytes.Buffer
	for i := 0; i < 400; i++ {
		s.tty.raw.Reset()
		s.tty.opt.Reset()
		s.frame(i)
		raw.Write(s.tty.raw.Bytes())
		opt.Write(s.tty.opt.Bytes())
	}
	// A bracket wire keeps is whole: start, end, start, end.
	open := false
	for _, m := range regexp.MustCompile(`\x1b\[\?2026[hl]`).FindAll(opt.Bytes(), -1) {
		if on := m[len(m)-1] == 'h'; on == open {
			t.Fatalf("synchronized output: %q while the bracket is open=%v", m, open)
		}
		open = !open
	}
	dir := t.TempDir()
	shot := func(name string, b []byte) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
		sock := filepath.Join(dir, name+".sock")
		c := exec.Command("tmux", "-S", sock, "-f", "/dev/null", "new-session", "-d", "-x", "100", "-y", "30",
			"TERM=xterm-256color; stty raw -echo; cat "+f+"; sleep 60")
		c.Env = append(os.Environ(), "TERM=xterm-256color")
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("tmux: %v %s", err, out)
		}
		defer exec.Command("tmux", "-S", sock, "kill-server").Run()
		var prev string
		for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
			out, err := exec.Command("tmux", "-S", sock, "capture-pane", "-p", "-e").Output()
			if err != nil {
				t.Fatal(err)
			}
			if string(out) == prev && prev != "" {
				return prev
			}
			prev = string(out)
		}
		return prev
	}
	a, b := shot("raw", raw.Bytes()), shot("opt", opt.Bytes())
	if strings.TrimSpace(a) == "" {
		t.Fatal("tmux shows nothing")
	}
	if a != b {
		t.Errorf("tmux shows a different screen from wire's bytes:\n%s", firstDiff(a, b))
	}
	t.Logf("400 frames: tcell wrote %d bytes, wire %d (%.0f%%)", raw.Len(), opt.Len(), 100*float64(opt.Len())/float64(raw.Len()))
}

// TestWireTrailingAttributes: attributes set at the end of a write (as
// tcell's last words before it stops) reach the terminal, and a repeated
// cursor hide does not.
func TestWireTrailingAttributes(t *testing.T) {
	var out bytes.Buffer
	w := newWire(&out, func() int { return 80 })
	w.Write([]byte("\x1b[?25l\x1b[1;1H\x1b[32mx\x1b[?25l"))
	w.Write([]byte("\x1b(B\x1b[m"))
	if got, want := out.String(), "\x1b[?25l\x1b[H\x1b[32mx\x1b(B\x1b[m"; got != want {
		t.Errorf("wire wrote %q; want %q", got, want)
	}
}
