package ui

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/pktop/pktop/model"
)

// maxNameRunes bounds a name from the traffic before it is measured.
const maxNameRunes = 256

// safe makes untrusted text (from packets, file names) inert and cuts it
// to at most w cells (w <= 0: no cut). It is the screen's way into
// model.Sanitize, the one path for untrusted text.
func safe(s string, w int) string {
	return fit(model.Sanitize(s, maxNameRunes), w)
}

// width returns the number of cells inert text takes.
func width(s string) int { return model.TextWidth(s) }

// fit cuts inert text s to at most w cells, ending it with "…" when cut
// (w <= 0: no cut).
func fit(s string, w int) string {
	if w <= 0 || width(s) <= w {
		return s
	}
	if w == 1 {
		return "…"
	}
	n := 0
	for i, r := range s {
		cw := max(model.CellWidth(r), 1)
		if n+cw > w-1 {
			return s[:i] + "…"
		}
		n += cw
	}
	return s
}

// fitMiddle cuts s to at most w cells by removing its middle (for
// addresses, whose both ends matter).
func fitMiddle(s string, w int) string {
	if w <= 0 || width(s) <= w || w < 5 {
		return fit(s, w)
	}
	if width(s) != len(s) {
		return fit(s, w)
	}
	head := (w - 1) / 2
	tail := w - 1 - head
	return s[:head] + "…" + s[len(s)-tail:]
}

// rate formats a byte rate in bytes or bits per second, without the
// "/s" (the column headings say it).
func rate(v float64, bits bool) string {
	if v <= 0 {
		return "0"
	}
	if bits {
		return model.HumanBits(v * 8)
	}
	return model.HumanBytes(v)
}

// rateUnit is the unit of the rate columns.
func rateUnit(bits bool) string {
	if bits {
		return "b/s"
	}
	return "B/s"
}

// count formats a count with an SI prefix (4.63k).
func count(v uint64) string {
	s := model.HumanBytes(float64(v))
	return strings.TrimSuffix(s, "B")
}

// group formats an integer with thousands separators (4,631).
func group(v uint64) string {
	s := strconv.FormatUint(v, 10)
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	pre := len(s) % 3
	if pre > 0 {
		b.WriteString(s[:pre])
	}
	for i := pre; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// percent formats a fraction as a percentage with one decimal.
func percent(f float64) string {
	if f <= 0 || math.IsNaN(f) {
		return "0%"
	}
	if f >= 0.9995 {
		return "100%"
	}
	return strconv.FormatFloat(f*100, 'f', 1, 64) + "%"
}

// elapsed formats a capture duration (ns) as m:ss, h:mm:ss or Nd hh:mm:ss:
// the screen changes once a second.
func elapsed(ns int64) string {
	if ns < 0 {
		ns = 0
	}
	d := time.Duration(ns)
	days := int64(d / (24 * time.Hour))
	h := int(d/time.Hour) % 24
	m := int(d/time.Minute) % 60
	s := int(d/time.Second) % 60
	switch {
	case days > 0:
		return fmt.Sprintf("%dd %02d:%02d:%02d", days, h, m, s)
	case h > 0:
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%d:%02d", m, s)
}

// uptime formats how long a live capture has run, as uptime(1) does:
// 12s, 5m, 1h05m, 2d03h.
func uptime(ns int64) string {
	d := time.Duration(max(ns, 0))
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d/time.Minute)%60)
	}
	return fmt.Sprintf("%dd%02dh", int(d/(24*time.Hour)), int(d/time.Hour)%24)
}

// sparkChars are the eight levels of a sparkline.
var sparkChars = []rune("▁▂▃▄▅▆▇█")

// spark draws the last 40 seconds of vals (one value a second, oldest
// first) as a sparkline of w cells, each cell the sum of 40/w seconds,
// scaled to their maximum: a zero is a blank, any traffic at least the
// lowest bar.
func spark(vals []uint64, w int) string {
	if w <= 0 {
		return ""
	}
	per := max(model.HistorySeconds/w, 1)
	if len(vals) > w*per {
		vals = vals[len(vals)-w*per:]
	}
	cells := make([]uint64, w)
	for i, v := range vals {
		// The newest second goes in the last cell.
		c := w - 1 - (len(vals)-1-i)/per
		if c >= 0 {
			cells[c] += v
		}
	}
	var peak uint64
	for _, v := range cells {
		peak = max(peak, v)
	}
	var b strings.Builder
	for _, v := range cells {
		if v == 0 || peak == 0 {
			b.WriteByte(' ')
			continue
		}
		l := int((v*8 + peak - 1) / peak) // 1..8
		b.WriteRune(sparkChars[l-1])
	}
	return b.String()
}

// speedLabel names a replay speed: x1, x2.5, max.
func speedLabel(s float64) string {
	if s <= 0 {
		return "max"
	}
	return "x" + strconv.FormatFloat(s, 'g', 4, 64)
}

// speeds are the steps of + and -; past the last comes 0 (max).
var speeds = []float64{0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000}

// faster returns the next speed up from s (0 is the top).
func faster(s float64) float64 {
	if s <= 0 {
		return 0
	}
	for _, v := range speeds {
		if v > s {
			return v
		}
	}
	return 0
}

// slower returns the next speed down from s.
func slower(s float64) float64 {
	if s <= 0 {
		return speeds[len(speeds)-1]
	}
	for i := len(speeds) - 1; i >= 0; i-- {
		if speeds[i] < s {
			return speeds[i]
		}
	}
	return speeds[0]
}

// keyLabel is a short plain label of a key, for the header and status
// line (addresses only: names are added by the caller).
func keyLabel(k model.Key, services bool, svc string) string {
	switch k.Kind {
	case model.KindHost:
		return addr(k.A)
	case model.KindConv:
		return addr(k.A) + " <=> " + addr(k.B)
	case model.KindFlow:
		return l4Name(k.L4) + " " + netip.AddrPortFrom(k.A, k.Port).String() + " <=> " + netip.AddrPortFrom(k.B, k.PortB).String()
	case model.KindProc:
		return model.ProcLabel(k.Proc, nil)
	}
	return portLabel(k, services, svc)
}

func addr(a netip.Addr) string {
	if !a.IsValid() {
		return "?"
	}
	return a.String()
}

// l4Name names an IP protocol: tcp, udp, sctp, or its number.
func l4Name(n uint8) string {
	switch n {
	case 6:
		return "tcp"
	case 17:
		return "udp"
	case 132:
		return "sctp"
	case 136:
		return "udplite"
	}
	return strconv.Itoa(int(n))
}

// portLabel names a port row: tcp/443 https.
func portLabel(k model.Key, services bool, svc string) string {
	s := l4Name(k.L4) + "/" + strconv.Itoa(int(k.Port))
	if services && svc != "" {
		s += " " + svc
	}
	return s
}
