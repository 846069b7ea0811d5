package filter

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Error is a filter that cannot be compiled: what is wrong, and where.
// Its message is one line; Caret gives the expression with a caret line
// under the part named.
type Error struct {
	Expr string // the expression
	Pos  int    // byte offset of the part that is wrong
	End  int    // byte offset after it (End == Pos: a point, as the end of the text)
	Msg  string // what is wrong, worded like libpcap where it has a word for it
}

// Column is the 1-based column (in characters) of the part that is wrong.
func (e *Error) Column() int {
	if e.Pos > len(e.Expr) {
		return utf8.RuneCountInString(e.Expr) + 1
	}
	return utf8.RuneCountInString(e.Expr[:e.Pos]) + 1
}

func (e *Error) Error() string {
	return fmt.Sprintf("filter %s: column %d: %s", quoteText(e.Expr), e.Column(), e.Msg)
}

// Caret returns the expression on one line and a caret line under the
// part that is wrong, both inert text (control characters are shown
// escaped).
func (e *Error) Caret() string {
	var line, marks strings.Builder
	for i, r := range e.Expr {
		s := string(r)
		if !unicode.IsPrint(r) || r == utf8.RuneError {
			s = strings.Trim(strconv.QuoteRune(r), "'")
		}
		line.WriteString(s)
		m := " "
		if i >= e.Pos && (i < e.End || i == e.Pos) {
			m = "^"
		}
		marks.WriteString(strings.Repeat(m, utf8.RuneCountInString(s)))
	}
	if e.Pos >= len(e.Expr) {
		marks.WriteString("^")
	}
	return line.String() + "\n" + strings.TrimRight(marks.String(), " ")
}

// posError is an error with a position not yet tied to an expression.
type posError struct {
	pos, end int
	msg      string
}

func (e *posError) Error() string { return e.msg }

func errAt(pos, end int, format string, args ...any) *posError {
	return &posError{pos: pos, end: end, msg: fmt.Sprintf(format, args...)}
}

// quoteText quotes s for a message: inert, whatever it holds.
func quoteText(s string) string {
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return strconv.Quote(s)
}
