package ui

import (
	"strconv"
	"strings"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/pktop/pktop/model"
	"github.com/rivo/tview"
)

// helpKeys lists every key, for the help overlay. The keys an iftop user
// knows do what they do in iftop.
var helpKeys = [][2]string{
	{"q  Ctrl-C", "quit"},
	{"h  ?", "this help; Esc, h or ? closes it"},
	{"Tab  Shift-Tab", "next / previous table: hosts, conversations, ports,"},
	{"", "  flows, processes (live: which program is talking)"},
	{"p", "host:port flows on / off (iftop's port display)"},
	{"1  2  3", "sort by the 2 s, 10 s, 40 s rate (as iftop)"},
	{"<  >", "sort by name (source), by destination (as iftop)"},
	{"s  S", "next / previous sort: 2s 10s 40s total packets name dst"},
	{"o", "freeze the order of the rows / unfreeze (as iftop)"},
	{"t", "one line a row; two (=> and <=); sent only; received"},
	{"T", "cumulative columns (sent, received, total) on / off"},
	{"b", "sparklines (the last 40 seconds) on / off"},
	{"u", "rates in bytes or bits per second"},
	{"L", "graphs: linear or log scale"},
	{"n  N", "host names learnt from traffic; port names: on / off"},
	{"P  Space", "pause the display (counting goes on) and the replay"},
	{".", "step a paused replay by one second"},
	{"+  -", "replay speed: x0.1 ... x1 x2 x5 x10 ... x1000, max"},
	{"→", "skip the quiet gap before the next packet"},
	{"l  /", "display filter, applied as you type: 10.0.0.1,"},
	{"", "  10.0.0.0/8, 443, tcp, dns, a name; !word negates."},
	{"", "  It picks rows: their counts stay all their traffic."},
	{"", "  Enter keeps it, Esc undoes it"},
	{"f", "change the capture filter (a tcpdump expression)"},
	{"Enter", "focus every pane on the selected row's own traffic"},
	{"Backspace", "back out of the focus"},
	{"v", "next graph in the bottom slots (small terminals)"},
	{"r", "reset the counters"},
	{"↑ ↓  k j", "move the selection (the top row until you move)"},
	{"PgUp PgDn", "move by a page (also Ctrl-B, Ctrl-F)"},
	{"Home End  g G", "first / last row"},
	{"mouse", "click selects, double click focuses, wheel scrolls,"},
	{"", "  a click on a tab switches tables"},
	{"", ""},
	{"columns", "2s 10s 40s: average rates over those windows;"},
	{"", "  SENT RECV (A=>B B=>A, TO FROM): bytes since the"},
	{"", "  start; SHARE: of the table's bytes; LAST 40s: a"},
	{"", "  sparkline of the last 40 seconds"},
}

// helpLines is the height of the help text.
var helpLines = len(helpKeys)

