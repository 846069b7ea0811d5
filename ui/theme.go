package ui

import (
	"github.com/gdamore/tcell/v2"
)

// theme turns roles into cell styles. A monochrome theme (NO_COLOR, a
// terminal with fewer than 8 colours) uses attributes only: bold and
// reverse.
type theme struct{ mono bool }

var plain = tcell.StyleDefault

func (t theme) pick(mono tcell.Style, color tcell.Style) tcell.Style {
	if t.mono {
		return mono
	}
	return color
}

func (t theme) fg(c tcell.Color) tcell.Style { return t.pick(plain, plain.Foreground(c)) }

func (t theme) plain() tcell.Style { return plain }
func (t theme) title() tcell.Style {
	return t.pick(plain.Bold(true), plain.Foreground(tcell.ColorYellow).Bold(true))
}
func (t theme) label() tcell.Style   { return t.fg(tcell.ColorGray) }
func (t theme) heading() tcell.Style { return plain.Bold(true) }
func (t theme) sorted() tcell.Style  { return t.title() }
func (t theme) active() tcell.Style  { return plain.Reverse(true) }
func (t theme) spark() tcell.Style   { return t.fg(tcell.ColorGreen) }
func (t theme) dim() tcell.Style     { return t.fg(tcell.ColorGray) }
func (t theme) ok() tcell.Style      { return t.fg(tcell.ColorGreen) }
func (t theme) warn() tcell.Style    { return t.title() }
func (t theme) bad() tcell.Style {
	return t.pick(plain.Bold(true), plain.Foreground(tcell.ColorRed).Bold(true))
}
func (t theme) key() tcell.Style {
	return t.pick(plain.Bold(true), plain.Foreground(tcell.ColorAqua).Bold(true))
}
func (t theme) app() tcell.Style { return t.fg(tcell.ColorAqua) }
func (t theme) name() tcell.Style {
	return t.pick(plain, plain.Foreground(tcell.ColorTeal))
}
func (t theme) border() tcell.Style { return plain }

// span is inert text in one style.
type span struct {
	st tcell.Style
	s  string
}

// line builds one line of inert text no wider than max cells.
type line struct {
	spans []span
	w     int
	max   int
	full  bool
}

func newLine(max int) *line { return &line{max: max} }

// add appends inert text (pktop's own, or untrusted text made inert by
// model.Sanitize) in a style; it cuts the text at the line's width and
// reports whether all of it fit.
func (l *line) add(st tcell.Style, text string) bool {
	if l.full {
		return false
	}
	tw := width(text)
	if l.w+tw > l.max {
		text = fit(text, l.max-l.w)
		tw = width(text)
		l.full = true
	}
	if text == "" {
		return !l.full
	}
	if n := len(l.spans); n > 0 && l.spans[n-1].st == st {
		l.spans[n-1].s += text
	} else {
		l.spans = append(l.spans, span{st, text})
	}
	l.w += tw
	return !l.full
}

// fits reports whether n more cells fit.
func (l *line) fits(n int) bool { return !l.full && l.w+n <= l.max }

// pad fills the line with spaces up to w cells.
func (l *line) pad(w int) {
	if n := min(w, l.max) - l.w; n > 0 {
		l.add(plain, spaces(n))
	}
}

// padLeft right-aligns ASCII text s in w cells.
func (l *line) padLeft(st tcell.Style, s string, w int) {
	l.pad(l.w + w - len(s))
	l.add(st, s)
}

// reverse shows the whole line (padded to its width) in reverse video:
// the selected row.
func (l *line) reverse() {
	l.pad(l.max)
	for i := range l.spans {
		l.spans[i].st = l.spans[i].st.Reverse(true)
	}
}

// String returns the line's text without styles (for tests).
func (l *line) String() string {
	s := ""
	for _, sp := range l.spans {
		s += sp.s
	}
	return s
}

func spaces(n int) string {
	const blanks = "                                                                                "
	if n <= len(blanks) {
		return blanks[:max(n, 0)]
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = ' '
	}
	return string(b)
}

// textLines turns plain multi-line text (pktop's own: graphs, help) into
// lines in one style.
func textLines(s string, st tcell.Style, w int) []*line {
	var out []*line
	for len(s) > 0 || out == nil {
		i := 0
		for i < len(s) && s[i] != '\n' {
			i++
		}
		l := newLine(w)
		l.add(st, s[:i])
		out = append(out, l)
		if i >= len(s) {
			break
		}
		s = s[i+1:]
	}
	return out
}
