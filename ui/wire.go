package ui

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/uniseg"
)

// wire makes what tcell writes to the terminal shorter, without changing
// what the terminal shows. tcell sends every changed run of cells after an
// absolute cursor move (ESC [ row ; col H, 7 or 8 bytes), starts every
// frame with a full attribute reset, hides the cursor twice, and brackets
// every frame in synchronized-output mode: on a steady screen, where a
// frame changes a few digits, that overhead was most of the bytes.
//
// wire keeps a copy of what it sent (a shadow of the screen: the character
// and the attributes of every cell it knows) and the cursor position, and
// rewrites each frame:
//   - a move on the same row becomes the cheapest of: the cells in between
//     written again (when the shadow knows them and they carry the
//     attributes in force), a relative move (ESC [ n C, ESC [ n D) or a
//     column move (ESC [ n G); a move in the same column becomes ESC [ n A
//     or B; a move to column 1 drops the column;
//   - attribute changes are sent only when a character is drawn with
//     attributes other than those in force;
//   - a cursor hide while hidden is dropped;
//   - a frame small enough to reach the terminal in one piece loses its
//     synchronized-output bracket (it protects large redraws from tearing).
//
// Whatever wire does not understand (a clear, a mode change, a control
// character, a character whose width it cannot be sure of) is passed on as
// it is, after which it forgets what it cannot be sure of: the cursor
// position, or the whole shadow. The next absolute move is then sent as
// tcell wrote it. Only the bytes change, never the cells: see wire_test.go,
// which checks frames against tmux.
type wire struct {
	mu   sync.Mutex
	out  io.Writer
	cols func() int // the terminal's width, for the pending wrap at the last column

	grid   [][]wcell
	pens   map[string]uint16
	penStr []string // pen id -> the sequences that set it (ids start at 1)

	x, y     int
	known    bool   // the cursor position is x, y
	anyKnown bool   // some cell of the shadow is known
	termPen  uint16 // attributes in force at the terminal (0: unknown)
	pend     []byte // attribute sequences not yet sent
	pendPen  string // what the attributes will be once pend is sent
	hidden   int8   // cursor: -1 unknown, 0 shown, 1 hidden
	alt      bool   // G0 is not ASCII
	shifted  bool   // shift out: G1 in use

	buf      []byte
	syncAt   int  // where the frame's synchronized-output bracket would start, or -1
	syncSent bool // the terminal got a bracket start that its end must follow
	syncMin  int  // frames shorter than this lose the bracket
}

// wcell is one cell of the shadow: r == 0 means unknown.
type wcell struct {
	r   rune
	pen uint16
}

const (
	wireMaxDim  = 1024 // rows or columns the shadow keeps
	wireMaxPens = 4096 // distinct attribute sets before the shadow starts over
	wireMaxPen  = 128  // bytes in one attribute set before it counts as unknown
)

func newWire(out io.Writer, cols func() int) *wire {
	return &wire{out: out, cols: cols, hidden: -1, syncAt: -1, syncMin: 2048, pens: map[string]uint16{}}
}

// Write rewrites p and writes it on. It always reports len(p) written
// unless the terminal's write fails.
func (w *wire) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = w.buf[:0]
	cols := 0
	if w.cols != nil {
		cols = w.cols()
	}
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == 0x1b:
			i += w.escape(p[i:])
		case c < 0x20 || c == 0x7f:
			w.flushPen()
			w.buf = append(w.buf, c)
			w.known = false
			if c == 0x0e || c == 0x0f { // shift out / in: another character set
				w.forget()
				w.shifted = c == 0x0e
			}
			i++
		default:
			r, n := utf8.DecodeRune(p[i:])
			w.print(p[i:i+n], r, cols)
			i += n
		}
	}
	// Attributes set at the end of a write (tcell's last words before it
	// stops) are sent: nothing may stay held when no more writes come.
	w.flushPen()
	if w.syncAt >= 0 { // the frame is all in this write: its size decides
		w.closeSync()
	}
	if _, err := w.out.Write(w.buf); err != nil {
		return 0, err
	}
	return len(p), nil
}

const (
	syncOn  = "\x1b[?2026h"
	syncOff = "\x1b[?2026l"
)

