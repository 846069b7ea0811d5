package ui

import (
	"strconv"
	"time"

	"github.com/pktop/pktop/model"
)

// frame is everything a redraw shows: the whole screen as a canvas,
// painted by the pump goroutine from one snapshot and one copy of the
// view state. The UI goroutine only copies it to the terminal.
type frame struct {
	snap *model.Snapshot
	lay  layout
	kind model.Kind
	cv   *canvas
	// cur is the cursor of the shown table as resolved in this frame.
	cur cursor
	// tabs are the x ranges of the three tab labels on the tab line.
	tabs [3][2]int
}

// same reports whether f draws exactly what g draws.
func (f *frame) same(g *frame) bool {
	return g != nil && f.lay == g.lay && f.cv.same(g.cv)
}

// playerState is what the header says of the replay.
type playerState struct {
	has    bool
	speed  float64
	paused bool
	done   bool
}

// cursor is the selected row of a table: its index and key, and the
// first row shown.
type cursor struct {
	idx, top int
	key      model.Key
	ok       bool // key is set
	end      bool // stay on the last row
}

// Rows above the first data row of the talkers pane: the tab line and
// the column headings.
const talkersTop = 2

// buildFrame formats a frame and paints it. It reads the snapshot and st
// and changes neither; it may run on any goroutine.
func buildFrame(s *model.Snapshot, st *state, pl playerState, src Source, th theme) *frame {
	f := &frame{snap: s, kind: st.kind}
	f.lay = computeLayout(st.w, st.h, st.cycle, talkersNeed(s.Table(st.kind)))
	cv := newCanvas(f.lay.w, f.lay.h, st.ascii)
	f.cv = cv
	cv.lines(f.lay.header, headerText(s, st, pl, src, th, f.lay.w))
	var talkers []*line
	talkers, f.cur, f.tabs = talkersText(s, st, th, f.lay.talkers)
	cv.lines(f.lay.talkers, talkers)
	cv.lines(f.lay.status, []*line{statusText(st, th, f.lay.w)})
	for p := range numPanes {
		r := f.lay.panes[p].inner()
		if r.w <= 0 || r.h <= 0 {
			continue
		}
		var title string
		var body []*line
		switch p {
		case paneProtos:
			title, body = protosText(s, st, th, r.w, r.h)
		case paneSizes:
			title, body = sizesText(s, st, th, r.w, r.h)
		case paneThru:
			title, body = thruText(s, st, th, r.w, r.h)
		}
		if f.lay.w < 120 && p != paneProtos || f.lay.w < 72 {
			title = fit(title, r.w-11) + " (v: next)"
		}
		cv.box(f.lay.panes[p], title, th.border(), th.heading())
		cv.lines(r, body)
	}
	if st.help {
		helpBox(cv, st, th)
	}
	return f
}

// talkersNeed is the number of lines the talkers pane fills for t: the
// tab line, the headings, the rows (at least one, for a message) and the
// "other" row.
func talkersNeed(t *model.Table) int {
	n := talkersTop + max(len(t.Rows), 1)
	if t.Evicted > 0 {
		n++
	}
	return n
}