// helpBox draws the help overlay, scrolled to st.helpTop, in the middle
// of the canvas.
func helpBox(cv *canvas, st *state, th theme) {
	hw, hh := min(cv.w, 76), min(cv.h, helpLines+2)
	r := rect{(cv.w - hw) / 2, (cv.h - hh) / 2, hw, hh}
	cv.fill(r, ' ', plain)
	title := "pktop keys (Esc closes)"
	if hh < helpLines+2 {
		title = "pktop keys (↑↓ scroll, Esc closes)"
	}
	cv.box(r, title, th.border(), th.heading())
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

// rows are the rows of the table shown, in the order shown, and a page's
// worth of rows (UI goroutine).
func (u *UI) rows() ([]model.Row, *model.Table, int) {
	f := u.cur
	if f == nil {
		return nil, &model.Table{}, 1
	}
	page := max((f.lay.talkers.h-talkersTop-1)/f.rowLines, 1)
	return f.rows, shownTable(f.snap, &u.st), page
}

// onKey handles every key (UI goroutine). It returns nil for the keys it
// took.
func (u *UI) onKey(ev *tcell.EventKey) *tcell.EventKey {
	if ev.Key() == tcell.KeyCtrlC {
		u.quit()
		return nil
	}
	u.mu.Lock()
	input, help := u.st.input, u.st.help
	u.mu.Unlock()
	if input != noInput {
		u.onInputKey(ev, input)
		return nil
	}
	if help {
		switch {
		case ev.Key() == tcell.KeyEscape || ev.Rune() == '?' || ev.Rune() == 'h':
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
		u.update(func(st *state) { st.kind = nextTab(st.kind, 1) })
	case tcell.KeyBacktab:
		u.update(func(st *state) { st.kind = nextTab(st.kind, -1) })
	case tcell.KeyUp:
		u.update(func(st *state) { u.move(st, -1) })
	case tcell.KeyDown:
		u.update(func(st *state) { u.move(st, 1) })
	case tcell.KeyRight:
		u.skip()
	case tcell.KeyPgUp, tcell.KeyCtrlB:
		u.update(func(st *state) { _, _, page := u.rows(); u.move(st, -page) })
	case tcell.KeyPgDn, tcell.KeyCtrlF:
		u.update(func(st *state) { _, _, page := u.rows(); u.move(st, page) })
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
		u.update(func(st *state) { say(st, "unknown key "+ev.Name()+": h lists the keys") })
	}
	return nil
}

// nextTab is the table d tabs after k, cycling.
func nextTab(k model.Kind, d int) model.Kind {
	for i, t := range tabs {
		if t == k {
			return tabs[mod(i+d, len(tabs))]
		}
	}
	return tabs[0]
}

// sortBy sorts the rows by s (and unfreezes their order).
func (u *UI) sortBy(st *state, s model.SortKey) {
	st.view.Sort = s
	st.order = nil
	u.sendView(st)
	say(st, "sorted by "+s.String())
}

// onRune handles the letter keys (UI goroutine).
func (u *UI) onRune(r rune) {
	switch r {
	case 'q':
		u.quit()
	case '?', 'h':
		u.update(func(st *state) { st.help, st.helpTop = true, 0 })
	case '1', '2', '3':
		u.update(func(st *state) { u.sortBy(st, []model.SortKey{model.Sort2s, model.Sort10s, model.Sort40s}[r-'1']) })
	case '<':
		u.update(func(st *state) { u.sortBy(st, model.SortName) })
	case '>':
		u.update(func(st *state) { u.sortBy(st, model.SortDst) })
	case 's', 'S':
		u.update(func(st *state) {
			n := 1
			if r == 'S' {
				n = int(model.NumSortKeys) - 1
			}
			s := st.view.Sort
			for range n {
				s = s.Next()
			}
			u.sortBy(st, s)
		})
	case 'o':
		u.update(func(st *state) {
			if st.order != nil {
				st.order = nil
				say(st, "order unfrozen: sorted by "+st.view.Sort.String())
				return
			}
			st.order = map[model.Key]int{}
			if u.cur != nil {
				for i, r := range u.cur.rows {
					st.order[r.Key] = i
				}
			}
			say(st, "order frozen (o unfreezes)")
		})
	case 'p':
		u.update(func(st *state) {
			if st.kind == model.KindFlow {
				st.kind = model.KindConv
				say(st, "ports off: conversations")
				return
			}
			if !hasTab(model.KindFlow) {
				say(st, "no flows table")
				return
			}
			st.kind = model.KindFlow
			say(st, "host:port flows (p goes back)")
		})
	case 't':
		u.update(func(st *state) {
			st.lines = (st.lines + 1) % numLineModes
			say(st, "rows: "+lineModeNames[st.lines])
		})
	case 'T':
		u.update(func(st *state) {
			st.noTotals = !st.noTotals
			say(st, onOff("cumulative columns", !st.noTotals))
		})
	case 'b':
		u.update(func(st *state) {
			st.noBars = !st.noBars
			say(st, onOff("sparklines", !st.noBars))
		})
	case 'u':
		u.update(func(st *state) {
			st.bits = !st.bits
			say(st, "rates in "+rateUnit(st.bits))
		})
	case 'L':
		u.update(func(st *state) {
			st.log = !st.log
			say(st, map[bool]string{true: "graphs: log scale", false: "graphs: linear scale"}[st.log])
		})
	case 'j':
		u.update(func(st *state) { u.move(st, 1) })
	case 'k':
		u.update(func(st *state) { u.move(st, -1) })
	case 'g':
		u.update(func(st *state) { u.moveTo(st, false) })
	case 'G':
		u.update(func(st *state) { u.moveTo(st, true) })
	case ' ', 'P':
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
				say(st, "display paused (counting goes on); P resumes")
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
			case p.Done():
				say(st, "end of capture: nothing left to step through")
			case !st.paused:
				say(st, "'.' steps a paused replay: pause with P first")
			default:
				p.Step()
				st.thaw = 4
				say(st, "stepped one second")
			}
		})
	case '+', '=', '-', '_':
		u.update(func(st *state) {
			p := u.cfg.Player
			switch {
			case p == nil && u.cfg.Source.Live:
				say(st, "live capture: no replay speed")
				return
			case p == nil:
				say(st, "a stream is shown as it arrives: no replay speed")
				return
			case p.Done():
				say(st, "end of capture: nothing left to replay")
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
	case 'n':
		u.update(func(st *state) {
			st.names = !st.names
			say(st, onOff("host names", st.names))
		})
	case 'N':
		u.update(func(st *state) {
			st.services = !st.services
			say(st, onOff("port names", st.services))
		})
	case 'v':
		u.update(func(st *state) {
			st.cycle++
			say(st, "next graph")
		})
	case '/', 'l':
		u.startInput(displayInput)
	case 'f':
		if u.cfg.SetFilter == nil {
			u.update(func(st *state) { say(st, "this source's capture filter cannot be changed") })
			return
		}
		u.startInput(captureInput)
	default:
		u.update(func(st *state) { say(st, "unknown key "+strconv.QuoteRune(r)+": h lists the keys") })
	}
}

// firstLine is s up to its first line break.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func onOff(what string, on bool) string {
	if on {
		return what + " on"
	}
	return what + " off"
}

func hasTab(k model.Kind) bool {
	for _, t := range tabs {
		if t == k {
			return true
		}
	}
	return false
}

// skip jumps a replay over the quiet gap before its next packet.
func (u *UI) skip() {
	u.update(func(st *state) {
		p := u.cfg.Player
		switch {
		case p == nil:
			say(st, "no replay to skip ahead in")
		case p.Done():
			say(st, "end of capture")
		case p.Waiting() == 0:
			say(st, "no gap to skip: the next packet is due")
		default:
			p.Skip()
			st.thaw = 4
			say(st, "skipped "+humanSpan(p.Waiting())+" to the next packet")
		}
	})
}

// startInput opens the input line for a display or capture filter.
func (u *UI) startInput(m inputMode) {
	u.mu.Lock()
	text := u.st.view.Filter
	label := "show rows (l, /): "
	if m == captureInput {
		text = u.st.filter
		label = "capture filter (tcpdump expression; Enter applies): "
	}
	u.mu.Unlock()
	u.update(func(st *state) { st.input, st.before = m, text })
	u.input.SetLabel(label)
	u.input.SetText(text)
	u.input.Focus(func(tview.Primitive) {})
}

// onInputKey handles a key while the input line is open.
func (u *UI) onInputKey(ev *tcell.EventKey, m inputMode) {
	switch ev.Key() {
	case tcell.KeyEnter:
		u.input.Blur()
		if m == captureInput {
			expr := u.input.GetText()
			u.update(func(st *state) {
				st.input = noInput
				say(st, "compiling the capture filter…")
			})
			// Off the UI goroutine: a host name in the expression is
			// looked up, which may take seconds.
			go func() {
				err := u.cfg.SetFilter(expr)
				u.update(func(st *state) {
					if err != nil {
						say(st, "filter not changed: "+firstLine(err.Error()))
						return
					}
					st.filter = expr
					if expr == "" {
						say(st, "capture filter removed: every packet from now on")
					} else {
						say(st, "capture filter applied to the packets from now on")
					}
				})
			}()
			return
		}
		u.update(func(st *state) {
			st.input = noInput
			if st.view.Filter != "" {
				say(st, "showing rows that match; their counts are all their traffic")
			}
		})
	case tcell.KeyEscape:
		u.input.Blur()
		u.update(func(st *state) {
			st.input = noInput
			if m == displayInput && st.view.Filter != st.before {
				st.view.Filter = st.before
				u.resetCursors(st)
				u.sendView(st)
			}
		})
	default:
		// The input's changed function applies a display filter.
		u.input.InputHandler()(ev, func(tview.Primitive) {})
	}
}

// filterChanged applies the display filter as it is typed (UI goroutine).
func (u *UI) filterChanged(text string) {
	u.update(func(st *state) {
		if st.input != displayInput || st.view.Filter == text {
			return
		}
		st.view.Filter = text
		u.resetCursors(st)
		u.sendView(st)
	})
}

// resetCursors puts every table's cursor back on its first row.
func (u *UI) resetCursors(st *state) {
	st.sel = [maxKinds]cursor{}
	if st.view.Limit != defaultLimit {
		st.view.Limit = defaultLimit
	}
}

// move moves the cursor of the shown table by delta rows, and raises the
// model's row limit when it gets near the end of what the model sends.
func (u *UI) move(st *state, delta int) {
	rows, t, page := u.rows()
	c := &st.sel[st.kind]
	c.end = false
	if len(rows) == 0 {
		return
	}
	if !c.moved {
		c.idx = 0
	}
	c.moved = true
	c.idx = min(max(c.idx+delta, 0), len(rows)-1)
	c.key, c.ok = rows[c.idx].Key, true
	u.wantRows(st, t, c.idx+3*page+1)
}

// moveTo moves the cursor to the first row (which it then follows: the
// top of the ranking) or the last.
func (u *UI) moveTo(st *state, end bool) {
	_, t, _ := u.rows()
	c := &st.sel[st.kind]
	if !end {
		*c = cursor{}
		u.wantRows(st, t, 0)
		return
	}
	c.end, c.moved = true, true
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
	rows, _, _ := u.rows()
	c := st.sel[st.kind]
	if len(rows) == 0 {
		say(st, "no row to focus on")
		return
	}
	idx := 0
	if c.moved {
		idx = min(c.idx, len(rows)-1)
	}
	r := rows[idx]
	k := r.Key
	if st.view.Focus != nil && *st.view.Focus == k {
		return
	}
	st.focus = append(st.focus, focused{k, st.kind})
	st.view.Focus = &k
	u.resetCursors(st)
	switch k.Kind {
	case model.KindHost:
		st.kind = model.KindConv // who the host talks to
	case model.KindProc:
		st.kind = model.KindHost // whom the process talks to
	}
	u.sendView(st)
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
			for _, sp := range f.tabs {
				if x >= sp.x0 && x < sp.x1 {
					k := sp.kind
					u.update(func(st *state) { st.kind = k })
				}
			}
			return true
		}
		row := (y - tr.y - talkersTop) / f.rowLines
		if row < 0 {
			return true
		}
		u.update(func(st *state) {
			if f.kind == st.kind {
				c := &st.sel[st.kind]
				if !c.moved {
					c.idx = 0
				}
				u.move(st, f.cur.top+row-c.idx)
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
