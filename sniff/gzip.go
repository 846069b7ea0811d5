package sniff

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
)

// gzipError is damage in the gzip stream itself, said in pktop's words.
type gzipError struct{ msg string }

func (e *gzipError) Error() string { return e.msg }

// gzipStream decompresses every member of a gzip file in turn, and says
// what is wrong when the compressed data is cut short, corrupt, or
// followed by bytes that are not gzip.
type gzipStream struct {
	raw   *bufio.Reader   // the compressed input
	count *countingReader // under raw: compressed bytes read
	zr    *gzip.Reader
	err   error
}

func newGzipStream(raw *bufio.Reader, count *countingReader) (*gzipStream, error) {
	zr, err := gzip.NewReader(raw)
	if err != nil {
		return nil, err
	}
	zr.Multistream(false)
	return &gzipStream{raw: raw, count: count, zr: zr}, nil
}

// rawPos is the offset in the compressed file of the next unread byte.
func (g *gzipStream) rawPos() int64 { return g.count.n - int64(g.raw.Buffered()) }

func (g *gzipStream) Read(p []byte) (int, error) {
	for g.err == nil {
		n, err := g.zr.Read(p)
		if err == nil || (err == io.EOF && n > 0) {
			return n, nil
		}
		if err != io.EOF {
			g.err = g.explain(err)
			return n, g.err
		}
		// The end of one member: the end of the file, another member,
		// or bytes that are not gzip.
		end := g.rawPos()
		if _, perr := g.raw.Peek(1); perr == io.EOF {
			g.err = io.EOF
			break
		}
		if err := g.zr.Reset(g.raw); err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				g.err = &gzipError{fmt.Sprintf("gzip stream cut short at byte %d of the file (in a member header)", g.rawPos())}
			} else {
				g.err = &gzipError{fmt.Sprintf("the gzip stream ends at byte %d of the file, and what follows is not gzip", end)}
			}
			break
		}
		g.zr.Multistream(false)
	}
	return 0, g.err
}

// explain says what a decompression error means.
func (g *gzipStream) explain(err error) error {
	var ce flate.CorruptInputError
	switch {
	case err == io.ErrUnexpectedEOF:
		return &gzipError{fmt.Sprintf("gzip stream cut short at byte %d of the file", g.rawPos())}
	case errors.Is(err, gzip.ErrChecksum):
		return &gzipError{fmt.Sprintf("gzip checksum or length does not match the data (at byte %d of the file)", g.rawPos())}
	case errors.Is(err, gzip.ErrHeader):
		return &gzipError{fmt.Sprintf("gzip member header is damaged (at byte %d of the file)", g.rawPos())}
	case errors.As(err, &ce):
		return &gzipError{fmt.Sprintf("gzip data is corrupt (at byte %d of the file)", g.rawPos())}
	}
	return &gzipError{"reading the gzip stream: " + err.Error()}
}
