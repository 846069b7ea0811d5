package ui

import (
	"strings"
	"sync"

	"github.com/gdamore/tcell/v2"
	"github.com/pktop/pktop/model"
)

// Static is a Model over an Aggregator that nothing else uses: SetView
// and Reset make the next snapshot at once, on the caller's goroutine.
// It is for tests, screenshots and benchmarks, not for a running
// capture (its SetView does the work a key handler must not).
type Static struct {
	mu   sync.Mutex
	agg  *model.Aggregator
	done bool
	snap *model.Snapshot
}

// NewStatic returns a Static model over agg; done marks its snapshots as
// the end of the capture.
func NewStatic(agg *model.Aggregator, done bool) *Static {
	s := &Static{agg: agg, done: done}
	s.SetView(model.View{Sort: model.Sort10s, Limit: defaultLimit})
	return s
}

// Latest returns the snapshot of the last view.
func (s *Static) Latest() *model.Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snap
}

// SetView makes the snapshot of v. A focus starts from the tables (see
// model.Aggregator.Seed).
func (s *Static) SetView(v model.View) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.snap = s.agg.Snapshot(v)
	s.snap.Done = s.done
	if v.Focus != nil {
		s.snap.Focus = s.agg.SeededFocus(*v.Focus, v)
	}
}

// Reset forgets every count.
func (s *Static) Reset() {
	s.mu.Lock()
	v := s.snap.View
	s.agg.Reset()
	s.mu.Unlock()
	s.SetView(v)
}

// Key is a key press for Render: a special key, or a rune with
// tcell.KeyRune.
type Key struct {
	Key  tcell.Key
	Rune rune
}

// Keys turns a string into rune key presses; "\t" is Tab, "\n" Enter,
// "\x1b" Esc and "\b" Backspace.
func Keys(s string) []Key {
	var ks []Key
	for _, r := range s {
		switch r {
		case '\t':
			ks = append(ks, Key{Key: tcell.KeyTab})
		case '\n':
			ks = append(ks, Key{Key: tcell.KeyEnter})
		case 0x1b:
			ks = append(ks, Key{Key: tcell.KeyEscape})
		case '\b':
			ks = append(ks, Key{Key: tcell.KeyBackspace2})
		default:
			ks = append(ks, Key{Key: tcell.KeyRune, Rune: r})
		}
	}
	return ks
}

// Render draws the UI on a w x h simulation screen after the given keys,
// without running the event loop (everything happens on the caller's
// goroutine, which acts as both the UI goroutine and the pump), and
// returns the screen as text (ScreenStyled). Messages in the
// status line are shown as they would be right after the last key.
func Render(m Model, src Source, mono bool, w, h int, keys ...Key) string {
	sim := tcell.NewSimulationScreen("UTF-8")
	if err := sim.Init(); err != nil {
		panic(err)
	}
	defer sim.Fini()
	sim.SetSize(w, h)
	u := New(Config{Model: m, Source: src, Mono: mono})
	u.mu.Lock()
	u.st.w, u.st.h = w, h
	u.mu.Unlock()
	u.renderOnce(sim)
	for _, k := range keys {
		mod := tcell.ModNone
		ev := tcell.NewEventKey(k.Key, k.Rune, mod)
		if u.onKey(ev) != nil {
			continue
		}
		u.renderOnce(sim)
	}
	u.renderOnce(sim)
	return ScreenStyled(sim)
}

// renderOnce makes a frame and draws it (caller acts as both
// goroutines).
func (u *UI) renderOnce(sim tcell.SimulationScreen) {
	u.apply(u.nextFrame())
	w, h := sim.Size()
	u.root.SetRect(0, 0, w, h)
	sim.Clear()
	u.root.Draw(sim)
	sim.Show()
}

// ScreenText returns a simulation screen's content as lines of text,
// with trailing spaces cut.
func ScreenText(sim tcell.SimulationScreen) string {
	cells, w, h := sim.GetContents()
	var b strings.Builder
	for y := 0; y < h; y++ {
		var l strings.Builder
		for x := 0; x < w; x++ {
			c := cells[y*w+x]
			if len(c.Runes) == 0 {
				if len(c.Bytes) == 0 {
					continue // the second half of a wide character
				}
				l.Write(c.Bytes)
				continue
			}
			l.WriteString(string(c.Runes))
		}
		b.WriteString(strings.TrimRight(l.String(), " "))
		b.WriteByte('\n')
	}
	return b.String()
}

// ScreenStyled is like ScreenText but marks reversed cells with «...»,
// so that goldens show the selection and the active tab.
func ScreenStyled(sim tcell.SimulationScreen) string {
	cells, w, h := sim.GetContents()
	var b strings.Builder
	for y := 0; y < h; y++ {
		var l strings.Builder
		rev := false
		for x := 0; x < w; x++ {
			c := cells[y*w+x]
			_, _, attr := c.Style.Decompose()
			r := attr&tcell.AttrReverse != 0
			if r != rev {
				if r {
					l.WriteString("«")
				} else {
					l.WriteString("»")
				}
				rev = r
			}
			if len(c.Runes) > 0 {
				l.WriteString(string(c.Runes))
			} else {
				l.Write(c.Bytes)
			}
		}
		if rev {
			l.WriteString("»")
		}
		b.WriteString(strings.TrimRight(l.String(), " "))
		b.WriteByte('\n')
	}
	return b.String()
}
