package ui

import (
	"cmp"
	"net/netip"
	"slices"
	"strconv"
	"strings"
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
	// rows are the rows of the shown table, in the order shown.
	rows []model.Row
	// cur is the cursor of the shown table as resolved in this frame.
	cur cursor
	// tabs are the x ranges of the tab labels on the tab line.
	tabs []tabSpan
	// rowLines is how many screen lines a row takes (2 in two-line mode).
	rowLines int
}

// tabSpan is where a tab's label is on the tab line.
type tabSpan struct {
	kind   model.Kind
	x0, x1 int
}

// same reports whether f draws exactly what g draws.
func (f *frame) same(g *frame) bool {
	return g != nil && f.lay == g.lay && f.cv.same(g.cv)
}

// playerState is what the header says of the replay.
type playerState struct {
	has     bool
	speed   float64
	paused  bool
	done    bool
	waiting time.Duration
	skips   int
	skipped time.Duration
}

// cursor is the selected row of a table: its index and key, and the
// first row shown. Until the user moves it (moved), it stays on the
// first row, so that the top of the ranking stays in view.
type cursor struct {
	idx, top int
	key      model.Key
	ok       bool // key is set
	moved    bool // the user moved the selection: it follows its row
	end      bool // stay on the last row
}

// Rows above the first data row of the talkers pane: the tab line and
// the column headings.
const talkersTop = 2

