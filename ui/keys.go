package ui

import (
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/pktop/pktop/model"
	"github.com/rivo/tview"
)

// helpKeys lists every key, for the help overlay.
var helpKeys = [][2]string{
	{"q  Ctrl-C", "quit"},
	{"?", "this help; Esc or ? closes it"},
	{"Esc", "close the help; clear the display filter"},
	{"Tab  Shift-Tab", "next / previous table: hosts, conversations, ports"},
	{"1  2  3", "hosts, conversations, ports"},
	{"s  S", "sort by the 2 s, 10 s, 40 s rate, total bytes, packets"},
	{"Space  p", "pause the display (counting goes on) and the replay"},
	{".", "step a paused replay by one second"},
	{"+  -", "replay speed: x0.1 ... x1 x2 x5 x10 ... x1000, max"},
	{"r", "reset the counters"},
	{"b", "rates in bytes or bits per second"},
	{"n", "host names learnt from DNS, TLS SNI, HTTP: on/off"},
	{"N", "port service names: on/off"},
	{"v", "next pane in the bottom slot (small terminals)"},
	{"↑ ↓  k j", "move the selection"},
	{"PgUp PgDn", "move by a page (also Ctrl-B, Ctrl-F)"},
	{"Home End  g G", "first / last row"},
	{"Enter", "focus every pane on the selected row"},
	{"Backspace", "back out of the focus"},
	{"/", "display filter, applied as you type: 10.0.0.1,"},
	{"", "  10.0.0.0/8, 443, tcp, dns, a name; !word negates;"},
	{"", "  Enter keeps it, Esc undoes it"},
	{"mouse", "click selects, double click focuses, wheel scrolls,"},
	{"", "  a click on a tab switches tables"},
	{"", ""},
	{"=> <=", "SENT/RECV, A=>B/B=>A, FROM/TO port: the rates over"},
	{"", "  the sort window (10 s when sorted by totals)"},
}

// helpLines is the height of the help text.
var helpLines = len(helpKeys)

// helpBox draws the help overlay, scrolled to st.helpTop, in the middle
// of the canvas.
func helpBox(cv *canvas, st *state, th theme) {
	hw, hh := min(cv.w, 76), min(cv.h, helpLines+2)
	r := rect{(cv.w - hw) / 2, (cv.h - hh) / 2, hw, hh}
	cv.fill(r, ' ', plain)
	cv.box(r, "pktop keys (Esc closes)", th.border(), th.heading())
	in := r.inner()
	top := min(max(st.helpTop, 0), max(helpLines-in.h, 0))
	var ls []*line
	for _, k := range helpKeys[top:] {
		l := newLine(in.w)
		l.add(plain, " ")
		l.add(th.key(), k[0])
		l.pad(16)
		l.add(plain, " "+k[1])
		ls = append(ls, l)
	}
	cv.lines(in, ls)
}

// update changes the view state under the lock (UI goroutine) and wakes
// the pump.
func (u *UI) update(f func(st *state)) {
	u.mu.Lock()
	f(&u.st)
	u.st.ver++
	u.mu.Unlock()
	u.wake()
}

// say shows a short message in the status line.
func say(st *state, msg string) {
	st.msg = msg
	st.msgUntil = time.Now().Add(3 * time.Second)
}

// sendView sends st.view to the model (never blocks). While the display
// is paused, the next snapshots are shown anyway, so that the change is
// seen.
func (u *UI) sendView(st *state) {
	v := st.view
	if v.Focus != nil {
		k := *v.Focus
		v.Focus = &k
	}
	u.cfg.Model.SetView(v)
	if st.paused {
		st.thaw = 2
	}
}

