package model

import (
	"net/netip"
)

// Packet is the summary of one captured frame that the sniffer hands to
// the model. It is a small value: it holds no slice of the capture buffer,
// so the sniffer may reuse its buffers as soon as the summary is made.
type Packet struct {
	// Time is the capture timestamp in nanoseconds since the Unix epoch.
	Time int64
	// WireLen is the frame's length on the wire; CapLen what was captured.
	WireLen, CapLen uint32
	// Src and Dst are the addresses of the outermost IP header; both are
	// invalid (the zero netip.Addr) for frames that carry no IP.
	Src, Dst netip.Addr
	// SrcPort and DstPort are the ports of the transport header that
	// follows the outermost IP header (zero when it has none).
	SrcPort, DstPort uint16
	// L4 is the IP protocol number of that transport header (6 TCP,
	// 17 UDP, 1 ICMP, ...), or 0 when there is none.
	L4 uint8
	// Flags says whether the frame was cut short or could not be decoded.
	Flags Flag
	// Protos is the set of protocols the frame carries, tunnels decoded
	// through.
	Protos ProtoSet
	// App is the application protocol, found by port or by signature.
	App App
}

// Flag marks frames that could not be read in full.
type Flag uint8

const (
	// FlagTruncated marks a frame whose captured bytes end before one of
	// its headers does (snap length, or a header that claims more bytes
	// than the frame has).
	FlagTruncated Flag = 1 << iota
	// FlagUndecoded marks a frame whose link layer pktop cannot decode or
	// whose outermost header is malformed.
	FlagUndecoded
)

// Batch is what the sniffer sends to the model in one channel operation.
type Batch struct {
	// Packets are the summaries read since the last batch, in capture
	// order.
	Packets []Packet
	// Now is the capture clock at the end of the batch, in nanoseconds
	// since the epoch: the last packet's time during a headless replay,
	// the paced replay clock in the TUI, the wall clock when live. Rates
	// are computed against it, never against the wall clock in replay.
	Now int64
	// Names are host names learnt from the traffic (DNS answers, TLS SNI,
	// HTTP Host) since the last batch. They are untrusted text.
	Names []Name
	// Source holds the capture-side counters, when they changed.
	Source *SourceStats
}

// Name is a host name seen in traffic for an address.
type Name struct {
	Addr netip.Addr
	Name string
	// FromDNS marks a name read from a DNS answer: it does not replace a
	// name the client itself sent to the address (TLS SNI, HTTP Host).
	FromDNS bool
}

// SourceStats are counters kept by the capture side, reported as they are:
// the model does not add them up.
type SourceStats struct {
	// KernelDrops are packets the kernel (or the capture file's
	// interface statistics) says were dropped before pktop saw them.
	KernelDrops uint64
	// QueueDrops are packets pktop read but had to drop because the model
	// fell behind.
	QueueDrops uint64
	// Filtered counts frames the capture filter rejected.
	Filtered uint64
	// NotWritten counts frames the -w file could not take, and
	// WriteError says why (untrusted text: it holds the file's name).
	NotWritten uint64
	WriteError string
}
