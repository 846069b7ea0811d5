package ui

import (
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/gdamore/tcell/v2"
	"golang.org/x/term"
)

// openTerminal opens the terminal pktop runs in as a tcell screen.
//
// The terminal's terminfo entry is used with its output delays taken out:
// tcell honours terminfo padding ("$<5>") by sleeping, so that on a
// vt100 every cursor move slept and a key took seconds to show. No
// terminal emulator of today needs padding.
//
// It also saves the terminal's modes, so that restore can put them back
// even when the screen cannot (see UI.Run).
func openTerminal() (tcell.Screen, *ttyGuard, error) {
	name := os.Getenv("TERM")
	switch name {
	case "", "dumb", "unknown":
		if name == "" {
			name = "unset"
		}
		return nil, nil, fmt.Errorf("this terminal (TERM=%s) cannot show pktop's screen: use --report text (or json) for a report, or set TERM to your terminal's type (e.g. TERM=xterm-256color)", name)
	}
	ti, err := tcell.LookupTerminfo(name)
	if err != nil {
		return nil, nil, fmt.Errorf("unknown terminal type TERM=%s: set TERM to your terminal's type (e.g. TERM=xterm-256color), or use --report text", name)
	}
	nopad := *ti
	nopad.PadChar = ""
	g := saveTTY()
	tty, err := tcell.NewDevTty()
	if err != nil {
		g.close()
		return nil, nil, err
	}
	// What tcell writes goes through wire, which sends the same cells in
	// fewer bytes (see wire.go).
	scr, err := tcell.NewTerminfoScreenFromTtyTerminfo(newWireTty(tty), &nopad)
	if err != nil {
		tty.Close()
		g.close()
		return nil, nil, err
	}
	return scr, g, nil
}

// ttyGuard holds the terminal's modes as they were before pktop took it.
type ttyGuard struct {
	once  sync.Once
	f     *os.File
	state *term.State
}

func saveTTY() *ttyGuard {
	f, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil
	}
	st, err := term.GetState(int(f.Fd()))
	if err != nil {
		f.Close()
		return nil
	}
	return &ttyGuard{f: f, state: st}
}

// resetSeq leaves the alternate screen, stops mouse reporting and
// bracketed paste, shows the cursor and resets the attributes: what
// tcell's Fini would send, for any terminal of today.
const resetSeq = "\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?2004l\x1b[0m\x1b[?25h\x1b[?1049l\r"

// restore puts the terminal back as it was, without tcell (whose lock a
// stuck draw may hold): the modes first (an ioctl, which cannot block),
// then the reset sequence, written with a deadline (a terminal that
// stopped reading must not keep pktop from exiting).
func (g *ttyGuard) restore() {
	if g == nil {
		return
	}
	g.once.Do(func() {
		term.Restore(int(g.f.Fd()), g.state)
		done := make(chan struct{})
		go func() {
			defer close(done)
			g.f.WriteString(resetSeq)
		}()
		select {
		case <-done:
		case <-time.After(200 * time.Millisecond):
		}
	})
}

func (g *ttyGuard) close() {
	if g != nil {
		g.f.Close()
	}
}