// headerText is two lines: the source and its state, then the counters.
func headerText(s *model.Snapshot, st *state, pl playerState, src Source, th theme, w int) []*line {
	l := newLine(w)
	l.add(th.title(), "pktop")
	l.add(plain, " ")
	l.add(plain, safe(src.Title, 0))
	if src.Filter != "" {
		l.add(th.label(), "  filter ")
		l.add(plain, safe(src.Filter, 0))
	}
	l.add(plain, "  ")
	switch {
	case st.err != "":
		l.add(th.bad(), "error: "+safe(st.err, 0))
	case s.Done:
		l.add(th.warn(), "end of capture")
	case st.paused:
		l.add(th.warn(), "paused")
	case src.Live:
		l.add(th.ok(), "live")
	default:
		l.add(th.ok(), "running")
	}
	if st.err != "" && s.Done {
		l.add(th.warn(), "  end of input")
	}
	if s.Source.WriteError != "" {
		l.add(th.bad(), "  -w failed ("+group(s.Source.NotWritten)+" not written): "+safe(s.Source.WriteError, 0))
	}
	if pl.has && !s.Done && st.err == "" {
		l.add(plain, " ")
		l.add(th.ok(), speedLabel(pl.speed))
		if pl.paused && !st.paused {
			l.add(th.warn(), " (clock paused)")
		}
	} else if !pl.has && !src.Live && !s.Done && st.err == "" {
		l.add(th.ok(), " max")
	}
	// A narrow terminal keeps the header's counters whole (drops and bad
	// frames last on the second line) by leaving out the clock and two
	// of the three rates.
	narrow := w < 100
	if s.First != 0 {
		l.add(th.label(), "  time ")
		l.add(plain, elapsed(s.Now-s.First))
		if !narrow {
			l.add(th.label(), "  at ")
			l.add(plain, time.Unix(0, s.Now).UTC().Format("2006-01-02 15:04:05"))
		}
	}
	if st.view.Focus != nil {
		l.add(th.label(), "  focus ")
		l.add(th.warn(), focusLabel(s, *st.view.Focus, st))
	}
	if st.view.Filter != "" {
		l.add(th.label(), "  show ")
		l.add(th.warn(), safe(st.view.Filter, 0))
	}
	first := l

	l = newLine(w)
	l.add(th.label(), "pkts ")
	l.add(plain, group(s.Total.Packets))
	l.add(th.label(), "  bytes ")
	l.add(plain, model.HumanBytes(float64(s.Total.Bytes)))
	l.add(th.label(), "  rate ")
	for i, win := range model.Windows {
		if narrow && i != 1 {
			continue // the 10 s rate only
		}
		if i > 0 && !narrow {
			l.add(plain, " ")
		}
		l.add(th.label(), strconv.Itoa(win)+"s ")
		l.add(plain, rate(s.Rates[i], st.bits)+"/s")
	}
	l.add(th.label(), "  pkt/s ")
	l.add(plain, strconv.FormatFloat(s.PacketRates[1], 'f', 0, 64))
	drops := s.Source.KernelDrops + s.Source.QueueDrops
	l.add(th.label(), "  drops ")
	if drops > 0 {
		l.add(th.bad(), group(s.Source.KernelDrops)+"+"+group(s.Source.QueueDrops))
	} else {
		l.add(plain, "0")
	}
	bad := s.Truncated + s.Undecoded
	l.add(th.label(), "  bad ")
	if bad > 0 {
		l.add(th.warn(), group(s.Truncated)+" cut "+group(s.Undecoded)+" undecoded")
	} else {
		l.add(plain, "0")
	}
	if s.Source.Filtered > 0 {
		l.add(th.label(), "  filtered ")
		l.add(plain, group(s.Source.Filtered))
	}
	return []*line{first, l}
}

// focusLabel names the focused row, with its learnt names when shown.
func focusLabel(s *model.Snapshot, k model.Key, st *state) string {
	var r model.Row
	if s.Focus != nil && s.Focus.Row.Key == k {
		r = s.Focus.Row
	} else {
		r = model.Row{Key: k}
	}
	return rowLabel(&r, st)
}

// rowLabel is the inert label of a row.
func rowLabel(r *model.Row, st *state) string {
	side := func(a interface{ String() string }, name string) string {
		if st.names && name != "" {
			return safe(name, 0)
		}
		return a.String()
	}
	switch r.Kind {
	case model.KindHost:
		return side(r.A, r.NameA)
	case model.KindConv:
		return side(r.A, r.NameA) + " <=> " + side(r.B, r.NameB)
	}
	return portLabel(r.Key, st.services, safe(r.Service, 32))
}

// Column ids of the talkers table.
type colID int

const (
	colName colID = iota
	col2s
	col10s
	col40s
	colOut
	colIn
	colTotal
	colPkts
	colShare
	colSpark
	numCols
)