// escape handles the escape sequence at the start of p and returns its
// length.
func (w *wire) escape(p []byte) int {
	if len(p) < 2 {
		w.passUnknown(p)
		return len(p)
	}
	switch p[1] {
	case '[':
		// CSI: parameters 0x30-0x3f, intermediates 0x20-0x2f, final 0x40-0x7e.
		j := 2
		for j < len(p) && p[j] >= 0x30 && p[j] <= 0x3f {
			j++
		}
		params := p[2:j]
		for j < len(p) && p[j] >= 0x20 && p[j] <= 0x2f {
			j++
		}
		if j >= len(p) || p[j] < 0x40 || p[j] > 0x7e {
			w.passUnknown(p[:min(j+1, len(p))])
			return min(j+1, len(p))
		}
		seq := p[:j+1]
		inter := j > 2+len(params)
		switch final := p[j]; {
		case final == 'm' && !inter:
			w.attr(seq, len(params) == 0 || string(params) == "0")
		case (final == 'H' || final == 'f') && !inter:
			if row, col, ok := cupParams(params); ok {
				w.move(col-1, row-1, seq)
			} else {
				w.passUnknown(seq)
			}
		case string(seq) == "\x1b[?25l":
			if w.hidden != 1 {
				w.buf = append(w.buf, seq...)
				w.hidden = 1
			}
		case string(seq) == "\x1b[?25h":
			if w.hidden != 0 {
				w.buf = append(w.buf, seq...)
				w.hidden = 0
			}
		case string(seq) == syncOn:
			w.flushPen()
			w.syncAt = len(w.buf)
		case string(seq) == syncOff:
			// tcell writes the end of the bracket on its own, after
			// the frame: it goes if the start went.
			if w.syncAt >= 0 {
				w.closeSync()
			}
			if w.syncSent {
				w.buf = append(w.buf, seq...)
				w.syncSent = false
			}
		default:
			w.passUnknown(seq)
		}
		return j + 1
	case '(', ')', '*', '+':
		if len(p) < 3 {
			w.passUnknown(p)
			return len(p)
		}
		if p[1] == '(' && p[2] == 'B' {
			// ASCII in G0: part of tcell's attribute reset for xterm
			// (ESC ( B ESC [ m).
			w.alt = false
			w.attr(p[:3], false)
			return 3
		}
		// Another character set (line drawing): what is printed until
		// ASCII comes back is not recorded.
		w.passUnknown(p[:3])
		w.alt = p[1] == '('
		return 3
	default:
		// OSC, DCS and the rest: pass on up to their end.
		n := escLen(p)
		w.passUnknown(p[:n])
		return n
	}
}

// closeSync decides on the bracket opened at syncAt: a frame that
// reaches the terminal in one piece does not need it.
func (w *wire) closeSync() {
	if len(w.buf)-w.syncAt >= w.syncMin {
		w.buf = append(w.buf[:w.syncAt], append([]byte(syncOn), w.buf[w.syncAt:]...)...)
		w.syncSent = true
	}
	w.syncAt = -1
}

// escLen is the length of a non-CSI escape sequence at the start of p:
// a string sequence (OSC, DCS, APC, PM, SOS) up to BEL or ST, else two bytes.
func escLen(p []byte) int {
	switch p[1] {
	case ']', 'P', '_', '^', 'X':
		for j := 2; j < len(p); j++ {
			if p[j] == 0x07 {
				return j + 1
			}
			if p[j] == 0x1b && j+1 < len(p) && p[j+1] == '\\' {
				return j + 2
			}
		}
		return len(p)
	}
	return 2
}

// cupParams reads "row;col" (either may be missing: 1).
func cupParams(params []byte) (row, col int, ok bool) {
	row, col = 1, 1
	a, b, two := bytes.Cut(params, []byte{';'})
	if len(a) > 0 {
		v, err := strconv.Atoi(string(a))
		if err != nil || v < 0 {
			return 0, 0, false
		}
		row = max(v, 1)
	}
	if two && len(b) > 0 {
		v, err := strconv.Atoi(string(b))
		if err != nil || v < 0 {
			return 0, 0, false
		}
		col = max(v, 1)
	}
	return row, col, true
}

// passUnknown sends a sequence wire does not model and forgets the
// screen, the attributes in force (restoring a saved cursor restores
// attributes too) and the cursor's visibility.
func (w *wire) passUnknown(seq []byte) {
	w.flushPen()
	w.buf = append(w.buf, seq...)
	w.forget()
	w.termPen = 0
	w.hidden = -1
}

// forget drops the shadow and the cursor position (the attributes in force
// are still known: every pending change was sent).
func (w *wire) forget() {
	if w.anyKnown {
		for y := range w.grid {
			clear(w.grid[y])
		}
		w.anyKnown = false
	}
	w.known = false
}

