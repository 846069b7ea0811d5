package export

import (
	"cmp"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/pktop/pktop/model"
)

// IPFIX exports flow records to a collector (RFC 7011): it keeps a cache
// of open records, one per direction of a flow, fed by the model's flow
// deltas (Add), and ends a record when the flow was idle for Idle, when
// it has lasted Active, when the model's bounded table evicted the flow,
// and on Flush. Times are the capture clock (the capture's timestamps in
// a replay, the wall clock live). Its methods run on the Pump's
// goroutine.
type IPFIX struct {
	Active, Idle time.Duration
	// TemplateEvery is how often the templates are sent again over UDP
	// (a collector that started late learns them), by the wall clock.
	TemplateEvery time.Duration
	// Now is the wall clock, for the messages' export time.
	Now   func() time.Time
	Stats Stats

	target   string
	tcp      bool
	conn     net.Conn
	enc      Encoder
	cache    map[model.Key]*flowRecs
	lastTmpl time.Time
	pending  []Record // ended records, sent by send
}

// flowRecs are the open records of a flow's two directions: A to B and
// B to A.
type flowRecs struct {
	r    [2]Record
	open [2]bool
}

// DialIPFIX returns an exporter to target: HOST:PORT (UDP), or
// udp://HOST:PORT or tcp://HOST:PORT. Over TCP it connects now, and again
// after a failed write.
func DialIPFIX(target string, active, idle time.Duration) (*IPFIX, error) {
	x := &IPFIX{Active: active, Idle: idle, TemplateEvery: time.Minute, target: target,
		cache: map[model.Key]*flowRecs{}, enc: Encoder{Domain: 1}}
	switch {
	case strings.HasPrefix(target, "tcp://"):
		x.tcp, x.target = true, strings.TrimPrefix(target, "tcp://")
		x.enc.MaxSize = 65535
	case strings.HasPrefix(target, "udp://"):
		x.target = strings.TrimPrefix(target, "udp://")
	}
	if _, _, err := net.SplitHostPort(x.target); err != nil {
		return nil, fmt.Errorf("IPFIX collector %q: want HOST:PORT, udp://HOST:PORT or tcp://HOST:PORT", target)
	}
	if err := x.dial(); err != nil {
		return nil, err
	}
	return x, nil
}

func (x *IPFIX) dial() error {
	network := "udp"
	if x.tcp {
		network = "tcp"
	}
	c, err := net.DialTimeout(network, x.target, 5*time.Second)
	if err != nil {
		return fmt.Errorf("connect to the IPFIX collector %s: %w", x.target, err)
	}
	x.conn = c
	x.lastTmpl = time.Time{} // a new stream starts with the templates
	return nil
}

func (x *IPFIX) now() time.Time {
	if x.Now != nil {
		return x.Now()
	}
	return time.Now()
}

// Add merges the model's flow deltas into the open records, ends the
// records whose timeouts passed at the capture clock d.Summary.Now, and
// sends the ended ones.
func (x *IPFIX) Add(d *model.Deltas) {
	for i := range d.Flows {
		f := &d.Flows[i]
		fr := x.cache[f.Key]
		if fr == nil {
			fr = &flowRecs{}
			dir := directions(f.Port, f.PortB)
			fr.r[0] = Record{Src: f.A, Dst: f.B, SrcPort: f.Port, DstPort: f.PortB, Proto: f.L4, Direction: dir[0]}
			fr.r[1] = Record{Src: f.B, Dst: f.A, SrcPort: f.PortB, DstPort: f.Port, Proto: f.L4, Direction: dir[1]}
			x.cache[f.Key] = fr
		}
		x.merge(fr, 0, f.Out, f.OutFirst, f.OutLast)
		x.merge(fr, 1, f.In, f.InFirst, f.InLast)
		if f.Evicted { // the flow left pktop's table: its records end
			x.end(fr, 0, EndLackOfSpace)
			x.end(fr, 1, EndLackOfSpace)
			delete(x.cache, f.Key)
		}
	}
	// Flows the model could keep no trace of: one record with no
	// addresses, so that the collector's totals stay whole.
	for i, c := range d.FlowsOther {
		if !c.IsZero() {
			zero := netip.IPv4Unspecified()
			x.pending = append(x.pending, Record{Src: zero, Dst: zero, Packets: c.Packets, Octets: c.Bytes,
				Start: d.Summary.Now, End: d.Summary.Now, EndReason: EndLackOfSpace, Direction: uint8(i + 1)})
		}
	}
	now := d.Summary.Now
	for k, fr := range x.cache {
		for i := range fr.r {
			switch r := &fr.r[i]; {
			case !fr.open[i]:
			case now-r.End >= int64(x.Idle):
				x.end(fr, i, EndIdle)
			case now-r.Start >= int64(x.Active):
				x.end(fr, i, EndActive)
			}
		}
		if !fr.open[0] && !fr.open[1] {
			delete(x.cache, k)
		}
	}
	x.send()
}

