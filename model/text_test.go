package model

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSanitize(t *testing.T) {
	for _, c := range []struct {
		in   string
		max  int
		want string
	}{
		{"example.com", 0, "example.com"},
		{"evil\x1b[2Jname", 0, `evil\x1b[2Jname`},
		{"bell\a\r\nx", 0, `bell\x07\x0d\x0ax`},
		{"bad\xffutf8", 0, `bad\xffutf8`},
		{"del\x7f", 0, `del\x7f`},
		{`back\slash`, 0, `back\\slash`},
		{"ünïcode.example", 0, "ünïcode.example"},
		{"very-long-name-here", 10, "very-long-"},
		{"cut\x1b-escape", 5, "cut"}, // an escape is never cut
		{"c1\u009bcsi", 0, `c1\u009bcsi`},
		{"bidi\u202egpj.exe", 0, `bidi\u202egpj.exe`},
		{"zero\u200bwidth\u200d", 0, `zero\u200bwidth\u200d`},
		{"combining e\u0301", 0, `combining e\u0301`},
		{"nbsp\u00a0x", 0, `nbsp\u00a0x`},
		{"emoji 👍🏽", 0, `emoji \U0001f44d\U0001f3fd`},
		{"flag 🇫🇷", 0, `flag \U0001f1eb\U0001f1f7`},
		{"hebrew שלום", 0, `hebrew \u05e9\u05dc\u05d5\u05dd`},
		{"日本語 한국", 0, "日本語 한국"},
		{"line\u2028sep", 0, `line\u2028sep`},
		{"tags \U000E0041", 0, `tags \U000e0041`},
		{"[:::$<99999999>]x.example", 0, "[:::$<99999999>]x.example"},
	} {
		if got := Sanitize(c.in, c.max); got != c.want {
			t.Errorf("Sanitize(%q, %d) = %q; want %q", c.in, c.max, got, c.want)
		}
	}
}

// TestSanitizeIsInjective: two different texts never look the same.
func TestSanitizeIsInjective(t *testing.T) {
	pairs := [][2]string{
		{"a\x1bb", `a\x1bb`},
		{"a\u202eb", "a\u202fb"},
		{"a\\b", `a\\b`},
		{"\xff", `\xff`},
		{"a\u0301", "á"},
	}
	for _, p := range pairs {
		if Sanitize(p[0], 0) == Sanitize(p[1], 0) {
			t.Errorf("%q and %q both render as %q", p[0], p[1], Sanitize(p[0], 0))
		}
	}
}

// FuzzSanitize: whatever the input, the result holds only runes that are
// printable and of a known width, decodes back to the input, and is no
// longer than max runes.
func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"", "x", "\x1b]8;;http://evil\x1b\\", "[:::$<5000>]", "a\u202eb", "\xff\xfe", "👍🏽", "\\x1b"} {
		f.Add(s, 0)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		max = max % 300
		if max < 0 {
			max = -max
		}
		out := Sanitize(s, max)
		if max > 0 && utf8.RuneCountInString(out) > max {
			t.Fatalf("Sanitize(%q, %d) = %q: longer than %d runes", s, max, out, max)
		}
		for _, r := range out {
			if CellWidth(r) == 0 {
				t.Fatalf("Sanitize(%q) = %q holds %U", s, out, r)
			}
		}
		if max == 0 {
			back, err := unSanitize(out)
			if err != nil || back != s {
				t.Fatalf("Sanitize(%q) = %q, which reads back as %q (%v)", s, out, back, err)
			}
		}
	})
}

// unSanitize reads inert text back (the escapes are Go's).
func unSanitize(s string) (string, error) {
	var b strings.Builder
	for len(s) > 0 {
		r, mb, tail, err := strconv.UnquoteChar(s, 0)
		if err != nil {
			return "", err
		}
		if mb {
			b.WriteRune(r)
		} else {
			b.WriteByte(byte(r))
		}
		s = tail
	}
	return b.String(), nil
}

func TestTextWidth(t *testing.T) {
	for in, want := range map[string]int{"abc": 3, "日本": 4, "ü": 1, "▁▂": 2, "": 0} {
		if got := TextWidth(in); got != want {
			t.Errorf("TextWidth(%q) = %d; want %d", in, got, want)
		}
	}
}

func TestInertJSON(t *testing.T) {
	in := map[string]string{"s": "c1\u009b bidi\u202e zw\u200b del\x7f emoji👍🏽 ok日本 é"}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out := InertJSON(b)
	for _, r := range string(out) {
		if r >= 0x80 && !Printable(r) || r == 0x7f {
			t.Errorf("InertJSON left %U in %s", r, out)
		}
	}
	var back map[string]string
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatalf("InertJSON output does not parse: %v: %s", err, out)
	}
	if back["s"] != in["s"] {
		t.Errorf("InertJSON changed the meaning: %q; want %q", back["s"], in["s"])
	}
}