// colWidth is each fixed column's width, its leading space included.
var colWidth = [numCols]int{
	col2s: 8, col10s: 8, col40s: 8, colOut: 8, colIn: 8,
	colTotal: 8, colPkts: 7, colShare: 7,
}

// dropOrder is the order in which columns go when the screen is narrow.
var dropOrder = []colID{colPkts, col40s, col2s, colSpark, colShare, colOut, colIn, colTotal, col10s}

// Name column bounds by table.
var nameMin = [3]int{15, 31, 12}
var nameMax = [3]int{46, 80, 30}

const (
	sparkMin = 6
	sparkMax = model.HistorySeconds
)

// columns picks the columns for a table w cells wide: which are shown,
// the name's width and the sparkline's.
func columns(kind model.Kind, sort model.SortKey, w, natural int) (show [numCols]bool, nameW, sparkW int) {
	for c := range show {
		show[c] = true
	}
	fixed := func() int {
		n := 0
		for c := col2s; c <= colShare; c++ {
			if show[c] {
				n += colWidth[c]
			}
		}
		return n
	}
	keep := sortCol(sort)
	need := func() int {
		n := fixed() + nameMin[kind]
		if show[colSpark] {
			n += 1 + sparkMin
		}
		return n
	}
	for _, c := range dropOrder {
		if need() <= w {
			break
		}
		if c != keep {
			show[c] = false
		}
	}
	rem := w - fixed()
	nameW = min(max(natural, nameMin[kind]), nameMax[kind])
	if show[colSpark] {
		sparkW = min(rem-nameW-1, sparkMax)
		if sparkW < sparkMin {
			sparkW = sparkMin
		}
		nameW = rem - sparkW - 1
	} else {
		nameW = rem
	}
	nameW = max(nameW, 1)
	return show, nameW, sparkW
}

// sortCol is the column a sort order sorts on.
func sortCol(s model.SortKey) colID {
	switch s {
	case model.Sort2s:
		return col2s
	case model.Sort40s:
		return col40s
	case model.SortBytes:
		return colTotal
	case model.SortPackets:
		return colPkts
	}
	return col10s
}

// dirWindow is the window of the => and <= columns: the sort's, or 10 s.
func dirWindow(s model.SortKey) int {
	switch s {
	case model.Sort2s, model.Sort10s, model.Sort40s:
		return int(s)
	}
	return 1
}

var tabNames = [3]string{"Hosts", "Conversations", "Ports"}

var nameHeading = [3]string{"HOST", "CONVERSATION", "PORT"}

var dirHeading = [3][2]string{{"SENT", "RECV"}, {"A=>B", "B=>A"}, {"FROM", "TO"}}

