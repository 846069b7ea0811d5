package export

import (
	"encoding/binary"
	"net/netip"
)

// IPFIX message encoding (RFC 7011), with the Information Elements of
// RFC 7012. No maintained Go IPFIX encoder fits: vmware/go-ipfix's
// exporter pulls Kafka, Kubernetes and DTLS modules into the build, and
// the other Go IPFIX libraries only decode. A flow record is a fixed
// template of eleven fields, so a small encoder is enough.

// The template IDs (256 and up are data sets).
const (
	templateIPv4 uint16 = 256
	templateIPv6 uint16 = 257
)

// The flowEndReason values (RFC 7012, IE 136).
const (
	EndIdle        uint8 = 1 // idle timeout
	EndActive      uint8 = 2 // active timeout
	EndForced      uint8 = 4 // the export ended (pktop exits, the replay ended)
	EndLackOfSpace uint8 = 5 // pktop's bounded flow table evicted the flow
)

// field is one template field: an Information Element and its length.
type field struct{ id, length uint16 }

// recordFields are the fields of a flow record, in order; the addresses
// are 4 bytes (IE 8 and 12) or 16 (IE 27 and 28).
func recordFields(v6 bool) []field {
	src, dst, n := uint16(8), uint16(12), uint16(4)
	if v6 {
		src, dst, n = 27, 28, 16
	}
	return []field{
		{src, n}, // sourceIPv4Address / sourceIPv6Address
		{dst, n}, // destinationIPv4Address / destinationIPv6Address
		{7, 2},   // sourceTransportPort
		{11, 2},  // destinationTransportPort
		{4, 1},   // protocolIdentifier
		{2, 8},   // packetDeltaCount
		{1, 8},   // octetDeltaCount
		{152, 8}, // flowStartMilliseconds
		{153, 8}, // flowEndMilliseconds
		{136, 1}, // flowEndReason
		{239, 1}, // biflowDirection (RFC 5103): 1 initiator, 2 reverseInitiator, 0 arbitrary
	}
}

// Record is one unidirectional flow record: the frames from Src to Dst.
type Record struct {
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16
	Proto            uint8
	Packets, Octets  uint64
	// Start and End are the capture times of the first and last frame,
	// in nanoseconds since the epoch.
	Start, End int64
	EndReason  uint8
	// Direction is biflowDirection (IE 239): 1 when Src is the client,
	// 2 when it is the server, 0 when pktop cannot tell. It is pktop's
	// guess, the one its port table makes: the lower port is the
	// service's; frames without ports have no direction.
	Direction uint8
}

func (r *Record) v6() bool { return !r.Src.Unmap().Is4() || !r.Dst.Unmap().Is4() }

func recordLen(v6 bool) int {
	n := 0
	for _, f := range recordFields(v6) {
		n += int(f.length)
	}
	return n
}

// Encoder builds IPFIX messages into a byte slice that it reuses. The
// export time and the sequence number are the caller's (injected), so the
// bytes are reproducible.
type Encoder struct {
	// Domain is the Observation Domain ID of every message.
	Domain uint32
	// MaxSize bounds a message (the path MTU less IP and UDP headers).
	MaxSize int
	// Seq is the sequence number of the next message: how many data
	// records were sent before it, modulo 2^32 (RFC 7011, 3.1).
	Seq uint32

	buf     []byte
	setAt   int    // where the open set's header is, or -1
	setID   uint16 // its ID
	records uint32 // data records in this message
}

// Begin starts a message with the given export time (seconds since the
// epoch).
func (e *Encoder) Begin(exportTime uint32) {
	if e.MaxSize <= 0 {
		e.MaxSize = 1400
	}
	e.buf = append(e.buf[:0], 0, 10, 0, 0) // version 10, length later
	e.buf = binary.BigEndian.AppendUint32(e.buf, exportTime)
	e.buf = binary.BigEndian.AppendUint32(e.buf, e.Seq)
	e.buf = binary.BigEndian.AppendUint32(e.buf, e.Domain)
	e.setAt, e.records = -1, 0
}

// Len is the message's length so far.
func (e *Encoder) Len() int { return len(e.buf) }

func (e *Encoder) openSet(id uint16) {
	if e.setAt >= 0 && e.setID == id {
		return
	}
	e.closeSet()
	e.setAt, e.setID = len(e.buf), id
	e.buf = append(e.buf, byte(id>>8), byte(id), 0, 0)
}

func (e *Encoder) closeSet() {
	if e.setAt >= 0 {
		binary.BigEndian.PutUint16(e.buf[e.setAt+2:], uint16(len(e.buf)-e.setAt))
		e.setAt = -1
	}
}

// AddTemplates adds a template set with both templates (IPv4, IPv6).
func (e *Encoder) AddTemplates() {
	e.openSet(2)
	for _, t := range []struct {
		id uint16
		v6 bool
	}{{templateIPv4, false}, {templateIPv6, true}} {
		fs := recordFields(t.v6)
		e.buf = binary.BigEndian.AppendUint16(e.buf, t.id)
		e.buf = binary.BigEndian.AppendUint16(e.buf, uint16(len(fs)))
		for _, f := range fs {
			e.buf = binary.BigEndian.AppendUint16(e.buf, f.id)
			e.buf = binary.BigEndian.AppendUint16(e.buf, f.length)
		}
	}
	e.closeSet()
}

// Fits reports whether r still fits in the message.
func (e *Encoder) Fits(r *Record) bool {
	n := recordLen(r.v6())
	if e.setAt < 0 || e.setID != e.templateOf(r) {
		n += 4
	}
	return len(e.buf)+n <= e.MaxSize
}

func (e *Encoder) templateOf(r *Record) uint16 {
	if r.v6() {
		return templateIPv6
	}
	return templateIPv4
}

// Add appends a data record (check Fits first).
func (e *Encoder) Add(r *Record) {
	v6 := r.v6()
	e.openSet(e.templateOf(r))
	if v6 {
		s, d := r.Src.As16(), r.Dst.As16()
		e.buf = append(e.buf, s[:]...)
		e.buf = append(e.buf, d[:]...)
	} else {
		s, d := r.Src.Unmap().As4(), r.Dst.Unmap().As4()
		e.buf = append(e.buf, s[:]...)
		e.buf = append(e.buf, d[:]...)
	}
	e.buf = binary.BigEndian.AppendUint16(e.buf, r.SrcPort)
	e.buf = binary.BigEndian.AppendUint16(e.buf, r.DstPort)
	e.buf = append(e.buf, r.Proto)
	e.buf = binary.BigEndian.AppendUint64(e.buf, r.Packets)
	e.buf = binary.BigEndian.AppendUint64(e.buf, r.Octets)
	e.buf = binary.BigEndian.AppendUint64(e.buf, uint64(max(r.Start, 0)/1e6))
	e.buf = binary.BigEndian.AppendUint64(e.buf, uint64(max(r.End, 0)/1e6))
	e.buf = append(e.buf, r.EndReason, r.Direction)
	e.records++
}

// Records is how many data records the message holds.
func (e *Encoder) Records() int { return int(e.records) }

// Finish closes the message and returns it (valid until the next Begin);
// the next message's sequence number counts this one's records.
func (e *Encoder) Finish() []byte {
	e.closeSet()
	binary.BigEndian.PutUint16(e.buf[2:], uint16(len(e.buf)))
	e.Seq += e.records
	return e.buf
}
