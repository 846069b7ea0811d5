package ui

import (
	"github.com/gdamore/tcell/v2"
	"github.com/rivo/uniseg"
)

// diffScreen sits between tview and the terminal and hands tcell only the
// cells whose final content changed since the last frame.
//
// tview redraws everything on every frame: it clears the screen, fills
// each box's background, then writes the text. tcell marks a cell dirty
// whenever its content changes while a frame is drawn, so the background
// pass alone made every non-blank cell dirty and each frame was sent to
// the terminal whole (measured: about 7 kB a frame at 120x40, 27 kB/s at
// four frames a second, where iftop sends a few hundred bytes a second).
// Over SSH that is what the link must carry. Collecting the frame here and
// forwarding the difference at Show makes tcell send only what changed.
type diffScreen struct {
	tcell.Screen
	w, h    int
	next    []dcell // the frame being drawn
	shown   []dcell // what was handed to tcell
	valid   bool    // shown matches tcell's buffer
	initErr error
	// onEvent, when set, sees every event first.
	onEvent func(tcell.Event)
}

// PollEvent returns the next event, shown to onEvent first.
func (s *diffScreen) PollEvent() tcell.Event {
	ev := s.Screen.PollEvent()
	if ev != nil && s.onEvent != nil {
		s.onEvent(ev)
	}
	return ev
}

// dcell is one cell: comparable, so that frames can be diffed.
type dcell struct {
	main  rune
	comb  string
	style tcell.Style
}

var blank = dcell{main: ' ', style: tcell.StyleDefault}

// Init initialises the terminal once (tview's SetScreen calls it and
// drops the error, which initErr keeps).
func (s *diffScreen) Init() error {
	s.initErr = s.Screen.Init()
	return s.initErr
}

func (s *diffScreen) fit() {
	w, h := s.Screen.Size()
	if w == s.w && h == s.h && s.next != nil {
		return
	}
	s.w, s.h = w, h
	s.next = make([]dcell, w*h)
	s.shown = make([]dcell, w*h)
	for i := range s.next {
		s.next[i] = blank
	}
	s.valid = false
}

// Size returns the terminal's size.
func (s *diffScreen) Size() (int, int) {
	s.fit()
	return s.w, s.h
}

// Clear blanks the frame being drawn.
func (s *diffScreen) Clear() { s.Fill(' ', tcell.StyleDefault) }

// Fill fills the frame being drawn.
func (s *diffScreen) Fill(r rune, style tcell.Style) {
	s.fit()
	for i := range s.next {
		s.next[i] = dcell{main: r, style: style}
	}
}

// SetContent sets a cell of the frame being drawn.
func (s *diffScreen) SetContent(x, y int, main rune, comb []rune, style tcell.Style) {
	s.fit()
	if x < 0 || y < 0 || x >= s.w || y >= s.h {
		return
	}
	c := dcell{main: main, style: style}
	if len(comb) > 0 {
		c.comb = string(comb)
	}
	s.next[y*s.w+x] = c
}

// GetContent reads a cell of the frame being drawn.
func (s *diffScreen) GetContent(x, y int) (rune, []rune, tcell.Style, int) {
	s.fit()
	if x < 0 || y < 0 || x >= s.w || y >= s.h {
		return ' ', nil, tcell.StyleDefault, 1
	}
	c := s.next[y*s.w+x]
	var comb []rune
	if c.comb != "" {
		comb = []rune(c.comb)
	}
	w := uniseg.StringWidth(string(c.main) + c.comb)
	if w < 1 {
		w = 1
	}
	return c.main, comb, c.style, w
}

// Show hands tcell the cells that changed and shows them.
func (s *diffScreen) Show() {
	s.fit()
	s.forward()
	s.Screen.Show()
}

// Sync redraws the whole terminal.
func (s *diffScreen) Sync() {
	s.fit()
	s.valid = false
	s.forward()
	s.Screen.Sync()
}

func (s *diffScreen) forward() {
	for i, c := range s.next {
		if s.valid && c == s.shown[i] {
			continue
		}
		var comb []rune
		if c.comb != "" {
			comb = []rune(c.comb)
		}
		s.Screen.SetContent(i%s.w, i/s.w, c.main, comb, c.style)
		s.shown[i] = c
	}
	s.valid = true
}