// talkersText formats the talkers pane in r: the tab line, the column
// headings, the visible rows and the "other" row.
func talkersText(s *model.Snapshot, st *state, th theme, r rect) ([]*line, cursor, [3][2]int) {
	var tabs [3][2]int
	if r.w <= 0 || r.h <= 0 {
		return nil, st.sel[st.kind], tabs
	}
	kind := st.kind
	t := s.Table(kind)
	rows := t.Rows
	var out []*line

	// Tab line.
	l := newLine(r.w)
	for k := range 3 {
		sty := th.dim()
		if model.Kind(k) == kind {
			sty = th.active()
		}
		start := l.w
		l.add(sty, " "+strconv.Itoa(k+1)+" "+tabNames[k]+" ")
		tabs[k] = [2]int{start, l.w}
		l.add(plain, " ")
	}
	info := "sort " + st.view.Sort.String() + "  " + rangeText(t, st.sel[kind].top, len(rows), r.h-talkersTop) + "  " + rateUnit(st.bits)
	if l.fits(width(info) + 2) {
		l.pad(r.w - width(info))
		l.add(th.label(), info)
	}
	out = append(out, l)

	other := t.Evicted > 0
	visible := r.h - talkersTop
	if other {
		visible--
	}
	visible = max(visible, 0)
	cur := resolve(st.sel[kind], rows, visible)

	// Column layout, from the names of the rows in view.
	end := min(cur.top+visible, len(rows))
	natural := 0
	for i := cur.top; i < end; i++ {
		natural = max(natural, width(rowLabel(&rows[i], st)))
	}
	show, nameW, sparkW := columns(kind, st.view.Sort, r.w, natural)
	sc := sortCol(st.view.Sort)
	dw := dirWindow(st.view.Sort)

	// Headings.
	l = newLine(r.w)
	heading := func(c colID, text string, w int, left bool) {
		sty := th.heading()
		if c == sc {
			sty = th.sorted()
			text += "↓"
		}
		if left {
			l.add(sty, text)
			l.pad(l.w + w - width(text))
			return
		}
		l.pad(l.w + w - width(text))
		l.add(sty, text)
	}
	heading(colName, nameHeading[kind], nameW, true)
	for c := col2s; c <= colShare; c++ {
		if !show[c] {
			continue
		}
		var text string
		switch c {
		case col2s, col10s, col40s:
			text = strconv.Itoa(model.Windows[c-col2s]) + "s"
		case colOut:
			text = dirHeading[kind][0]
		case colIn:
			text = dirHeading[kind][1]
		case colTotal:
			text = "TOTAL"
		case colPkts:
			text = "PKTS"
		case colShare:
			text = "SHARE"
		}
		heading(c, text, colWidth[c], false)
	}
	if show[colSpark] {
		l.add(plain, " ")
		h := "LAST " + strconv.Itoa(sparkW) + "s"
		if sparkW < len(h) {
			h = "TREND"[:min(sparkW, 5)]
		}
		heading(colSpark, h, sparkW, true)
	}
	out = append(out, l)

	// Rows.
	n := 0
	if len(rows) == 0 && visible > 0 {
		l := newLine(r.w)
		switch {
		case s.Total.Packets == 0 && !s.Done:
			l.add(th.dim(), " waiting for packets…")
		case s.Total.Packets == 0:
			l.add(th.dim(), " no packets")
		case st.view.Filter != "" || st.view.Focus != nil:
			l.add(th.dim(), " no "+kind.String()+" match")
			if st.view.Filter != "" {
				l.add(th.dim(), " \""+safe(st.view.Filter, r.w-20)+"\"")
			}
		default:
			l.add(th.dim(), " no "+kind.String())
		}
		out = append(out, l)
		n++
	}
	for i := cur.top; i < end; i++ {
		out = append(out, formatRow(&rows[i], st, th, show, nameW, sparkW, dw, i == cur.idx, r.w))
		n++
	}
	if other {
		for ; n < visible; n++ {
			out = append(out, newLine(r.w))
		}
		o := t.Other
		label := "other: " + group(t.Evicted) + " keys folded"
		ol := newLine(r.w)
		ol.add(th.dim(), fit(label, nameW))
		ol.pad(nameW)
		for c := col2s; c <= colShare; c++ {
			if !show[c] {
				continue
			}
			switch c {
			case colTotal:
				ol.padLeft(th.dim(), model.HumanBytes(float64(o.Total.Bytes)), colWidth[c])
			case colPkts:
				ol.padLeft(th.dim(), count(o.Total.Packets), colWidth[c])
			case colShare:
				ol.padLeft(th.dim(), percent(o.Share), colWidth[c])
			default:
				ol.pad(ol.w + colWidth[c])
			}
		}
		out = append(out, ol)
	}
	return out, cur, tabs
}

// rangeText says which rows are in view: "1-20 of 27".
func rangeText(t *model.Table, top, n, visible int) string {
	var s string
	if n == 0 {
		s = "0"
	} else {
		s = group(uint64(top+1)) + "-" + group(uint64(min(top+visible, n)))
	}
	s += " of " + group(uint64(t.Matched))
	if t.Matched != t.Keys {
		s += " (" + group(uint64(t.Keys)) + " in all)"
	}
	return s
}

