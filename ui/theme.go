package ui

import (
	"strings"

	"github.com/pktop/pktop/model"
	"github.com/rivo/tview"
)

// theme turns roles into tview style tags. A monochrome theme (NO_COLOR,
// a terminal with fewer than 8 colours) uses attributes only: bold and
// reverse. (Underline is not used: tview's reset tag leaves it on.)
type theme struct{ mono bool }

// Tag roles. Each returns the opening tag; reset closes any of them.
func (t theme) color(c string) string {
	if t.mono {
		return ""
	}
	return "[" + c + "]"
}

func (t theme) title() string   { return t.pick("[::b]", "[yellow::b]") }
func (t theme) label() string   { return t.pick("", "[grey]") }
func (t theme) heading() string { return "[::b]" }
func (t theme) sorted() string  { return t.pick("[::b]", "[yellow::b]") }
func (t theme) active() string  { return "[::r]" }
func (t theme) sel() string     { return "[::r]" }
func (t theme) spark() string   { return t.color("green") }
func (t theme) dim() string     { return t.pick("", "[grey]") }
func (t theme) ok() string      { return t.pick("", "[green]") }
func (t theme) warn() string    { return t.pick("[::b]", "[yellow::b]") }
func (t theme) bad() string     { return t.pick("[::b]", "[red::b]") }
func (t theme) key() string     { return t.pick("[::b]", "[aqua::b]") }
func (t theme) reset() string   { return "[-:-:-]" }

func (t theme) pick(mono, color string) string {
	if t.mono {
		return mono
	}
	return color
}

// line builds one line of tagged text no wider than max cells.
type line struct {
	b    strings.Builder
	w    int
	max  int
	full bool
}

func newLine(max int) *line { return &line{max: max} }

// add appends plain (untagged, unescaped) text in the style tag; it cuts
// the text at the line's width and reports whether all of it fit.
func (l *line) add(tag, text string) bool {
	if l.full {
		return false
	}
	text = model.Sanitize(text, 0)
	tw := width(text)
	if l.w+tw > l.max {
		text = fit(text, l.max-l.w)
		tw = width(text)
		l.full = true
	}
	if text == "" {
		return !l.full
	}
	if tag != "" {
		l.b.WriteString(tag)
	}
	l.b.WriteString(tview.Escape(text))
	if tag != "" {
		l.b.WriteString("[-:-:-]")
	}
	l.w += tw
	return !l.full
}

// fits reports whether n more cells fit.
func (l *line) fits(n int) bool { return !l.full && l.w+n <= l.max }

// pad fills the line with spaces up to w cells.
func (l *line) pad(w int) {
	for l.w < w && l.w < l.max {
		l.b.WriteByte(' ')
		l.w++
	}
}

func (l *line) String() string { return l.b.String() }
