package model

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file is pktop's one path for untrusted text: everything that came
// from a packet or from a file name (host names learnt from DNS, TLS SNI
// and HTTP, file and interface names, filter expressions, error messages
// that quote them) becomes inert text here before it reaches a screen, a
// report or a log.
//
// Inert means: each rune that is kept is one printable character that
// every terminal draws in one cell (or two, for CJK), with no meaning to
// a terminal, to tview or to terminfo beyond itself; every other rune is
// written as a visible escape. The rendering is injective: two different
// texts never look the same.

// Sanitize renders untrusted text as inert text. Printable ASCII stays as
// it is, but for the backslash, which is doubled. A non-ASCII rune stays
// when Printable says so. Everything else is escaped the way Go writes it
// in a string literal: control characters, DEL and bytes that are not
// UTF-8 as \xHH, other runes (C1 controls, bidi overrides, zero-width and
// other format characters, combining marks, variation selectors, emoji
// modifiers, private use, unassigned) as \uHHHH or \UHHHHHHHH. At most max
// runes of the result are kept (0: no limit); an escape is never cut.
func Sanitize(s string, max int) string {
	if isPlain(s) && (max <= 0 || len(s) <= max) {
		return s
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		var esc string
		switch {
		case r == utf8.RuneError && size <= 1:
			esc = hexEscape(`\x`, uint32(s[i]), 2)
		case r == '\\':
			esc = `\\`
		case r < 0x80 && r >= 0x20 && r != 0x7f:
			esc = ""
		case r < 0x80:
			esc = hexEscape(`\x`, uint32(r), 2)
		case Printable(r):
			esc = ""
		case r <= 0xffff:
			esc = hexEscape(`\u`, uint32(r), 4)
		default:
			esc = hexEscape(`\U`, uint32(r), 8)
		}
		add := 1
		if esc != "" {
			add = len(esc)
		}
		if max > 0 && n+add > max {
			break
		}
		if esc != "" {
			b.WriteString(esc)
		} else {
			b.WriteString(s[i : i+size])
		}
		n += add
		i += size
	}
	return b.String()
}

// isPlain reports whether s is printable ASCII with no backslash, which
// Sanitize leaves as it is.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '\\' {
			return false
		}
	}
	return true
}

func hexEscape(prefix string, v uint32, digits int) string {
	const hex = "0123456789abcdef"
	b := make([]byte, 0, len(prefix)+digits)
	b = append(b, prefix...)
	for i := digits - 1; i >= 0; i-- {
		b = append(b, hex[(v>>(4*uint(i)))&0xf])
	}
	return string(b)
}

// Printable reports whether a non-ASCII rune may be shown as it is: a
// letter, digit, punctuation or symbol of a script whose characters every
// terminal draws left to right in a fixed number of cells, without
// combining with its neighbours (Latin, Greek, Cyrillic, common
// punctuation and symbols, box drawing and blocks, Braille, and the wide
// CJK, kana and Hangul blocks). Right-to-left scripts, scripts that
// combine, emoji, and every format, control, mark, space other than
// U+0020, private-use or unassigned rune are not.
func Printable(r rune) bool {
	if r < 0x80 {
		return r >= 0x20 && r != 0x7f
	}
	if !unicode.IsPrint(r) || unicode.In(r, unicode.M, unicode.Cf, unicode.Zs) {
		return false
	}
	for _, rg := range narrowRanges {
		if r >= rg[0] && r <= rg[1] {
			return true
		}
	}
	for _, rg := range wideRanges {
		if r >= rg[0] && r <= rg[1] {
			return true
		}
	}
	return false
}

// narrowRanges hold the non-ASCII runes Printable keeps that take one
// cell.
var narrowRanges = [...][2]rune{
	{0x00a1, 0x024f}, // Latin-1 Supplement, Latin Extended-A and -B
	{0x0370, 0x03ff}, // Greek
	{0x0400, 0x04ff}, // Cyrillic
	{0x1e00, 0x1eff}, // Latin Extended Additional
	{0x2010, 0x2027}, // dashes, quotes, bullets, ellipsis
	{0x2030, 0x205e}, // per mille, primes, ...
	{0x20a0, 0x20bf}, // currency
	{0x2100, 0x214f}, // letterlike
	{0x2190, 0x21ff}, // arrows
	{0x2200, 0x22ff}, // mathematical operators
	{0x2500, 0x259f}, // box drawing, block elements
	{0x25a0, 0x25ff}, // geometric shapes
	{0x2800, 0x28ff}, // Braille
}

// wideRanges hold the runes Printable keeps that take two cells.
var wideRanges = [...][2]rune{
	{0x1100, 0x115f},   // Hangul Jamo initial consonants
	{0x2e80, 0x303e},   // CJK radicals, symbols and punctuation
	{0x3041, 0x33ff},   // kana, CJK compatibility
	{0x3400, 0x4dbf},   // CJK Extension A
	{0x4e00, 0x9fff},   // CJK Unified Ideographs
	{0xa000, 0xa4cf},   // Yi
	{0xac00, 0xd7a3},   // Hangul syllables
	{0xf900, 0xfaff},   // CJK compatibility ideographs
	{0xfe30, 0xfe4f},   // CJK compatibility forms
	{0xff01, 0xff60},   // fullwidth forms
	{0xffe0, 0xffe6},   // fullwidth signs
	{0x20000, 0x3fffd}, // CJK Extensions B and later
}

// CellWidth is the number of terminal cells a rune of inert text takes: 1
// or 2; 0 for a rune that inert text never holds.
func CellWidth(r rune) int {
	if !Printable(r) {
		return 0
	}
	if r >= 0x1100 {
		for _, rg := range wideRanges {
			if r >= rg[0] && r <= rg[1] {
				return 2
			}
		}
	}
	return 1
}

// TextWidth is the number of cells inert text takes (a rune that inert
// text never holds counts as one cell, as the screen draws it: '?').
func TextWidth(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			for _, r := range s[i:] {
				n += max(CellWidth(r), 1)
			}
			return n
		}
		n++
	}
	return n
}

// InertJSON rewrites encoded JSON so that every rune Sanitize would
// escape is written as a \u escape: the JSON means the same, and its
// bytes hold no C1 control, DEL, bidi override, zero-width character or
// any other rune a terminal could take for something else. (encoding/json
// already escapes the C0 controls, and writes invalid UTF-8 as U+FFFD.)
func InertJSON(b []byte) []byte {
	clean := true
	for _, c := range b {
		if c >= 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return b
	}
	out := make([]byte, 0, len(b)+len(b)/8)
	for i := 0; i < len(b); {
		c := b[i]
		if c < 0x7f {
			out = append(out, c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case c == 0x7f:
			out = append(out, `\u007f`...)
		case r == utf8.RuneError && size <= 1:
			out = append(out, `\ufffd`...)
		case Printable(r):
			out = append(out, b[i:i+size]...)
		case r > 0xffff:
			r1, r2 := utf16Pair(r)
			out = append(out, hexEscape(`\u`, uint32(r1), 4)...)
			out = append(out, hexEscape(`\u`, uint32(r2), 4)...)
		default:
			out = append(out, hexEscape(`\u`, uint32(r), 4)...)
		}
		i += size
	}
	return out
}

// utf16Pair splits a rune above the BMP into its UTF-16 surrogates.
func utf16Pair(r rune) (rune, rune) {
	r -= 0x10000
	return 0xd800 + (r>>10)&0x3ff, 0xdc00 + r&0x3ff
}
