package ui

// rect is a screen area.
type rect struct{ x, y, w, h int }

func (r rect) contains(x, y int) bool {
	return x >= r.x && x < r.x+r.w && y >= r.y && y < r.y+r.h
}

// inner is the area inside a border.
func (r rect) inner() rect {
	if r.w < 2 || r.h < 2 {
		return rect{r.x, r.y, 0, 0}
	}
	return rect{r.x + 1, r.y + 1, r.w - 2, r.h - 2}
}

// pane names the bordered panes under the talkers.
type pane int

// The bottom panes: the protocols, then the graphs.
const (
	paneProtos pane = iota
	paneSizes
	paneSizeTime
	paneThru
	numPanes
)

var paneNames = [...]string{"protocols", "packet sizes", "packet sizes over time", "throughput"}

// layout says where everything goes on a screen of a given size. It is
// a pure function of the size and of which pane the user picked for the
// shared slot, so that the pump (which formats) and the UI goroutine
// (which places widgets) agree on it.
type layout struct {
	w, h    int
	header  rect
	talkers rect // tab line, column headings, rows, "other"
	status  rect
	panes   [numPanes]rect // zero size: hidden
}

// Sizes of the fixed parts.
const (
	headerLines = 2
	statusLines = 1
	// minBottom is the screen height under which the bottom panes hide.
	minBottom = 20
)

// computeLayout places the panes on a w x h screen. need is how many
// lines the talkers pane would fill (its rows and headings); the bottom
// panes take up to 60% of the screen when the talkers leave lines unused.
// The protocols have a slot of their own from 72 columns on; the graphs
// (sizes, sizes over time, throughput) take the slots left, one from 72
// columns, two from 120, all three from 160; cycle (the v key) rotates
// which graphs those are. Under 72 columns one slot shows any pane.
func computeLayout(w, h, cycle, need int) layout {
	l := layout{w: w, h: h}
	if w <= 0 || h <= 0 {
		return l
	}
	hh := min(headerLines, h)
	l.header = rect{0, 0, w, hh}
	rest := h - hh
	if rest > 0 {
		l.status = rect{0, h - statusLines, w, statusLines}
		rest -= statusLines
	}
	bottom := 0
	if h >= minBottom {
		bottom = min(max(h*38/100, 9), 16)
		bottom = max(bottom, min(rest-need, h*60/100))
	}
	l.talkers = rect{0, hh, w, max(rest-bottom, 0)}
	if bottom == 0 {
		return l
	}
	y := hh + l.talkers.h
	graphs := []pane{paneSizes, paneSizeTime, paneThru}
	var slots int
	var pw int
	switch {
	case w >= 160:
		slots, pw = 3, min(max(w/4, 36), 44)
	case w >= 120:
		slots, pw = 2, min(max(w/3, 36), 44)
	case w >= 72:
		slots, pw = 1, min(max(w*2/5, 32), 40)
	default:
		all := []pane{paneProtos, paneSizes, paneSizeTime, paneThru}
		l.panes[all[mod(cycle, len(all))]] = rect{0, y, w, bottom}
		return l
	}
	l.panes[paneProtos] = rect{0, y, pw, bottom}
	gw := (w - pw) / slots
	for i := range slots {
		x := pw + i*gw
		width := gw
		if i == slots-1 {
			width = w - x
		}
		l.panes[graphs[mod(cycle+i, len(graphs))]] = rect{x, y, width, bottom}
	}
	return l
}

// slotted reports whether the layout hides some pane (v then cycles).
func (l layout) slotted() bool {
	for _, r := range l.panes {
		if r.w == 0 {
			return true
		}
	}
	return false
}

func mod(a, n int) int {
	a %= n
	if a < 0 {
		a += n
	}
	return a
}