// buildFrame formats a frame and paints it: the header and the tables from
// s, the bottom panes from ps (which may be an older snapshot). It reads
// the snapshots and st and changes none; it may run on any goroutine.
func buildFrame(s, ps *model.Snapshot, st *state, pl playerState, src Source, th theme) *frame {
	f := &frame{snap: s, kind: st.kind, rowLines: 1}
	if st.lines == twoLines {
		f.rowLines = 2
	}
	t := shownTable(s, st)
	f.rows = ordered(t.Rows, st.order)
	f.lay = computeLayout(st.w, st.h, st.cycle, talkersTop+max(len(f.rows), 1)*f.rowLines+1)
	cv := newCanvas(f.lay.w, f.lay.h, st.ascii)
	f.cv = cv
	cv.lines(f.lay.header, headerText(s, st, pl, src, th, f.lay.w))
	var talkers []*line
	talkers, f.cur, f.tabs = talkersText(s, t, f.rows, st, th, f.lay.talkers, src)
	cv.lines(f.lay.talkers, talkers)
	cv.lines(f.lay.status, []*line{statusText(st, th, f.lay)})
	for p := range numPanes {
		r := f.lay.panes[p].inner()
		if r.w <= 0 || r.h <= 0 {
			continue
		}
		var title string
		var body []*line
		switch p {
		case paneProtos:
			title, body = protosText(ps, st, th, r.w, r.h)
		case paneSizes:
			title, body = sizesText(ps, st, th, r.w, r.h)
		case paneSizeTime:
			title, body = sizeTimeText(ps, st, th, r.w, r.h)
		case paneThru:
			title, body = thruText(ps, st, th, r.w, r.h)
		}
		if f.lay.slotted() && p != paneProtos {
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

// shownTable is the table the talkers pane shows: the focused traffic's
// own table while a row is focused, else the whole capture's.
func shownTable(s *model.Snapshot, st *state) *model.Table {
	if sub := focusSnap(s, st); sub != nil {
		return sub.Table(st.kind)
	}
	return s.Table(st.kind)
}

// focusSnap is the snapshot of the focused traffic alone, when the view
// is focused and the model counted it.
func focusSnap(s *model.Snapshot, st *state) *model.Snapshot {
	if st.view.Focus == nil || s.Focus == nil || s.Focus.Sub == nil {
		return nil
	}
	return s.Focus.Sub
}

// ordered puts rows in the frozen order (o): rows that were there when
// the order was frozen keep their places, new ones follow in the model's
// order.
func ordered(rows []model.Row, order map[model.Key]int) []model.Row {
	if order == nil {
		return rows
	}
	out := slices.Clone(rows)
	slices.SortStableFunc(out, func(a, b model.Row) int {
		ia, oka := order[a.Key]
		ib, okb := order[b.Key]
		switch {
		case oka && okb:
			return cmp.Compare(ia, ib)
		case oka:
			return -1
		case okb:
			return 1
		}
		return 0
	})
	return out
}

// headerText is two lines: pktop, the state and the source, then the
// counters. The state, drops, errors and bad frames always show: at a
// narrow width the source's name is shortened in its middle and the
// less needed parts (the date, two of the three rates) are left out.
func headerText(s *model.Snapshot, st *state, pl playerState, src Source, th theme, w int) []*line {
	narrow := w < 100
	// The state, first: what the screen is showing.
	state := newLine(w)
	switch {
	case st.err != "":
		state.add(th.bad(), "error")
	case s.Done:
		state.add(th.warn(), "end of capture")
	case st.paused:
		state.add(th.warn(), "paused")
	case src.Live:
		state.add(th.ok(), "live")
	case src.Stream && s.Total.Packets == 0:
		state.add(th.warn(), "waiting for a capture on stdin")
	case src.Stream:
		state.add(th.ok(), "reading stdin")
	default:
		state.add(th.ok(), "running")
	}
	if pl.has && !s.Done && st.err == "" {
		state.add(plain, " ")
		state.add(th.ok(), speedLabel(pl.speed))
		if pl.paused && !st.paused {
			state.add(th.warn(), " (clock paused)")
		}
		if wait := time.Duration(float64(pl.waiting) / max(pl.speed, 1e-9)); pl.waiting > 0 && (wait > 2*time.Second || pl.paused) {
			state.add(th.warn(), " next packet in "+humanSpan(pl.waiting)+" (→ skips)")
		}
	}
	var errs []span
	if st.err != "" {
		errs = append(errs, span{th.bad(), "  " + safe(st.err, 0)})
	}
	if s.Source.WriteError != "" {
		errs = append(errs, span{th.bad(), "  -w failed (" + group(s.Source.NotWritten) + " not written): " + safe(s.Source.WriteError, 0)})
	}
	// What the tables show: the focus and the display filter.
	var view []span
	if st.view.Focus != nil {
		view = append(view, span{th.label(), "  focus "}, span{th.warn(), focusLabel(s, *st.view.Focus, st)})
	}
	if st.view.Filter != "" {
		view = append(view, span{th.label(), "  show "}, span{th.warn(), safe(st.view.Filter, 0)}, span{th.dim(), " (whole rows)"})
	}
	// The clock.
	var clock, date []span
	if s.First != 0 {
		if src.Live {
			// Live, in seconds for the first minute, then minutes:
			// a clock ticking in every frame costs every frame.
			clock = []span{{th.label(), "  up "}, {plain, uptime(s.Now - s.First)}}
		} else {
			clock = []span{{th.label(), "  time "}, {plain, elapsed(s.Now - s.First)}}
		}
		if !src.Live { // live, the terminal has a clock of its own
			date = []span{{th.label(), "  at "}, {plain, time.Unix(0, s.Now).UTC().Format("2006-01-02 15:04:05")}}
		}
	}
	// The source and its filter and -w file take what is left, the
	// source shortened in its middle.
	title := safe(src.Title, 0)
	var extra []span
	if st.filter != "" {
		extra = append(extra, span{th.label(), "  filter "}, span{plain, safe(st.filter, 0)})
	}
	if src.Writing != "" && s.Source.WriteError == "" {
		extra = append(extra, span{th.label(), "  -w "}, span{plain, safe(src.Writing, 0)})
	}
	fixed := 6 + state.w + spansWidth(errs) + spansWidth(view)
	room := w - fixed - 2
	keep := func(ss []span) []span {
		if n := spansWidth(ss); n+8 <= room {
			room -= n
			return ss
		}
		return nil
	}
	clock = keep(clock)
	extra = keep(extra)
	if !narrow {
		date = keep(date)
	} else {
		date = nil
	}
	l := newLine(w)
	l.add(th.title(), "pktop ")
	for _, sp := range state.spans {
		l.add(sp.st, sp.s)
	}
	if room >= 4 {
		l.add(plain, "  ")
		l.add(plain, fitPath(title, room))
	}
	for _, part := range [][]span{extra, errs, clock, date, view} {
		for _, sp := range part {
			l.add(sp.st, sp.s)
		}
	}
	first := l

	// The counters are right-aligned in widths that hold their usual
	// values, so that a number growing a digit (999kB to 1.00MB) does not
	// move the rest of the line: the terminal gets the digits that
	// changed, not the line again. When that does not fit, they are not
	// padded, then the packet rate goes, then the spacing: drops and bad
	// frames must show.
	for fit := fitPadded; ; fit++ {
		if l = counters(s, st, src, th, w, narrow, fit); !l.full || fit == fitCompact {
			break
		}
	}
	return []*line{first, l}
}

// How the counters line fits: from the roomiest to the tightest.
const (
	fitPadded  = iota // numbers right-aligned in fixed widths
	fitPlain          // numbers as they are
	fitNoPkts         // and no packet rate
	fitCompact        // and one space between the parts, no "rate"
)

// counters is the header's second line: packets, bytes, rates, drops,
// bad frames.
func counters(s *model.Snapshot, st *state, src Source, th theme, w int, narrow bool, fit int) *line {
	l := newLine(w)
	pad := func(s string, n int) string {
		if fit != fitPadded {
			return s
		}
		return padLeft(s, n)
	}
	sep := "  "
	if fit == fitCompact {
		sep = " "
	}
	l.add(th.label(), "pkts ")
	l.add(plain, pad(group(s.Total.Packets), 7))
	l.add(th.label(), sep+"bytes ")
	l.add(plain, pad(model.HumanBytes(float64(s.Total.Bytes)), 6))
	if fit == fitCompact {
		l.add(th.label(), sep)
	} else {
		l.add(th.label(), sep+"rate ")
	}
	for i, win := range model.Windows {
		if narrow && i != 1 {
			continue // the 10 s rate only
		}
		if i > 0 && !narrow {
			l.add(plain, " ")
		}
		l.add(th.label(), strconv.Itoa(win)+"s ")
		l.add(plain, pad(rate(s.Rates[i], st.bits)+"/s", 8))
	}
	if fit < fitNoPkts {
		l.add(th.label(), sep+"pkt/s ")
		l.add(plain, pad(strconv.FormatFloat(s.PacketRates[1], 'f', 0, 64), 4))
	}
	// Drops: a live capture knows its own and the kernel's; a file says
	// what its capture dropped only when it recorded it (pcapng
	// statistics); of a stream, nobody knows.
	drops := s.Source.KernelDrops + s.Source.QueueDrops
	if src.Live || drops > 0 {
		l.add(th.label(), sep+"drops ")
		if drops > 0 {
			l.add(th.bad(), group(s.Source.KernelDrops)+"+"+group(s.Source.QueueDrops))
		} else {
			l.add(plain, "0")
		}
	}
	bad := s.Truncated + s.Undecoded
	l.add(th.label(), sep+"bad ")
	if bad > 0 {
		l.add(th.warn(), group(s.Truncated)+" cut "+group(s.Undecoded)+" undecoded")
	} else {
		l.add(plain, "0")
	}
	if s.Source.Filtered > 0 {
		l.add(th.label(), sep+"filtered ")
		l.add(plain, group(s.Source.Filtered))
	}
	return l
}

// padLeft right-aligns s in n cells.
func padLeft(s string, n int) string {
	if d := n - width(s); d > 0 {
		return strings.Repeat(" ", d) + s
	}
	return s
}

func spansWidth(ss []span) int {
	n := 0
	for _, s := range ss {
		n += width(s.s)
	}
	return n
}

// fitPath cuts a (file) name to w cells, keeping its end (the file's own
// name) and its start.
func fitPath(s string, w int) string {
	if width(s) <= w || w < 8 || width(s) != len(s) {
		return fit(s, w)
	}
	tail := w * 2 / 3
	head := w - tail - 1
	return s[:head] + "…" + s[len(s)-tail:]
}

// humanSpan formats a stretch of capture time for people: 23s, 4m10s, 3.2 days,
// 4.5 years.
func humanSpan(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', 0, 64) + "s"
	case d < time.Hour:
		return d.Truncate(time.Second).String()
	case d < 48*time.Hour:
		return strconv.FormatFloat(d.Hours(), 'f', 1, 64) + " hours"
	case d < 2*365*24*time.Hour:
		return strconv.FormatFloat(d.Hours()/24, 'f', 1, 64) + " days"
	}
	return strconv.FormatFloat(d.Hours()/24/365.25, 'f', 1, 64) + " years"
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

// rowLabel is the inert label of a row: a learnt name is followed by its
// address, so that no two rows read the same.
func rowLabel(r *model.Row, st *state) string {
	side := func(a interface{ String() string }, name string) string {
		if st.names && name != "" {
			return safe(name, 0) + " " + a.String()
		}
		return a.String()
	}
	switch r.Kind {
	case model.KindHost:
		return side(r.A, r.NameA)
	case model.KindConv:
		return side(r.A, r.NameA) + " <=> " + side(r.B, r.NameB)
	case model.KindFlow:
		return l4Name(r.L4) + " " + side(netip.AddrPortFrom(r.A, r.Port), r.NameA) + " <=> " + side(netip.AddrPortFrom(r.B, r.PortB), r.NameB)
	case model.KindProc:
		return safe(model.ProcLabel(r.Proc, r.Owners[0]), 0)
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
var nameMin = map[model.Kind]int{model.KindHost: 15, model.KindConv: 31, model.KindPort: 12, model.KindFlow: 40, model.KindProc: 20}
var nameMax = map[model.Kind]int{model.KindHost: 60, model.KindConv: 96, model.KindPort: 30, model.KindFlow: 110, model.KindProc: 80}

const sparkMin = 5

// columns picks the columns for a table w cells wide: which are shown,
// the name's width and the sparkline's.
func columns(kind model.Kind, st *state, w, natural int) (show [numCols]bool, nameW, sparkW int) {
	for c := range show {
		show[c] = true
	}
	if st.noTotals {
		show[colOut], show[colIn], show[colTotal], show[colPkts] = false, false, false, false
	}
	if st.lines == twoLines { // each line's TOTAL is its direction's
		show[colOut], show[colIn] = false, false
	}
	if st.noBars {
		show[colSpark] = false
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
	keep := sortCol(st.view.Sort)
	nmin := nameMin[kind]
	need := func() int {
		n := fixed() + nmin
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
	nameW = min(max(natural, nmin), nameMax[kind])
	// The name takes what its rows need (at most nameMax), the sparkline
	// what is left up to its 40 cells; past that the line ends short.
	if show[colSpark] {
		sparkW = sparkCells(min(rem-nameW-1, model.HistorySeconds))
		if sparkW < sparkMin {
			sparkW = sparkCells(sparkMin)
		}
		nameW = min(rem-sparkW-1, max(nameW, min(natural+2, nameMax[kind])))
	}
	nameW = max(min(nameW, rem), 1)
	return show, nameW, sparkW
}

// sparkCells is the widest sparkline of at most w cells whose cells each
// hold a whole number of the last 40 seconds: 40, 20, 10, 8, 5 cells.
func sparkCells(w int) int {
	for _, n := range []int{40, 20, 10, 8, 5} {
		if n <= w {
			return n
		}
	}
	return 5
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
	case model.SortName, model.SortDst:
		return colName
	}
	return col10s
}

var nameHeading = map[model.Kind]string{model.KindHost: "HOST", model.KindConv: "CONVERSATION A <=> B", model.KindPort: "PORT",
	model.KindFlow: "FLOW A:port <=> B:port", model.KindProc: "PROCESS PID USER CONTAINER"}

// dirHeading names a table's two directions: totals in one-line mode.
var dirHeading = map[model.Kind][2]string{
	model.KindHost: {"SENT", "RECV"}, model.KindConv: {"A=>B", "B=>A"}, model.KindPort: {"TO PORT", "FROM"},
	model.KindFlow: {"A=>B", "B=>A"}, model.KindProc: {"SENT", "RECV"},
}

// dirArrows are the arrows of the two lines of a row in two-line mode.
var dirArrows = map[model.Kind][2]string{
	model.KindHost: {"sent", "recv"}, model.KindConv: {"=>", "<="}, model.KindPort: {"to", "from"},
	model.KindFlow: {"=>", "<="}, model.KindProc: {"sent", "recv"},
}

// talkersText formats the talkers pane in r: the tab line, the column
// headings, the visible rows and the "other" row.
func talkersText(s *model.Snapshot, t *model.Table, rows []model.Row, st *state, th theme, r rect, src Source) ([]*line, cursor, []tabSpan) {
	var spans []tabSpan
	if r.w <= 0 || r.h <= 0 {
		return nil, st.sel[st.kind], spans
	}
	kind := st.kind
	var out []*line

	other := t.Evicted > 0
	per := 1
	if st.lines == twoLines {
		per = 2
	}
	visible := r.h - talkersTop
	if other {
		visible--
	}
	visible = max(visible/per, 0)
	cur := resolve(st.sel[kind], rows, visible)

	// Tab line: the tabs' short names when the full ones would leave
	// no room for the sort and range.
	info := "sort " + sortLabel(st) + "  " + rangeText(t, cur.top, len(rows), visible) + "  rates " + rateUnit(st.bits)
	names := tabNames
	if n := tabsWidth(tabNames); n+width(info)+2 > r.w {
		names = tabShort
	}
	l := newLine(r.w)
	for _, k := range tabs {
		sty := th.dim()
		if k == kind {
			sty = th.active()
		}
		start := l.w
		l.add(sty, " "+names[k]+" ")
		spans = append(spans, tabSpan{k, start, l.w})
		l.add(plain, " ")
	}
	if l.fits(width(info) + 2) {
		l.pad(r.w - width(info))
		l.add(th.label(), info)
	}
	out = append(out, l)

	// Column layout, from the names of the rows in view.
	end := min(cur.top+visible, len(rows))
	natural := width(nameHeading[kind])
	for i := cur.top; i < end; i++ {
		natural = max(natural, width(rowLabel(&rows[i], st)))
	}
	show, nameW, sparkW := columns(kind, st, r.w, natural)
	sc := sortCol(st.view.Sort)

	// Headings.
	l = newLine(r.w)
	heading := func(c colID, text string, w int, left bool) {
		sty := th.heading()
		if c == sc && st.order == nil {
			sty = th.sorted()
			text += "↓"
		}
		if left {
			l.add(sty, fit(text, w))
			l.pad(l.w + w - min(width(text), w))
			return
		}
		l.pad(l.w + w - width(text))
		l.add(sty, text)
	}
	nh := nameHeading[kind]
	if st.lines == sentOnly || st.lines == recvOnly {
		nh += "  (" + lineModeNames[st.lines] + ")"
	}
	heading(colName, nh, nameW, true)
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
		if st.lines == twoLines && (c == colOut || c == colIn) {
			text = ""
		}
		heading(c, text, colWidth[c], false)
	}
	if show[colSpark] {
		l.add(plain, " ")
		h := "LAST 40s"
		if sparkW < len(h) {
			h = "40s"
		}
		heading(colSpark, h, sparkW, true)
	}
	out = append(out, l)

	// Rows.
	n := 0
	if len(rows) == 0 && visible > 0 {
		l := newLine(r.w)
		switch {
		case kind == model.KindProc && !s.Attributed:
			why := src.NoProcs
			if why == "" {
				why = "no processes: nothing attributes this traffic to programs"
			}
			l.add(th.dim(), " "+safe(why, r.w-2))
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
		// The selection shows once the user moves it (until then it is
		// the top row, which Enter focuses).
		out = append(out, formatRow(&rows[i], st, th, show, nameW, sparkW, i == cur.idx && cur.moved, r.w)...)
		n += per
	}
	if other {
		for ; n < visible*per; n++ {
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
			case colOut:
				ol.padLeft(th.dim(), model.HumanBytes(float64(o.Out.Bytes)), colWidth[c])
			case colIn:
				ol.padLeft(th.dim(), model.HumanBytes(float64(o.In.Bytes)), colWidth[c])
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
	return out, cur, spans
}

// tabsWidth is the width of the tab line's tabs with these names.
func tabsWidth(names map[model.Kind]string) int {
	n := 0
	for _, k := range tabs {
		n += width(names[k]) + 3
	}
	return n
}

// sortLabel says how the rows are ordered.
func sortLabel(st *state) string {
	if st.order != nil {
		return "frozen (o)"
	}
	return st.view.Sort.String()
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
// the first row until the user moves, then the row with its key (or the
// same index when the key is gone); and scrolls so that it is in view.
func resolve(c cursor, rows []model.Row, visible int) cursor {
	if len(rows) == 0 {
		return cursor{key: c.key, ok: c.ok, moved: c.moved}
	}
	switch {
	case c.end:
		c.idx = len(rows) - 1
	case !c.moved:
		c.idx, c.top = 0, 0
	case c.ok:
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

// formatRow formats one row of the talkers table: one line, or two in
// two-line mode.
func formatRow(r *model.Row, st *state, th theme, show [numCols]bool, nameW, sparkW int, selected bool, w int) []*line {
	if st.lines == twoLines {
		return formatTwoLines(r, st, th, show, nameW, sparkW, selected, w)
	}
	l := newLine(w)
	nameCell(l, r, st, th, nameW)
	dir := both
	switch st.lines {
	case sentOnly:
		dir = out
	case recvOnly:
		dir = in
	}
	cells(l, r, show, dir, false, st.bits)
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
	return []*line{l}
}

// A row's directions, for the cells that show one.
const (
	both = iota
	out
	in
)

// cells adds the value columns of a row: the rates of direction dir, and
// the totals (of dir too when split, as in two-line mode).
func cells(l *line, r *model.Row, show [numCols]bool, dir int, split, bits bool) {
	pick := func(all, o, i model.Counts) model.Counts {
		switch {
		case !split || dir == both:
			return all
		case dir == out:
			return o
		}
		return i
	}
	for c := col2s; c <= colShare; c++ {
		if !show[c] {
			continue
		}
		var v string
		switch c {
		case col2s, col10s, col40s:
			rt := r.Rates[c-col2s]
			switch dir {
			case out:
				v = rate(rt.Out, bits)
			case in:
				v = rate(rt.In, bits)
			default:
				v = rate(rt.Total(), bits)
			}
		case colOut:
			v = model.HumanBytes(float64(r.Out.Bytes))
		case colIn:
			v = model.HumanBytes(float64(r.In.Bytes))
		case colTotal:
			v = model.HumanBytes(float64(pick(r.Total, r.Out, r.In).Bytes))
		case colPkts:
			v = count(pick(r.Total, r.Out, r.In).Packets)
		case colShare:
			if dir != in {
				v = percent(r.Share)
			}
		}
		l.padLeft(plain, v, colWidth[c])
	}
}

// formatTwoLines is iftop's view of a row: its first direction's rates
// and total on a line, the other's under it.
func formatTwoLines(r *model.Row, st *state, th theme, show [numCols]bool, nameW, sparkW int, selected bool, w int) []*line {
	var lines []*line
	arrows := dirArrows[r.Kind]
	for d, dir := range []int{out, in} {
		l := newLine(w)
		if d == 0 {
			nameCell(l, r, st, th, nameW-len(arrows[0])-1)
		}
		l.pad(nameW - len(arrows[d]) - 1)
		l.add(th.dim(), " "+arrows[d])
		cells(l, r, show, dir, true, st.bits)
		if show[colSpark] && d == 0 {
			l.add(plain, " ")
			l.add(th.spark(), spark(r.Spark, sparkW))
		}
		if selected {
			l.reverse()
		}
		lines = append(lines, l)
	}
	return lines
}

// nameCell adds a row's label cut to w cells: a learnt name (cut first)
// and its address (dim), so that two rows never read the same.
func nameCell(l *line, r *model.Row, st *state, th theme, w int) {
	start := l.w
	switch r.Kind {
	case model.KindConv:
		half := (w - 5) / 2
		sideCell(l, r.A.String(), r.NameA, st, th, half)
		l.add(plain, " <=> ")
		sideCell(l, r.B.String(), r.NameB, st, th, w-(l.w-start))
	case model.KindHost:
		sideCell(l, r.A.String(), r.NameA, st, th, w)
	case model.KindFlow:
		p := l4Name(r.L4) + " "
		l.add(th.dim(), p)
		half := (w - 5 - len(p)) / 2
		sideCell(l, netip.AddrPortFrom(r.A, r.Port).String(), r.NameA, st, th, half)
		l.add(plain, " <=> ")
		sideCell(l, netip.AddrPortFrom(r.B, r.PortB).String(), r.NameB, st, th, w-(l.w-start))
	case model.KindProc:
		procCell(l, r, th, w)
	default:
		l.add(plain, fit(portLabel(r.Key, st.services, safe(r.Service, 32)), w))
	}
	l.pad(start + w)
}

// procCell adds a process's label in w cells: its command, then (dim)
// its pid, user and container, as many as fit; or why no process owns
// the row's traffic. Every part is made inert: a process names itself.
func procCell(l *line, r *model.Row, th theme, w int) {
	o := r.Owners[0]
	if r.Proc.Reason != model.ReasonNone || o == nil {
		l.add(th.dim(), fit(safe(model.ProcLabel(r.Proc, o), 0), w))
		return
	}
	parts := []span{{th.name(), safe(o.Command, 0)}, {th.dim(), " " + strconv.Itoa(int(r.Proc.PID))}}
	switch {
	case o.User != "":
		parts = append(parts, span{plain, " " + safe(o.User, 0)})
	case o.HasUID:
		parts = append(parts, span{plain, " uid " + strconv.FormatUint(uint64(o.UID), 10)})
	}
	if o.Container != "" {
		parts = append(parts, span{th.dim(), " " + safe(o.Container, 0)})
	}
	left := w
	for _, p := range parts {
		if width(p.s) > left {
			if left >= 2 {
				l.add(p.st, fit(p.s, left))
			}
			return
		}
		l.add(p.st, p.s)
		left -= width(p.s)
	}
}

// sideCell adds an address, after its learnt name when names are shown:
// the name is cut before the address is.
func sideCell(l *line, a, name string, st *state, th theme, w int) {
	if !st.names || name == "" {
		l.add(plain, fitMiddle(a, w))
		return
	}
	n := safe(name, 0)
	if width(n)+1+len(a) <= w {
		l.add(th.name(), n)
		l.add(th.dim(), " "+a)
		return
	}
	if room := w - 1 - len(a); room >= 4 {
		l.add(th.name(), fit(n, room))
		l.add(th.dim(), " "+a)
		return
	}
	l.add(plain, fitMiddle(a, w))
}

// statusText is the bottom line: a message, or the main keys.
func statusText(st *state, th theme, lay layout) *line {
	l := newLine(lay.w)
	if st.msg != "" {
		l.add(th.warn(), safe(st.msg, 0))
		return l
	}
	keys := [][2]string{{"q", "quit"}, {"h", "help"}, {"Tab", "table"}, {"1 2 3", "sort"}, {"/", "show"},
		{"Enter", "focus"}, {"P", "pause"}, {"t", "lines"}, {"n", "names"}, {"+-", "speed"}, {"f", "filter"}, {"r", "reset"}}
	if st.live {
		// no replay speed; the hidden sparklines instead
		keys = slices.DeleteFunc(keys, func(k [2]string) bool { return k[0] == "+-" })
		keys = append(keys, [2]string{"b", "sparklines"})
	}
	if lay.slotted() {
		keys = append(keys, [2]string{"v", "panes"})
	}
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

// quoted is s in double quotes, made inert.
func quoted(s string) string { return "\"" + strings.ReplaceAll(safe(s, 0), "\"", "\\\"") + "\"" }
