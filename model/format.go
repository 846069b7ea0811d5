package model

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sanitize makes untrusted text from packets (DNS names, SNI, HTTP Host
// headers) safe for a terminal: control characters, invalid UTF-8 and
// other non-printable runes become '?', and the result is cut to at most
// max runes (0: no limit). Markup of a particular screen library (tview's
// colour tags) is the screen's business and is escaped there.
func Sanitize(s string, max int) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			clean = false
			break
		}
	}
	if clean && (max <= 0 || len(s) <= max) {
		return s
	}
	var b strings.Builder
	n := 0
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			r = '?'
		}
		if max > 0 && n >= max {
			break
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// HumanBytes formats a byte count with a binary-free SI unit (kB, MB, ...),
// as network tools do.
func HumanBytes(v float64) string {
	return human(v, "B")
}

// HumanBits formats a bit rate (v in bits) with an SI unit.
func HumanBits(v float64) string {
	return human(v, "b")
}

func human(v float64, unit string) string {
	prefixes := []string{"", "k", "M", "G", "T", "P"}
	i := 0
	for v >= 999.5 && i < len(prefixes)-1 {
		v /= 1000
		i++
	}
	switch {
	case i == 0:
		return fmt.Sprintf("%.0f%s", v, unit)
	case v < 9.995:
		return fmt.Sprintf("%.2f%s%s", v, prefixes[i], unit)
	case v < 99.95:
		return fmt.Sprintf("%.1f%s%s", v, prefixes[i], unit)
	}
	return fmt.Sprintf("%.0f%s%s", v, prefixes[i], unit)
}