// directions guesses the biflowDirection of A to B and of B to A: the
// lower port is the service's (the server), as in pktop's port table.
func directions(portA, portB uint16) [2]uint8 {
	switch {
	case portA == portB || (portA == 0 && portB == 0):
		return [2]uint8{0, 0}
	case portB == 0 || (portA != 0 && portA < portB): // A serves
		return [2]uint8{2, 1}
	}
	return [2]uint8{1, 2}
}

// merge adds one direction's delta to its open record; a delta that
// starts after the record's idle timeout ends the record first.
func (x *IPFIX) merge(fr *flowRecs, i int, c model.Counts, first, last int64) {
	if c.IsZero() {
		return
	}
	r := &fr.r[i]
	if fr.open[i] && first-r.End >= int64(x.Idle) {
		x.end(fr, i, EndIdle)
	}
	if !fr.open[i] {
		fr.open[i] = true
		r.Packets, r.Octets, r.Start, r.End = 0, 0, first, last
	}
	r.Packets += c.Packets
	r.Octets += c.Bytes
	r.Start = min(r.Start, first)
	r.End = max(r.End, last)
}

// end moves an open record to the list to send.
func (x *IPFIX) end(fr *flowRecs, i int, reason uint8) {
	if fr.open[i] {
		r := fr.r[i]
		r.EndReason = reason
		x.pending = append(x.pending, r)
		fr.open[i] = false
	}
}

// Flush ends every open record (forced end) and sends them: the last
// export, when pktop stops or the replay ends.
func (x *IPFIX) Flush() {
	for k, fr := range x.cache {
		x.end(fr, 0, EndForced)
		x.end(fr, 1, EndForced)
		delete(x.cache, k)
	}
	x.send()
}

// send packs the ended records into messages and writes them, with the
// templates first in a new stream and again every TemplateEvery over UDP.
func (x *IPFIX) send() {
	if len(x.pending) == 0 {
		return
	}
	// In time order, so that a collector reading them sees the flows as
	// they ended.
	slices.SortStableFunc(x.pending, func(a, b Record) int { return cmp.Compare(a.End, b.End) })
	now := x.now()
	i := 0
	for i < len(x.pending) {
		if x.conn == nil {
			if err := x.dial(); err != nil {
				x.Stats.Errors.Add(1) // the records are lost: memory stays bounded
				break
			}
		}
		x.enc.Begin(uint32(now.Unix()))
		if x.lastTmpl.IsZero() || (!x.tcp && now.Sub(x.lastTmpl) >= x.TemplateEvery) {
			x.enc.AddTemplates()
			x.lastTmpl = now
		}
		for i < len(x.pending) && x.enc.Fits(&x.pending[i]) {
			x.enc.Add(&x.pending[i])
			i++
		}
		n := x.enc.Records()
		if err := x.write(x.enc.Finish()); err != nil {
			x.Stats.Errors.Add(1)
			continue
		}
		x.Stats.Records.Add(uint64(n))
	}
	x.pending = x.pending[:0]
}

// write sends one message; over TCP, a failed write closes the
// connection and the next message dials again (with the templates).
func (x *IPFIX) write(msg []byte) error {
	if x.tcp {
		x.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	}
	if _, err := x.conn.Write(msg); err != nil {
		if x.tcp {
			x.conn.Close()
			x.conn = nil
		}
		return fmt.Errorf("send IPFIX to %s: %w", x.target, err)
	}
	return nil
}

// Close closes the connection (it does not flush: see Flush). It is safe
// to call twice.
func (x *IPFIX) Close() error {
	if x.conn == nil {
		return nil
	}
	err := x.conn.Close()
	x.conn = nil
	return err
}
