package ui

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/guptarohit/asciigraph"
	"github.com/pktop/pktop/model"
)

// paneData is what the bottom panes draw: the whole capture's snapshot,
// or, while a row is focused, the snapshot of its own traffic; and what
// the titles say of it.
type paneData struct {
	s *model.Snapshot // nil: nothing of the focused row was counted yet
	// of names the traffic: "" for all, else the focused row's label
	// and how much of the capture its counts cover.
	of string
}

// paneSource is the data of a pane. A focus that started from the
// tables (live capture) has its rows' counts and protocols from the
// start, but its packet sizes only since the focus: sizes says the pane
// shows sizes.
func paneSource(s *model.Snapshot, st *state, sizes bool) paneData {
	if st.view.Focus == nil || s.Focus == nil {
		return paneData{s: s}
	}
	f := s.Focus
	of := ": " + rowLabel(&f.Row, st)
	switch {
	case f.Scanning:
		of += " (reading the capture again: " + strconv.Itoa(int(f.Progress*100)) + "%)"
	case f.Complete:
	case f.Seeded && !sizes:
	case f.Since != 0:
		of += " since " + time.Unix(0, f.Since).UTC().Format("15:04:05")
	}
	d := paneData{of: of}
	if f.Sub != nil && f.Sub.Total.Packets > 0 {
		d.s = f.Sub
	}
	return d
}

// protosText formats the protocol breakdown, indented by layer, in a
// w x h area.
func protosText(s *model.Snapshot, st *state, th theme, w, h int) (string, []*line) {
	d := paneSource(s, st, false)
	title := "Protocols" + d.of
	if d.s == nil {
		return title, textLines(" no packets", th.dim(), w)
	}
	rows, total := d.s.Protocols, d.s.Total
	if len(rows) == 0 {
		return title, textLines(" no packets", th.dim(), w)
	}
	withRate := w >= 44
	nameW := w - 8 - 7 - 7
	if withRate {
		nameW -= 8
	}
	var out []*line
	l := newLine(w)
	l.add(th.heading(), "PROTOCOL")
	l.pad(nameW)
	for _, c := range []string{"BYTES", "%BYTES", "%PKTS", "10s"} {
		if c == "10s" && !withRate {
			continue
		}
		cw := 7
		if c == "BYTES" || c == "10s" {
			cw = 8
		}
		l.padLeft(th.heading(), c, cw)
	}
	out = append(out, l)
	n := len(rows)
	room := h - 1
	if n > room {
		n = max(room-1, 0)
	}
	for i := 0; i < n; i++ {
		p := &rows[i]
		l := newLine(w)
		sty := plain
		if p.Layer == model.LayerApplication {
			sty = th.app()
		}
		l.add(sty, fit(spaces(int(p.Layer))+p.Name, nameW))
		l.pad(nameW)
		l.padLeft(sty, model.HumanBytes(float64(p.Counts.Bytes)), 8)
		l.padLeft(sty, percent(p.Share), 7)
		var ps float64
		if total.Packets > 0 {
			ps = float64(p.Counts.Packets) / float64(total.Packets)
		}
		l.padLeft(sty, percent(ps), 7)
		if withRate {
			l.padLeft(sty, rate(p.Rates[1], st.bits), 8)
		}
		out = append(out, l)
	}
	if n < len(rows) {
		out = append(out, textLines(" … "+strconv.Itoa(len(rows)-n)+" more", th.dim(), w)...)
	}
	return title, out
}

// histBins is how many bins the size histogram has at most.
const histBins = 50

// niceSteps are the bin widths the histogram picks from (times powers of
// ten), so that bin edges are round numbers.
var niceSteps = []int64{1, 2, 5}

// binWidth is the narrowest round width that splits span bytes into at
// most n bins.
func binWidth(span int64, n int) int64 {
	for p := int64(1); ; p *= 10 {
		for _, s := range niceSteps {
			if w := s * p; (span+w-1)/w <= int64(n) {
				return w
			}
		}
	}
}

