package ui

import (
	"math"
	"strconv"

	"github.com/guptarohit/asciigraph"
	"github.com/pktop/pktop/model"
)

// focusSub returns the focused row and its sub-snapshot when the view is
// focused; sub is nil when nothing of the row was seen since the focus.
func focusSub(s *model.Snapshot, st *state) (row *model.Row, sub *model.Snapshot) {
	if st.view.Focus == nil || s.Focus == nil {
		return nil, nil
	}
	row = &s.Focus.Row
	if s.Focus.Sub != nil && s.Focus.Sub.Total.Packets > 0 {
		sub = s.Focus.Sub
	}
	return row, sub
}

// protosText formats the protocol breakdown, indented by layer, in a
// w x h area.
func protosText(s *model.Snapshot, st *state, th theme, w, h int) (string, []*line) {
	title := "Protocols"
	rows, total := s.Protocols, s.Total
	if row, sub := focusSub(s, st); row != nil {
		label := rowLabel(row, st)
		if sub == nil {
			out := textLines(" nothing counted since the focus;\n it carried:", th.dim(), w)
			row.Protos.Each(func(p model.Proto) {
				l := newLine(w)
				l.add(plain, "  "+spaces(int(p.Layer()))+p.String())
				out = append(out, l)
			})
			for _, a := range row.Apps {
				l := newLine(w)
				l.add(th.app(), "  "+spaces(int(model.LayerApplication))+a.String())
				out = append(out, l)
			}
			return "Protocols: " + label, out
		}
		title = "Protocols: " + label + " since focus"
		rows, total = sub.Protocols, sub.Total
	}
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

// plenBuckets turns a row's tshark plen counts into buckets.
func plenBuckets(c *[model.NumPlen]uint64) []model.Bucket {
	out := make([]model.Bucket, model.NumPlen)
	for i, lo := range model.PlenBuckets {
		hi := int64(-1)
		if i+1 < model.NumPlen {
			hi = int64(model.PlenBuckets[i+1]) - 1
		}
		out[i] = model.Bucket{Lo: int64(lo), Hi: hi, Packets: c[i]}
	}
	return out
}

// sizesText plots the packet-size histogram in a w x h area.
func sizesText(s *model.Snapshot, st *state, th theme, w, h int) (string, []*line) {
	title := "Packet sizes"
	buckets := s.Sizes
	if row, sub := focusSub(s, st); row != nil {
		label := rowLabel(row, st)
		if sub != nil {
			title = "Sizes: " + label + " since focus"
			buckets = sub.Sizes
		} else {
			title = "Sizes: " + label + " (tshark buckets)"
			buckets = plenBuckets(&row.Plen)
		}
	}
	lo, hi := -1, -1
	for i, bk := range buckets {
		if bk.Packets > 0 {
			if lo < 0 {
				lo = i
			}
			hi = i
		}
	}
	if lo < 0 || h < 4 || w < 16 {
		return title, textLines(" no packets", th.dim(), w)
	}
	bs := buckets[lo : hi+1]
	height := h - 3 // plus the top row, the x axis and its labels
	// Columns: each bucket gets one or more columns when they are
	// fewer than the columns, or a column sums its buckets when they are
	// more.
	pw := w - 5 - 5 // y labels (at most 5 cells) and room for the last x label
	if pw < 4 {
		return title, textLines(" too narrow", th.dim(), w)
	}
	pw = min(pw, max(len(bs), 4*len(bs)))
	data := make([]float64, pw)
	first := make([]int, pw) // the first bucket of each column
	for c := range data {
		b0 := c * len(bs) / pw
		b1 := max((c+1)*len(bs)/pw, b0+1)
		first[c] = b0
		for _, bk := range bs[b0:b1] {
			data[c] += float64(bk.Packets)
		}
	}
	peak := 0.0
	for _, v := range data {
		peak = math.Max(peak, v)
	}
	label := func(v float64) string {
		c := max(int(math.Round(v)), 0)
		if last := bs[len(bs)-1]; c >= pw && last.Hi >= 0 {
			return sizeLabel(last.Hi + 1)
		}
		c = min(c, pw-1)
		return sizeLabel(bs[first[c]].Lo)
	}
	ticks := min(max(pw/10, 2), len(bs)+1, pw)
	data = append(data, 0) // so that the last bucket comes back down
	out := asciigraph.Plot(data,
		asciigraph.Height(height),
		asciigraph.LowerBound(0),
		asciigraph.UpperBound(math.Max(peak, 1)),
		asciigraph.YAxisValueFormatter(func(v float64) string { return count(uint64(math.Round(math.Max(v, 0)))) }),
		asciigraph.XAxisRange(0, float64(pw)),
		asciigraph.XAxisTickCount(ticks),
		asciigraph.XAxisValueFormatter(label),
	)
	return title, textLines(out, plain, w)
}

// sizeLabel formats a frame length for the x axis: 40, 1.3k.
func sizeLabel(n int64) string {
	if n < 10000 {
		return strconv.FormatInt(n, 10)
	}
	return strconv.FormatFloat(float64(n)/1000, 'f', 1, 64) + "k"
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

// thruText plots the throughput over time in a w x h area.
func thruText(s *model.Snapshot, st *state, th theme, w, h int) (string, []*line) {
	var vals []float64
	what := "all traffic"
	series := s.Series
	done := false
	if row, sub := focusSub(s, st); row != nil {
		what = rowLabel(row, st)
		if sub != nil {
			what += " since focus"
			series = sub.Series
		} else {
			series = nil
			for _, v := range row.Spark {
				vals = append(vals, float64(v))
			}
			done = true // the spark holds whole seconds only
		}
	}
	first := s.First
	if row, sub := focusSub(s, st); row != nil && sub != nil {
		first = sub.First
	}
	for _, sm := range series {
		if sm.Sec < first/1e9 {
			continue // before the capture (or the focus) began
		}
		vals = append(vals, float64(sm.Bytes))
	}
	if !done && len(vals) >= 2 {
		vals = vals[:len(vals)-1] // the current second is partial
	}
	if st.bits {
		for i := range vals {
			vals[i] *= 8
		}
	}
	title := "Throughput, " + what
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
	height := h - 3 // plus the top row, the x axis and its labels
	labelW := yLabelWidth(peak, height, human)
	pw := w - labelW - 3
	if pw < 4 {
		return title, textLines(" too narrow", th.dim(), w)
	}
	if len(vals) > pw {
		vals = vals[len(vals)-pw:]
	}
	n := len(vals)
	title += ": peak " + human(peak) + "/s"
	ticks := min(max(pw/12, 2), 6, n)
	opts := []asciigraph.Option{}
	if n >= 2 && n < pw {
		opts = append(opts, asciigraph.Width(pw)) // stretch a short history
	}
	out := asciigraph.Plot(vals, append(opts,
		asciigraph.Height(height),
		asciigraph.LowerBound(0),
		asciigraph.UpperBound(math.Max(peak, 1)),
		asciigraph.YAxisValueFormatter(human),
		asciigraph.XAxisRange(float64(1-n), 0),
		asciigraph.XAxisTickCount(ticks),
		asciigraph.XAxisValueFormatter(func(v float64) string {
			return strconv.Itoa(int(math.Round(v))) + "s"
		}),
	)...)
	return title, textLines(out, plain, w)
}
