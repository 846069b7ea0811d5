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

// The bottom panes.
const (
	paneProtos pane = iota
	paneSizes
	paneThru
	numPanes
)

var paneNames = [...]string{"protocols", "packet sizes", "throughput"}

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

// computeLayout places the panes on a w x h screen. cycle picks the pane
// shown when fewer than all fit side by side: on a narrow screen the
// bottom holds protocols and one graph (sizes or throughput, by cycle),
// on a very narrow one a single pane. need is how many lines the talkers
// pane would fill (its rows and headings); the bottom panes take up to
// 60% of the screen when the talkers leave lines unused.
func computeLayout(w, h int, cycle pane, need int) layout {
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
	switch {
	case w >= 120:
		pw := min(max(w/3, 36), 44)
		gw := (w - pw) / 2
		l.panes[paneProtos] = rect{0, y, pw, bottom}
		l.panes[paneSizes] = rect{pw, y, gw, bottom}
		l.panes[paneThru] = rect{pw + gw, y, w - pw - gw, bottom}
	case w >= 72:
		pw := min(max(w*2/5, 32), 40)
		l.panes[paneProtos] = rect{0, y, pw, bottom}
		g := cycle
		if g == paneProtos {
			g = paneSizes
		}
		l.panes[g] = rect{pw, y, w - pw, bottom}
	default:
		l.panes[cycle] = rect{0, y, w, bottom}
	}
	return l
}

// nextPane is the pane that v brings into the shared slot after cur.
func nextPane(l layout, cur pane) pane {
	n := cur
	for range numPanes {
		n = (n + 1) % numPanes
		if l.w >= 72 && n == paneProtos {
			continue // the protocols have a slot of their own there
		}
		return n
	}
	return cur
}