// attr takes an attribute or character-set sequence. tcell sends a full
// set after a reset each time the attributes change, so a set that starts
// with a reset stands alone; anything else adds to the set in force.
func (w *wire) attr(seq []byte, reset bool) {
	base := w.pendPen
	if len(w.pend) == 0 {
		base = w.penString(w.termPen)
	}
	if reset {
		// ESC ( B right before the reset belongs to it.
		if bytes.HasSuffix(w.pend, []byte("\x1b(B")) && len(w.pend) == 3 {
			base = "\x1b(B"
		} else {
			base = ""
		}
	}
	w.pend = append(w.pend, seq...)
	w.pendPen = base + string(seq)
}

func (w *wire) penString(id uint16) string {
	if id == 0 || int(id) > len(w.penStr) {
		return "\x00unknown"
	}
	return w.penStr[id-1]
}

// flushPen sends the pending attribute changes if they change anything.
func (w *wire) flushPen() {
	if len(w.pend) == 0 {
		return
	}
	id := w.penID(w.pendPen)
	if id == 0 || id != w.termPen {
		w.buf = append(w.buf, w.penDelta(w.pendPen)...)
	}
	w.termPen = id
	w.pend = w.pend[:0]
	w.pendPen = ""
}

// penDelta is the shortest way wire knows from the attributes in force to
// target: what target adds to them, a colour reset when target is them
// without their colours, or else the pending sequences as tcell wrote them.
func (w *wire) penDelta(target string) []byte {
	if w.termPen != 0 && target != "" && target[0] != 0 {
		cur := w.penString(w.termPen)
		if strings.HasPrefix(target, cur) {
			return []byte(target[len(cur):])
		}
		if strings.HasPrefix(cur, target) {
			if base, ok := sgrColours(target); ok && !base.fg && !base.bg {
				if extra, ok := sgrColours(cur[len(target):]); ok && extra.only {
					switch {
					case extra.fg && extra.bg:
						return []byte("\x1b[39;49m")
					case extra.fg:
						return []byte("\x1b[39m")
					case extra.bg:
						return []byte("\x1b[49m")
					}
				}
			}
		}
	}
	return w.pend
}

// sgrUse says what a run of attribute sequences sets.
type sgrUse struct {
	fg, bg bool // a foreground or background colour
	only   bool // colours and nothing else
}

// sgrColours reads a run of ESC [ ... m and ESC ( B sequences; ok is false
// for anything else.
func sgrColours(s string) (u sgrUse, ok bool) {
	u.only = true
	for s != "" {
		if strings.HasPrefix(s, "\x1b(B") {
			u.only = false
			s = s[3:]
			continue
		}
		if !strings.HasPrefix(s, "\x1b[") {
			return u, false
		}
		end := strings.IndexByte(s, 'm')
		if end < 0 {
			return u, false
		}
		ps := strings.Split(s[2:end], ";")
		s = s[end+1:]
		for i := 0; i < len(ps); i++ {
			k, err := strconv.Atoi(ps[i])
			if ps[i] == "" {
				k, err = 0, nil
			}
			switch {
			case err != nil:
				return u, false
			case k >= 30 && k <= 37 || k >= 90 && k <= 97 || k == 39:
				u.fg = true
			case k >= 40 && k <= 47 || k >= 100 && k <= 107 || k == 49:
				u.bg = true
			case k == 38 || k == 48:
				if k == 38 {
					u.fg = true
				} else {
					u.bg = true
				}
				if i+1 < len(ps) && ps[i+1] == "5" {
					i += 2
				} else if i+1 < len(ps) && ps[i+1] == "2" {
					i += 4
				} else {
					return u, false
				}
			default:
				u.only = false
			}
		}
	}
	return u, true
}

// penID interns an attribute set; 0 when it cannot be kept.
func (w *wire) penID(s string) uint16 {
	if len(s) > wireMaxPen || s == "" || s[0] == 0 {
		return 0
	}
	if id, ok := w.pens[s]; ok {
		return id
	}
	if len(w.penStr) >= wireMaxPens {
		// Start over: no cell may keep an id that now means something else.
		clear(w.pens)
		w.penStr = w.penStr[:0]
		w.forget()
		w.termPen = 0
	}
	w.penStr = append(w.penStr, s)
	id := uint16(len(w.penStr))
	w.pens[s] = id
	return id
}

