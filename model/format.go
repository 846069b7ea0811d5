package model

import (
	"fmt"
)

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
