//go:build !linux && !libpcap

package sniff

import (
	"context"
	"io"

	"github.com/gopacket/gopacket/layers"

	"github.com/pktop/pktop/model"
)

// Live is a live capture; this build has none (see ErrNoLive).
type Live struct{}

// OpenLive fails: live capture needs Linux in this build.
func OpenLive(opt LiveOptions) (*Live, error) { return nil, ErrNoLive }

// Name returns "".
func (l *Live) Name() string { return "" }

// LinkType returns 0.
func (l *Live) LinkType() layers.LinkType { return 0 }

// SetFilter fails.
func (l *Live) SetFilter(expr string) error { return ErrNoLive }

// Filter returns "".
func (l *Live) Filter() string { return "" }

// FilterInKernel returns false.
func (l *Live) FilterInKernel() bool { return false }

// Stats returns zero counters.
func (l *Live) Stats() LiveStats { return LiveStats{} }

// WriteTo fails.
func (l *Live) WriteTo(w io.Writer, name string, pcapng bool) error { return ErrNoLive }

// Feed fails.
func (l *Live) Feed(ctx context.Context, out chan<- *model.Batch) error { return ErrNoLive }

// Close does nothing.
func (l *Live) Close() error { return nil }

// Interfaces fails.
func Interfaces() ([]Interface, error) { return nil, ErrNoLive }

// DefaultInterface fails.
func DefaultInterface() (string, error) { return "", ErrNoLive }