// narrow reports whether r takes one cell on every terminal pktop's text
// can reach: ASCII, and the box, block and arrow characters pktop draws
// with (East Asian ambiguous: one cell unless RUNEWIDTH_EASTASIAN says two).
func narrow(r rune) bool {
	if r >= 0x20 && r < 0x7f {
		return true
	}
	if uniseg.EastAsianAmbiguousWidth != 1 {
		return false
	}
	return r >= 0x2500 && r <= 0x259f || r >= 0x2190 && r <= 0x21ff || r == 0xb7 || r == 0x2026
}

// print sends one character and records it in the shadow.
func (w *wire) print(b []byte, r rune, cols int) {
	w.flushPen()
	w.buf = append(w.buf, b...)
	if !w.known {
		// Printed where wire cannot tell: any cell may have changed.
		if w.anyKnown {
			w.forget()
		}
		return
	}
	if r == utf8.RuneError || !narrow(r) || w.termPen == 0 || w.alt || w.shifted {
		// Unknown width, or attributes wire could not keep: the rest
		// of this row and the cursor are no longer known.
		if row := w.row(w.y); row != nil {
			clear(row[min(w.x, len(row)):])
		}
		w.known = false
		return
	}
	if row := w.row(w.y); row != nil && w.x < len(row) {
		row[w.x] = wcell{r: r, pen: w.termPen}
		w.anyKnown = true
	}
	w.x++
	if cols <= 0 || w.x >= cols {
		w.known = false // the pending wrap at the last column
	}
}

func (w *wire) row(y int) []wcell {
	if y < 0 || y >= wireMaxDim {
		return nil
	}
	for len(w.grid) <= y {
		w.grid = append(w.grid, nil)
	}
	if w.grid[y] == nil {
		w.grid[y] = make([]wcell, wireMaxDim)
	}
	return w.grid[y]
}

// move sends the cheapest way from the cursor to x, y (0-based); seq is
// the absolute move tcell wrote.
func (w *wire) move(x, y int, seq []byte) {
	best := absMove(x, y)
	if w.known {
		if x == w.x && y == w.y {
			best = nil
		} else if y == w.y {
			if x > w.x {
				best = shorter(best, relMove(x-w.x, 'C'))
				if gap, ok := w.rewrite(y, w.x, x); ok {
					best = shorter(best, gap)
				}
			} else {
				best = shorter(best, relMove(w.x-x, 'D'))
			}
			best = shorter(best, []byte("\x1b["+strconv.Itoa(x+1)+"G"))
		} else if x == w.x {
			if y > w.y {
				best = shorter(best, relMove(y-w.y, 'B'))
			} else {
				best = shorter(best, relMove(w.y-y, 'A'))
			}
		}
	}
	if len(best) > len(seq) {
		best = seq
	}
	w.buf = append(w.buf, best...)
	w.x, w.y, w.known = x, y, true
}

// rewrite returns the shadow's cells x0..x1-1 of row y when every one is
// known and carries the attributes in force.
func (w *wire) rewrite(y, x0, x1 int) ([]byte, bool) {
	if x1-x0 > 8 || w.termPen == 0 || y >= len(w.grid) || w.grid[y] == nil {
		return nil, false
	}
	var out []byte
	for _, c := range w.grid[y][x0:x1] {
		if c.r == 0 || c.pen != w.termPen {
			return nil, false
		}
		out = utf8.AppendRune(out, c.r)
	}
	return out, true
}

func absMove(x, y int) []byte {
	if x == 0 {
		if y == 0 {
			return []byte("\x1b[H")
		}
		return []byte("\x1b[" + strconv.Itoa(y+1) + "H")
	}
	return []byte("\x1b[" + strconv.Itoa(y+1) + ";" + strconv.Itoa(x+1) + "H")
}

func relMove(n int, dir byte) []byte {
	if n == 1 {
		return []byte{0x1b, '[', dir}
	}
	return append([]byte("\x1b["+strconv.Itoa(n)), dir)
}

func shorter(a, b []byte) []byte {
	if len(b) < len(a) {
		return b
	}
	return a
}

// wireTty is the terminal with wire between tcell and it.
type wireTty struct {
	tcell.Tty
	w *wire
}

func (t *wireTty) Write(p []byte) (int, error) { return t.w.Write(p) }

// newWireTty wraps tty; each frame tcell writes goes through one wire.
func newWireTty(tty tcell.Tty) *wireTty {
	t := &wireTty{Tty: tty}
	t.w = newWire(tty, func() int {
		ws, err := tty.WindowSize()
		if err != nil {
			return 0
		}
		return ws.Width
	})
	return t
}