// resolve finds the cursor's row in rows (they move as rates change):
// the row with its key, or the same index when the key is gone; and
// scrolls so that it is in view.
func resolve(c cursor, rows []model.Row, visible int) cursor {
	if len(rows) == 0 {
		return cursor{key: c.key, ok: c.ok}
	}
	if c.end {
		c.idx = len(rows) - 1
	} else if c.ok {
		found := -1
		if c.idx >= 0 && c.idx < len(rows) && rows[c.idx].Key == c.key {
			found = c.idx
		} else {
			for i := range rows {
				if rows[i].Key == c.key {
					found = i
					break
				}
			}
		}
		if found >= 0 {
			c.idx = found
		}
	}
	c.idx = min(max(c.idx, 0), len(rows)-1)
	c.key, c.ok = rows[c.idx].Key, true
	if visible <= 0 {
		return c
	}
	if c.idx < c.top {
		c.top = c.idx
	}
	if c.idx >= c.top+visible {
		c.top = c.idx - visible + 1
	}
	c.top = min(max(c.top, 0), max(len(rows)-visible, 0))
	return c
}

// formatRow formats one row of the talkers table.
func formatRow(r *model.Row, st *state, th theme, show [numCols]bool, nameW, sparkW, dw int, selected bool, w int) *line {
	l := newLine(w)
	name := rowName(r, st, nameW)
	l.add(plain, name)
	l.pad(nameW)
	for c := col2s; c <= colShare; c++ {
		if !show[c] {
			continue
		}
		var v string
		switch c {
		case col2s, col10s, col40s:
			v = rate(r.Rates[c-col2s].Total(), st.bits)
		case colOut:
			v = rate(r.Rates[dw].Out, st.bits)
		case colIn:
			v = rate(r.Rates[dw].In, st.bits)
		case colTotal:
			v = model.HumanBytes(float64(r.Total.Bytes))
		case colPkts:
			v = count(r.Total.Packets)
		case colShare:
			v = percent(r.Share)
		}
		l.padLeft(plain, v, colWidth[c])
	}
	if show[colSpark] {
		l.add(plain, " ")
		sty := th.spark()
		if selected {
			sty = plain
		}
		l.add(sty, spark(r.Spark, sparkW))
	}
	if selected {
		l.reverse()
	}
	return l
}

// rowName is a row's inert label cut to w cells.
func rowName(r *model.Row, st *state, w int) string {
	switch r.Kind {
	case model.KindConv:
		half := (w - 5) / 2
		a := sideName(r.A.String(), r.NameA, st.names, half)
		bb := sideName(r.B.String(), r.NameB, st.names, w-5-width(a))
		return a + " <=> " + bb
	case model.KindHost:
		return sideName(r.A.String(), r.NameA, st.names, w)
	}
	return fit(portLabel(r.Key, st.services, safe(r.Service, 32)), w)
}

// sideName is an address or, when names are shown and one is known, its
// learnt name (made inert), cut to w cells.
func sideName(a, name string, names bool, w int) string {
	if names && name != "" {
		return safe(name, w)
	}
	return fitMiddle(a, w)
}

// statusText is the bottom line: a message, or the keys.
func statusText(st *state, th theme, w int) *line {
	l := newLine(w)
	if st.msg != "" {
		l.add(th.warn(), safe(st.msg, 0))
		return l
	}
	keys := [][2]string{{"q", "quit"}, {"?", "help"}, {"Tab", "table"}, {"s", "sort"}, {"/", "filter"},
		{"Enter", "focus"}, {"Space", "pause"}, {"b", "bits"}, {"n", "names"}, {"+-", "speed"}, {"r", "reset"}}
	if st.view.Focus != nil {
		keys = append([][2]string{{"Bksp", "unfocus"}}, keys...)
	}
	for _, k := range keys {
		if !l.fits(width(k[0]) + 1 + width(k[1]) + 2) {
			break
		}
		l.add(th.key(), k[0])
		l.add(plain, " "+k[1]+"  ")
	}
	return l
}
