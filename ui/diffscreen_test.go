package ui

import (
	"testing"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
)

// countScreen counts the cells handed to the terminal's screen.
type countScreen struct {
	tcell.SimulationScreen
	set int
}

func (c *countScreen) SetContent(x, y int, m rune, comb []rune, st tcell.Style) {
	c.set++
	c.SimulationScreen.SetContent(x, y, m, comb, st)
}

// TestDiffScreenSendsOnlyChanges draws a tview frame twice, as tview
// does (clear, backgrounds, text), and checks that the second draw hands
// the terminal's screen nothing, and a one-character change one cell.
func TestDiffScreenSendsOnlyChanges(t *testing.T) {
	sim := &countScreen{SimulationScreen: tcell.NewSimulationScreen("UTF-8")}
	ds := &diffScreen{Screen: sim}
	if err := ds.Init(); err != nil {
		t.Fatal(err)
	}
	sim.SetSize(40, 5)
	tv := tview.NewTextView().SetText("pktop lo live\nHOST 2s 10s")
	tv.SetBorder(true)
	tv.SetRect(0, 0, 40, 5)
	draw := func() int {
		sim.set = 0
		ds.Clear()
		tv.Draw(ds)
		ds.Show()
		return sim.set
	}
	if n := draw(); n != 40*5 {
		t.Fatalf("first frame: %d cells; want all %d", n, 40*5)
	}
	if n := draw(); n != 0 {
		t.Fatalf("the same frame again: %d cells sent; want 0", n)
	}
	tv.SetText("pktop lo live\nHOST 2s 11s")
	if n := draw(); n != 1 {
		t.Fatalf("one character changed: %d cells sent; want 1", n)
	}
	if got, _, _ := sim.Get(10, 2); got != "1" {
		t.Fatalf("the terminal shows %q at the changed cell", got)
	}
}