// sizesText draws the packet-size histogram in a w x h area: a bar for
// each bin of the observed range (at most 50 bins of a round width),
// bin edges under the axis, the count on the left, and the busiest bin
// with its share on top.
func sizesText(s *model.Snapshot, st *state, th theme, w, h int) (string, []*line) {
	d := paneSource(s, st, true)
	title := "Packet sizes" + d.of
	if d.s == nil || len(d.s.Lengths) == 0 || d.s.Total.Packets == 0 {
		return title, noSizes(s, th, w)
	}
	lens := d.s.Lengths
	lo := lens[0].Lo
	hi := lens[len(lens)-1].Lo
	if last := lens[len(lens)-1]; last.Hi > last.Lo {
		hi = last.Hi
	}
	const yw = 6 // the count labels and the axis
	plotH := h - 3
	plotW := w - yw
	if plotH < 2 || plotW < 8 {
		return title, textLines(" too small", th.dim(), w)
	}
	nb := min(histBins, plotW)
	bw := binWidth(hi-lo+1, nb)
	lo = lo / bw * bw
	nb = int((hi-lo)/bw) + 1
	bins := make([]uint64, nb)
	for _, b := range lens {
		i := int((b.Lo - lo) / bw)
		bins[min(i, nb-1)] += b.Packets
	}
	total := d.s.Total.Packets
	var peak uint64
	peakAt := 0
	for i, c := range bins {
		if c > peak {
			peak, peakAt = c, i
		}
	}
	colW := max(plotW/nb, 1)
	// Heights in eighths of a cell.
	scale := func(c uint64) int {
		if c == 0 {
			return 0
		}
		var f float64
		if st.log {
			f = math.Log1p(float64(c)) / math.Log1p(float64(peak))
		} else {
			f = float64(c) / float64(peak)
		}
		return max(int(math.Round(f*float64(plotH*8))), 1)
	}
	var out []*line
	top := newLine(w)
	if st.log {
		top.add(th.warn(), " (log)")
	}
	top.add(th.dim(), " "+strconv.FormatInt(bw, 10)+" B bins; most: ")
	top.add(plain, binLabel(lo+int64(peakAt)*bw, bw)+" B ")
	top.add(th.dim(), group(peak)+" pkts "+percent(float64(peak)/float64(total)))
	out = append(out, top)
	for row := plotH - 1; row >= 0; row-- {
		l := newLine(w)
		label := ""
		switch row {
		case plotH - 1:
			label = count(peak)
		case 0:
			label = "0"
		}
		if st.log && row == plotH-1 {
			label = count(peak)
		}
		l.padLeft(th.label(), label, yw-1)
		l.add(th.label(), "│")
		var b strings.Builder
		for _, c := range bins {
			e := scale(c) - row*8
			ch := " "
			switch {
			case e >= 8:
				ch = "█"
			case e > 0:
				ch = string(sparkChars[e-1])
			}
			for range colW {
				b.WriteString(ch)
			}
		}
		l.add(th.spark(), b.String())
		out = append(out, l)
	}
	// The axis and the edges of some bins under it.
	axis := newLine(w)
	axis.pad(yw - 1)
	axis.add(th.label(), "└"+strings.Repeat("─", nb*colW))
	out = append(out, axis)
	labels := newLine(w)
	labels.pad(yw - 1)
	pos := 0
	every := max(nb/max(nb*colW/8, 1), 1)
	for i := 0; i <= nb; i += every {
		txt := sizeLabel(lo + int64(i)*bw)
		x := i * colW
		if x < pos || x+len(txt) > nb*colW+yw {
			continue
		}
		labels.pad(yw - 1 + x)
		labels.add(th.label(), txt)
		pos = x + len(txt) + 1
	}
	out = append(out, labels)
	return title, out
}

// noSizes says why a size pane is empty: no packets, or a focus that
// started from the tables, whose sizes count from the focus on.
func noSizes(s *model.Snapshot, th theme, w int) []*line {
	if s.Focus != nil && s.Focus.Seeded && !s.Focus.Complete {
		return textLines(" sizes are counted from the focus on;\n none yet", th.dim(), w)
	}
	return textLines(" no packets", th.dim(), w)
}

// binLabel names a bin: 1500-1509, or 60 for a one-byte bin.
func binLabel(lo, w int64) string {
	if w == 1 {
		return strconv.FormatInt(lo, 10)
	}
	return strconv.FormatInt(lo, 10) + "-" + strconv.FormatInt(lo+w-1, 10)
}

// sizeLabel formats a frame length for an axis: 40, 1.3k.
func sizeLabel(n int64) string {
	if n < 10000 {
		return strconv.FormatInt(n, 10)
	}
	return strconv.FormatFloat(float64(n)/1000, 'f', 1, 64) + "k"
}

// shades are the densities of the size-over-time plot, lightest first.
var shades = []rune{'░', '▒', '▓', '█'}

