package ui

import (
	"github.com/gdamore/tcell/v2"
	"github.com/pktop/pktop/model"
)

// The screen is drawn in cells, not in tview's tagged text: a frame is a
// canvas of cells that the pump goroutine fills and the UI goroutine
// copies to the terminal. No text is ever parsed for markup on its way,
// so that nothing learnt from a packet or a file name can start a colour
// tag, a region, a hyperlink or a line break: such text is made inert by
// model.Sanitize (the one path for untrusted text) where it enters a
// frame, and the canvas draws each rune of it in the cells CellWidth
// says, whatever it holds (a rune inert text never holds is drawn as
// '?').

// cell is one cell of a canvas. A rune of two cells fills its first cell;
// the second holds r == 0.
type cell struct {
	r  rune
	st tcell.Style
}

// canvas is a w x h grid of cells.
type canvas struct {
	w, h  int
	cells []cell
	// ascii draws every rune above U+007F as its ASCII stand-in (see
	// asciiRune), for terminals whose character set is not UTF-8.
	ascii bool
}

func newCanvas(w, h int, ascii bool) *canvas {
	c := &canvas{w: max(w, 0), h: max(h, 0), ascii: ascii}
	c.cells = make([]cell, c.w*c.h)
	for i := range c.cells {
		c.cells[i] = cell{r: ' '}
	}
	return c
}

// same reports whether c and d hold the same cells.
func (c *canvas) same(d *canvas) bool {
	if d == nil || c.w != d.w || c.h != d.h {
		return false
	}
	for i := range c.cells {
		if c.cells[i] != d.cells[i] {
			return false
		}
	}
	return true
}

// set puts one rune at x, y; it returns the cells it took (0 when it
// fell outside, or a wide rune did not fit before the right edge; that
// cell is then a blank).
func (c *canvas) set(x, y int, r rune, st tcell.Style) int {
	if y < 0 || y >= c.h || x < 0 || x >= c.w {
		return 0
	}
	w := model.CellWidth(r)
	if w == 0 {
		r, w = '?', 1
	}
	if c.ascii && r >= 0x80 {
		r, w = asciiRune(r), 1
	}
	i := y*c.w + x
	if w == 2 {
		if x+1 >= c.w {
			c.cells[i] = cell{r: ' ', st: st}
			return 1
		}
		c.cells[i] = cell{r: r, st: st}
		c.cells[i+1] = cell{r: 0, st: st}
		return 2
	}
	c.cells[i] = cell{r: r, st: st}
	return 1
}

// text draws inert text from x on row y, no further than column lim
// (exclusive); it returns the column after the last cell drawn.
func (c *canvas) text(x, y, lim int, st tcell.Style, s string) int {
	lim = min(lim, c.w)
	for _, r := range s {
		w := max(model.CellWidth(r), 1)
		if c.ascii && r >= 0x80 {
			w = 1
		}
		if x+w > lim {
			break
		}
		x += c.set(x, y, r, st)
	}
	return x
}

// fill paints a rectangle with a rune.
func (c *canvas) fill(r rect, ch rune, st tcell.Style) {
	for y := r.y; y < r.y+r.h; y++ {
		for x := r.x; x < r.x+r.w; x++ {
			c.set(x, y, ch, st)
		}
	}
}

// lines draws lines of spans in the rectangle r, one a row, cut at its
// right edge.
func (c *canvas) lines(r rect, ls []*line) {
	for i, l := range ls {
		if i >= r.h {
			break
		}
		x := r.x
		for _, sp := range l.spans {
			x = c.text(x, r.y+i, r.x+r.w, sp.st, sp.s)
		}
	}
}

// box draws a border around r with a title on its top edge.
func (c *canvas) box(r rect, title string, st, titleSt tcell.Style) {
	if r.w < 2 || r.h < 2 {
		return
	}
	x1, y1 := r.x+r.w-1, r.y+r.h-1
	for x := r.x + 1; x < x1; x++ {
		c.set(x, r.y, '─', st)
		c.set(x, y1, '─', st)
	}
	for y := r.y + 1; y < y1; y++ {
		c.set(r.x, y, '│', st)
		c.set(x1, y, '│', st)
	}
	c.set(r.x, r.y, '┌', st)
	c.set(x1, r.y, '┐', st)
	c.set(r.x, y1, '└', st)
	c.set(x1, y1, '┘', st)
	if title != "" && r.w > 4 {
		t := " " + fit(title, r.w-4) + " "
		c.text(r.x+1, r.y, x1, titleSt, t)
	}
}

// draw copies the canvas to a screen at x, y.
func (c *canvas) draw(scr tcell.Screen, x0, y0 int) {
	for y := 0; y < c.h; y++ {
		for x := 0; x < c.w; x++ {
			cl := c.cells[y*c.w+x]
			if cl.r == 0 {
				continue // the second cell of a wide rune
			}
			scr.SetContent(x0+x, y0+y, cl.r, nil, cl.st)
		}
	}
}

// asciiRune is the ASCII stand-in of a rune pktop draws (graph lines,
// bars, arrows, box drawing); '?' for any other.
func asciiRune(r rune) rune {
	switch r {
	case '─', '━', '╌', '┄':
		return '-'
	case '│', '┃', '╎', '┆':
		return '|'
	case '┌', '┐', '└', '┘', '├', '┤', '┬', '┴', '┼', '╭', '╮', '╯', '╰':
		return '+'
	case '…':
		return '~'
	case '↓', '▼':
		return 'v'
	case '↑', '▲':
		return '^'
	case '→', '▶':
		return '>'
	case '←', '◀':
		return '<'
	case '·', '•':
		return '.'
	case '≥':
		return '>'
	case '≤':
		return '<'
	case '×':
		return 'x'
	case '▁':
		return '_'
	case '▂', '▃':
		return '.'
	case '▄', '▅':
		return 'o'
	case '▆', '▇':
		return 'O'
	case '█', '▉', '▊', '▋', '▌', '▍', '▎', '▏', '▐':
		return '#'
	case '░':
		return ':'
	case '▒':
		return '%'
	case '▓':
		return '@'
	}
	if r >= 0x2800 && r <= 0x28ff { // Braille dots
		if r == 0x2800 {
			return ' '
		}
		return '.'
	}
	return '?'
}