// quit asks Run to stop (UI goroutine or any other).
func (u *UI) quit() {
	u.mu.Lock()
	cancel := u.cancel
	u.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// rows are the rows of the table shown (UI goroutine).
func (u *UI) rows(kind model.Kind) (*model.Table, int) {
	if u.cur == nil {
		return &model.Table{}, 1
	}
	return u.cur.snap.Table(kind), max(u.cur.lay.talkers.h-talkersTop-1, 1)
}

// onKey handles every key (UI goroutine). It returns nil for the keys it
// took.
func (u *UI) onKey(ev *tcell.EventKey) *tcell.EventKey {
	if ev.Key() == tcell.KeyCtrlC {
		u.quit()
		return nil
	}
	u.mu.Lock()
	filtering, help := u.st.filtering, u.st.help
	u.mu.Unlock()
	if filtering {
		switch ev.Key() {
		case tcell.KeyEnter:
			u.update(func(st *state) { st.filtering = false })
			u.input.Blur()
		case tcell.KeyEscape:
			u.input.Blur()
			u.update(func(st *state) {
				st.filtering = false
				if st.view.Filter != st.before {
					st.view.Filter = st.before
					u.resetCursors(st)
					u.sendView(st)
				}
			})
		default:
			// The input's changed function sends the filter.
			u.input.InputHandler()(ev, func(tview.Primitive) {})
		}
		return nil
	}
	if help {
		switch {
		case ev.Key() == tcell.KeyEscape || ev.Rune() == '?':
			u.update(func(st *state) { st.help = false })
		case ev.Rune() == 'q':
			u.quit()
		case ev.Key() == tcell.KeyDown || ev.Rune() == 'j':
			u.update(func(st *state) { st.helpTop = min(st.helpTop+1, helpLines) })
		case ev.Key() == tcell.KeyUp || ev.Rune() == 'k':
			u.update(func(st *state) { st.helpTop = max(st.helpTop-1, 0) })
		case ev.Key() == tcell.KeyPgDn || ev.Key() == tcell.KeyCtrlF || ev.Rune() == ' ':
			u.update(func(st *state) { st.helpTop = min(st.helpTop+st.h-4, helpLines) })
		case ev.Key() == tcell.KeyPgUp || ev.Key() == tcell.KeyCtrlB:
			u.update(func(st *state) { st.helpTop = max(st.helpTop-(st.h-4), 0) })
		case ev.Key() == tcell.KeyHome:
			u.update(func(st *state) { st.helpTop = 0 })
		}
		return nil
	}
	switch ev.Key() {
	case tcell.KeyEscape:
		u.update(func(st *state) {
			if st.view.Filter != "" {
				st.view.Filter = ""
				u.resetCursors(st)
				u.sendView(st)
				say(st, "display filter cleared")
			}
		})
	case tcell.KeyTab:
		u.update(func(st *state) { st.kind = (st.kind + 1) % 3 })
	case tcell.KeyBacktab:
		u.update(func(st *state) { st.kind = (st.kind + 2) % 3 })
	case tcell.KeyUp:
		u.update(func(st *state) { u.move(st, -1) })
	case tcell.KeyDown:
		u.update(func(st *state) { u.move(st, 1) })
	case tcell.KeyPgUp, tcell.KeyCtrlB:
		u.update(func(st *state) { _, page := u.rows(st.kind); u.move(st, -page) })
	case tcell.KeyPgDn, tcell.KeyCtrlF:
		u.update(func(st *state) { _, page := u.rows(st.kind); u.move(st, page) })
	case tcell.KeyHome:
		u.update(func(st *state) { u.moveTo(st, false) })
	case tcell.KeyEnd:
		u.update(func(st *state) { u.moveTo(st, true) })
	case tcell.KeyEnter:
		u.update(u.focusSelected)
	case tcell.KeyBackspace, tcell.KeyBackspace2:
		u.update(u.unfocus)
	case tcell.KeyRune:
		u.onRune(ev.Rune())
	default:
		return ev
	}
	return nil
}

// onRune handles the letter keys (UI goroutine).
func (u *UI) onRune(r rune) {
	switch r {
	case 'q':
		u.quit()
	case '?':
		u.update(func(st *state) { st.help, st.helpTop = true, 0 })
	case '1', '2', '3':
		u.update(func(st *state) { st.kind = model.Kind(r - '1') })
	case 'j':
		u.update(func(st *state) { u.move(st, 1) })
	case 'k':
		u.update(func(st *state) { u.move(st, -1) })
	case 'g':
		u.update(func(st *state) { u.moveTo(st, false) })
	case 'G':
		u.update(func(st *state) { u.moveTo(st, true) })
	case 's', 'S':
		u.update(func(st *state) {
			n := 1
			if r == 'S' {
				n = 4 // five orders: four steps forward is one back
			}
			for range n {
				st.view.Sort = st.view.Sort.Next()
			}
			u.sendView(st)
			say(st, "sorted by "+st.view.Sort.String())
		})
	case ' ', 'p':
		u.update(func(st *state) {
			st.paused = !st.paused
			st.frozen = nil
			if u.cur != nil {
				st.frozen = u.cur.snap
			}
			if p := u.cfg.Player; p != nil {
				p.SetPaused(st.paused)
			}
			if st.paused {
				say(st, "display paused (counting goes on); Space resumes")
			} else {
				say(st, "resumed")
			}
		})
	case '.':
		u.update(func(st *state) {
			p := u.cfg.Player
			switch {
			case p == nil:
				say(st, "no replay clock to step")
			case !st.paused:
				say(st, "'.' steps a paused replay: pause with Space first")
			default:
				p.Step()
				st.thaw = 4
				say(st, "stepped one second")
			}
		})
	case '+', '=', '-', '_':
		u.update(func(st *state) {
			p := u.cfg.Player
			if p == nil {
				if u.cfg.Source.Live {
					say(st, "live capture: no replay speed")
				} else {
					say(st, "a stream is shown as it arrives: no replay speed")
				}
				return
			}
			s := p.Speed()
			if r == '+' || r == '=' {
				s = faster(s)
			} else {
				s = slower(s)
			}
			p.SetSpeed(s)
			say(st, "replay speed "+speedLabel(s))
		})
	case 'r':
		u.update(func(st *state) {
			u.cfg.Model.Reset()
			u.resetCursors(st)
			if st.paused {
				st.thaw = 2
			}
			say(st, "counters reset")
		})
	case 'b':
		u.update(func(st *state) { st.bits = !st.bits })
	case 'n':
		u.update(func(st *state) {
			st.names = !st.names
			say(st, map[bool]string{true: "host names on", false: "host names off"}[st.names])
		})
	case 'N':
		u.update(func(st *state) {
			st.services = !st.services
			say(st, map[bool]string{true: "service names on", false: "service names off"}[st.services])
		})
	case 'v':
		u.update(func(st *state) {
			st.cycle = nextPane(computeLayout(st.w, st.h, st.cycle, 0), st.cycle)
			say(st, "showing "+paneNames[st.cycle])
		})
	case '/':
		u.mu.Lock()
		text := u.st.view.Filter
		u.mu.Unlock()
		u.update(func(st *state) { st.filtering, st.before = true, text })
		u.input.SetText(text)
		u.input.Focus(func(tview.Primitive) {})
	}
}

// filterChanged applies the display filter as it is typed (UI goroutine).
func (u *UI) filterChanged(text string) {
	u.update(func(st *state) {
		if !st.filtering || st.view.Filter == text {
			return
		}
		st.view.Filter = text
		u.resetCursors(st)
		u.sendView(st)
	})
}

// resetCursors puts every table's cursor back on its first row.
func (u *UI) resetCursors(st *state) {
	st.sel = [3]cursor{}
	if st.view.Limit != defaultLimit {
		st.view.Limit = defaultLimit
	}
}

// move moves the cursor of the shown table by delta rows, and raises the
// model's row limit when it gets near the end of what the model sends.
func (u *UI) move(st *state, delta int) {
	t, page := u.rows(st.kind)
	c := &st.sel[st.kind]
	c.end = false
	if len(t.Rows) == 0 {
		return
	}
	c.idx = min(max(c.idx+delta, 0), len(t.Rows)-1)
	c.key, c.ok = t.Rows[c.idx].Key, true
	u.wantRows(st, t, c.idx+3*page+1)
}

// moveTo moves the cursor to the first or the last row.
func (u *UI) moveTo(st *state, end bool) {
	t, _ := u.rows(st.kind)
	c := &st.sel[st.kind]
	if !end {
		*c = cursor{}
		u.wantRows(st, t, 0)
		return
	}
	c.end = true
	u.wantRows(st, t, t.Matched)
}

// wantRows sets the model's row limit to hold n rows (in steps of
// defaultLimit), lowering it again when the user comes back up.
func (u *UI) wantRows(st *state, t *model.Table, n int) {
	want := max((n+defaultLimit-1)/defaultLimit*defaultLimit, defaultLimit)
	if want == st.view.Limit || (want > st.view.Limit && t.Matched <= st.view.Limit) {
		return
	}
	st.view.Limit = want
	u.sendView(st)
}

// focusSelected focuses every pane on the selected row.
func (u *UI) focusSelected(st *state) {
	t, _ := u.rows(st.kind)
	c := st.sel[st.kind]
	if len(t.Rows) == 0 || c.idx >= len(t.Rows) {
		say(st, "no row to focus on")
		return
	}
	k := t.Rows[c.idx].Key
	if c.ok {
		k = c.key
	}
	if st.view.Focus != nil && *st.view.Focus == k {
		return
	}
	st.focus = append(st.focus, focused{k, st.kind})
	st.view.Focus = &k
	u.resetCursors(st)
	if k.Kind == model.KindHost {
		st.kind = model.KindConv // who the host talks to
	}
	u.sendView(st)
	r := t.Rows[c.idx]
	say(st, "focus on "+rowLabel(&r, st)+"; Backspace goes back")
}

// unfocus goes back to the previous focus, or to none.
func (u *UI) unfocus(st *state) {
	if len(st.focus) == 0 {
		say(st, "nothing to go back from")
		return
	}
	last := st.focus[len(st.focus)-1]
	st.focus = st.focus[:len(st.focus)-1]
	st.kind = last.kind
	st.view.Focus = nil
	if n := len(st.focus); n > 0 {
		k := st.focus[n-1].key
		st.view.Focus = &k
		say(st, "back to the focus on "+keyLabel(k, st.services, ""))
	} else {
		say(st, "back to all traffic")
	}
	u.resetCursors(st)
	u.sendView(st)
}

// onMouse handles a mouse action (UI goroutine); it reports whether it
// took it.
func (u *UI) onMouse(action tview.MouseAction, ev *tcell.EventMouse) bool {
	u.mu.Lock()
	help := u.st.help
	u.mu.Unlock()
	if help {
		switch action {
		case tview.MouseScrollUp:
			u.update(func(st *state) { st.helpTop = max(st.helpTop-3, 0) })
		case tview.MouseScrollDown:
			u.update(func(st *state) { st.helpTop = min(st.helpTop+3, helpLines) })
		}
		return true
	}
	f := u.cur
	if f == nil {
		return false
	}
	x, y := ev.Position()
	tr := f.lay.talkers
	switch action {
	case tview.MouseScrollUp:
		u.update(func(st *state) { u.move(st, -3) })
	case tview.MouseScrollDown:
		u.update(func(st *state) { u.move(st, 3) })
	case tview.MouseLeftClick, tview.MouseLeftDoubleClick:
		if !tr.contains(x, y) {
			return false
		}
		if y == tr.y {
			for k, span := range f.tabs {
				if x >= span[0] && x < span[1] {
					u.update(func(st *state) { st.kind = model.Kind(k) })
				}
			}
			return true
		}
		row := y - tr.y - talkersTop
		if row < 0 {
			return true
		}
		u.update(func(st *state) {
			if f.kind == st.kind {
				u.move(st, f.cur.top+row-st.sel[st.kind].idx)
			}
		})
		if action == tview.MouseLeftDoubleClick {
			u.update(u.focusSelected)
		}
	default:
		return false
	}
	return true
}