// sizeTimeText draws packet sizes over time in a w x h area: a column a
// second (the newest on the right), a row per size class (the largest
// on top); each cell's shade is the share of that second's packets of
// that size, and the rows between the shortest and the longest frame of
// the second are marked.
func sizeTimeText(s *model.Snapshot, st *state, th theme, w, h int) (string, []*line) {
	d := paneSource(s, st, true)
	title := "Sizes over time (shade: share of the second's packets)" + d.of
	if d.s == nil || len(d.s.SizeSeries) == 0 {
		return title, noSizes(s, th, w)
	}
	const yw = 6
	plotH := h - 2
	plotW := w - yw
	if plotH < 3 || plotW < 8 {
		return title, textLines(" too small", th.dim(), w)
	}
	ss := d.s.SizeSeries
	now := ss[len(ss)-1].Sec
	first := d.s.First / 1e9
	cols := int(min(int64(plotW), now-first+1))
	// The classes in use, merged into plotH rows at most.
	loC, hiC := model.NumSizeClasses, -1
	for _, x := range ss {
		for c, n := range x.Classes {
			if n > 0 {
				loC, hiC = min(loC, c), max(hiC, c)
			}
		}
	}
	if hiC < 0 {
		return title, textLines(" no packets", th.dim(), w)
	}
	nc := hiC - loC + 1
	per := (nc + plotH - 1) / plotH
	rows := (nc + per - 1) / per
	rowOf := func(c int) int { return (c - loC) / per }
	cells := make([][]float64, rows)
	for i := range cells {
		cells[i] = make([]float64, cols)
	}
	for _, x := range ss {
		col := cols - 1 - int(now-x.Sec)
		if col < 0 || x.Packets == 0 {
			continue
		}
		for c, n := range x.Classes {
			if n > 0 {
				cells[rowOf(c)][col] += float64(n) / float64(x.Packets)
			}
		}
	}
	var out []*line
	for r := rows - 1; r >= 0; r-- {
		l := newLine(w)
		lo := model.SizeClasses[loC+r*per]
		label := sizeLabel(int64(lo))
		if r == rows-1 && loC+(r+1)*per >= model.NumSizeClasses {
			label += "+"
		}
		l.padLeft(th.label(), label, yw-1)
		l.add(th.label(), "│")
		var b strings.Builder
		for range plotW - cols {
			b.WriteByte(' ')
		}
		for _, v := range cells[r] {
			switch {
			case v <= 0:
				b.WriteByte(' ')
			case v < 0.1:
				b.WriteRune(shades[0])
			case v < 0.35:
				b.WriteRune(shades[1])
			case v < 0.7:
				b.WriteRune(shades[2])
			default:
				b.WriteRune(shades[3])
			}
		}
		l.add(th.spark(), b.String())
		out = append(out, l)
	}
	axis := newLine(w)
	axis.pad(yw - 1)
	axis.add(th.label(), "└"+strings.Repeat("─", plotW))
	out = append(out, axis)
	legend := newLine(w)
	legend.pad(yw + plotW - cols)
	legend.add(th.label(), "-"+strconv.Itoa(cols)+"s")
	legend.pad(w - 2)
	legend.add(th.label(), "0s")
	out = append(out, legend)
	return title, out
}

// yLabelWidth is the width asciigraph gives the y axis labels of a plot
// from 0 to peak over height rows.
func yLabelWidth(peak float64, height int, f func(float64) string) int {
	w := 0
	for i := 0; i <= height; i++ {
		w = max(w, width(f(peak*float64(i)/float64(max(height, 1)))))
	}
	return w
}

// thruText plots the throughput over time in a w x h area: all traffic,
// or the focused row's own.
func thruText(s *model.Snapshot, st *state, th theme, w, h int) (string, []*line) {
	d := paneSource(s, st, false)
	what := "all traffic"
	if d.of != "" {
		what = strings.TrimPrefix(d.of, ": ")
	}
	title := "Throughput, " + what
	if d.s == nil {
		return title, textLines(" no packets", th.dim(), w)
	}
	var vals []float64
	for _, sm := range d.s.Series {
		if sm.Sec < d.s.First/1e9 {
			continue // before the capture (or the row) began
		}
		vals = append(vals, float64(sm.Bytes))
	}
	if len(vals) >= 2 && !s.Done {
		vals = vals[:len(vals)-1] // the current second is partial
	}
	if st.bits {
		for i := range vals {
			vals[i] *= 8
		}
	}
	if len(vals) < 2 || h < 4 || w < 16 {
		return title, textLines(" collecting (a point a second)…", th.dim(), w)
	}
	peak := 0.0
	for _, v := range vals {
		peak = math.Max(peak, v)
	}
	human := func(v float64) string {
		if st.bits {
			return model.HumanBits(math.Max(v, 0))
		}
		return model.HumanBytes(math.Max(v, 0))
	}
	label := human
	plot := vals
	if st.log {
		plot = make([]float64, len(vals))
		for i, v := range vals {
			plot[i] = math.Log10(1 + v)
		}
		label = func(v float64) string { return human(math.Pow(10, v) - 1) }
	}
	pk := 0.0
	for _, v := range plot {
		pk = math.Max(pk, v)
	}
	height := h - 3 // plus the top row, the x axis and its labels
	labelW := yLabelWidth(pk, height, label)
	pw := w - labelW - 3
	if pw < 4 {
		return title, textLines(" too narrow", th.dim(), w)
	}
	if len(plot) > pw {
		plot = plot[len(plot)-pw:]
	}
	n := len(plot)
	title += ": peak " + human(peak) + "/s"
	if st.log {
		title += " (log)"
	}
	ticks := min(max(pw/12, 2), 6, n)
	opts := []asciigraph.Option{}
	if n >= 2 && n < pw {
		opts = append(opts, asciigraph.Width(pw)) // stretch a short history
	}
	out := asciigraph.Plot(plot, append(opts,
		asciigraph.Height(height),
		asciigraph.LowerBound(0),
		asciigraph.UpperBound(math.Max(pk, 1)),
		asciigraph.YAxisValueFormatter(label),
		asciigraph.XAxisRange(float64(1-n), 0),
		asciigraph.XAxisTickCount(ticks),
		asciigraph.XAxisValueFormatter(func(v float64) string {
			return strconv.Itoa(int(math.Round(v))) + "s"
		}),
	)...)
	return title, textLines(out, plain, w)
}
