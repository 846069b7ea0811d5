package export

import (
	"cmp"
	"encoding/json"
	"io"
	"slices"
	"time"

	"github.com/pktop/pktop/model"
)

// LineVersion is the version of the JSON lines' schema (field "v"): it
// changes when a field changes meaning or goes away, not when one is
// added.
const LineVersion = 1

// Line is one JSON line: the counts of one interval and the totals.
type Line struct {
	V int `json:"v"`
	// Time is the capture clock at the end of the interval.
	Time time.Time `json:"time"`
	// Interval is the wall-clock time the line covers, in seconds.
	Interval float64 `json:"interval_seconds"`
	// Final marks the last line (pktop stopped, or the replay ended).
	Final bool   `json:"final,omitempty"`
	Total Totals `json:"total"`
	Delta Totals `json:"delta"`
	// The top rows of the interval (by bytes), with their counts in the
	// interval; Other sums the interval's other rows, per table.
	Hosts         []HostLine           `json:"hosts"`
	Conversations []PairLine           `json:"conversations"`
	Ports         []PortLine           `json:"ports"`
	Flows         []FlowLine           `json:"flows"`
	Other         map[string]OtherLine `json:"other"`
}

// Totals are whole-capture counters (or their increase in an interval).
type Totals struct {
	Packets     uint64 `json:"packets"`
	Bytes       uint64 `json:"bytes"`
	Truncated   uint64 `json:"truncated"`
	Undecoded   uint64 `json:"undecoded"`
	NonIP       uint64 `json:"non_ip"`
	KernelDrops uint64 `json:"kernel_drops"`
	QueueDrops  uint64 `json:"queue_drops"`
}

// HostLine is one host's counts in the interval.
type HostLine struct {
	Addr     string       `json:"addr"`
	Name     string       `json:"name,omitempty"`
	Sent     model.Counts `json:"sent"`
	Received model.Counts `json:"received"`
}

// PairLine is one conversation's counts in the interval (A < B).
type PairLine struct {
	A    string       `json:"a"`
	B    string       `json:"b"`
	AToB model.Counts `json:"a_to_b"`
	BToA model.Counts `json:"b_to_a"`
}

// PortLine is one port's counts in the interval.
type PortLine struct {
	Proto    string       `json:"proto"`
	Port     uint16       `json:"port"`
	Service  string       `json:"service,omitempty"`
	ToPort   model.Counts `json:"to_port"`
	FromPort model.Counts `json:"from_port"`
}

// FlowLine is one flow's counts in the interval (A and B address:port).
type FlowLine struct {
	Proto string       `json:"proto"`
	A     string       `json:"a"`
	B     string       `json:"b"`
	AToB  model.Counts `json:"a_to_b"`
	BToA  model.Counts `json:"b_to_a"`
}

// OtherLine sums the rows of a table that are not listed.
type OtherLine struct {
	Packets uint64 `json:"packets"`
	Bytes   uint64 `json:"bytes"`
}

// JSONL writes a Line every Every (by the wall clock) and a final one,
// from the deltas the Pump hands it. Its methods run on the Pump's
// goroutine.
type JSONL struct {
	Every time.Duration
	Top   int
	Stats Stats

	enc     *json.Encoder
	start   time.Time
	last    *model.Snapshot
	resets  uint64
	total   Totals
	delta   Totals
	tables  [4]map[model.Key]*rowAcc
	others  [4]model.Counts
	started bool
}

// rowAcc sums a row's deltas over an interval.
type rowAcc struct {
	out, in       model.Counts
	name, service string
}

// NewJSONL returns a writer of a line every every to w, with the top
// rows of each table; start is when the first interval begins.
func NewJSONL(w io.Writer, every time.Duration, top int, start time.Time) *JSONL {
	j := &JSONL{Every: every, Top: top, enc: json.NewEncoder(w), start: start}
	for i := range j.tables {
		j.tables[i] = map[model.Key]*rowAcc{}
	}
	return j
}

// Add takes one hand-out of deltas, at wall-clock time now, and writes a
// line when the interval is over or final is set.
func (j *JSONL) Add(d *model.Deltas, now time.Time, final bool) {
	s := d.Summary
	old := j.last
	reset := old != nil && d.Resets != j.resets
	if old == nil {
		old = &model.Snapshot{}
	}
	inc := Totals{
		Packets: grow(s.Total.Packets, old.Total.Packets, reset), Bytes: grow(s.Total.Bytes, old.Total.Bytes, reset),
		Truncated: grow(s.Truncated, old.Truncated, reset), Undecoded: grow(s.Undecoded, old.Undecoded, reset),
		NonIP:       grow(s.NonIP, old.NonIP, reset),
		KernelDrops: grow(s.Source.KernelDrops, old.Source.KernelDrops, false),
		QueueDrops:  grow(s.Source.QueueDrops, old.Source.QueueDrops, false),
	}
	j.last, j.resets = s, d.Resets
	j.total.add(inc)
	j.delta.add(inc)
	for i, t := range []model.DeltaTable{d.Hosts, d.Convs, d.Ports} {
		for _, r := range t.Rows {
			j.acc(i, r.Key, r.Out, r.In, r.NameA, r.Service)
		}
		addCounts(&j.others[i], t.Other.Total)
	}
	for _, f := range d.Flows {
		j.acc(3, f.Key, f.Out, f.In, "", "")
	}
	for _, c := range d.FlowsOther {
		addCounts(&j.others[3], c)
	}
	if final || now.Sub(j.start) >= j.Every {
		j.write(s.Now, now, final)
	}
}

func (t *Totals) add(o Totals) {
	t.Packets += o.Packets
	t.Bytes += o.Bytes
	t.Truncated += o.Truncated
	t.Undecoded += o.Undecoded
	t.NonIP += o.NonIP
	t.KernelDrops += o.KernelDrops
	t.QueueDrops += o.QueueDrops
}

func (j *JSONL) acc(table int, k model.Key, out, in model.Counts, name, service string) {
	a := j.tables[table][k]
	if a == nil {
		a = &rowAcc{}
		j.tables[table][k] = a
	}
	addCounts(&a.out, out)
	addCounts(&a.in, in)
	if name != "" {
		a.name = name
	}
	if service != "" {
		a.service = service
	}
}

// top returns the table's heaviest rows of the interval, and adds the
// rest to its other sum.
func (j *JSONL) top(table int) []model.Key {
	m := j.tables[table]
	keys := make([]model.Key, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	bytes := func(k model.Key) uint64 { return m[k].out.Bytes + m[k].in.Bytes }
	slices.SortFunc(keys, func(x, y model.Key) int {
		if c := cmp.Compare(bytes(y), bytes(x)); c != 0 {
			return c
		}
		if keyLess(x, y) {
			return -1
		}
		return 1
	})
	n := min(j.Top, len(keys))
	for _, k := range keys[n:] {
		a := m[k]
		j.others[table].Packets += a.out.Packets + a.in.Packets
		j.others[table].Bytes += a.out.Bytes + a.in.Bytes
	}
	return keys[:n]
}

func (j *JSONL) write(capture int64, now time.Time, final bool) {
	l := Line{V: LineVersion, Time: time.Unix(0, capture).UTC(), Interval: now.Sub(j.start).Seconds(), Final: final,
		Total: j.total, Delta: j.delta, Hosts: []HostLine{}, Conversations: []PairLine{}, Ports: []PortLine{},
		Flows: []FlowLine{}, Other: map[string]OtherLine{}}
	for _, k := range j.top(0) {
		a := j.tables[0][k]
		l.Hosts = append(l.Hosts, HostLine{Addr: k.A.String(), Name: model.Sanitize(a.name, 255), Sent: a.out, Received: a.in})
	}
	for _, k := range j.top(1) {
		a := j.tables[1][k]
		l.Conversations = append(l.Conversations, PairLine{A: k.A.String(), B: k.B.String(), AToB: a.out, BToA: a.in})
	}
	for _, k := range j.top(2) {
		a := j.tables[2][k]
		l.Ports = append(l.Ports, PortLine{Proto: model.L4Name(k.L4), Port: k.Port, Service: model.Sanitize(a.service, 32),
			ToPort: a.in, FromPort: a.out})
	}
	for _, k := range j.top(3) {
		a := j.tables[3][k]
		fa, fb := model.FlowEnds(k)
		l.Flows = append(l.Flows, FlowLine{Proto: model.L4Name(k.L4), A: fa, B: fb, AToB: a.out, BToA: a.in})
	}
	for i, name := range []string{"hosts", "conversations", "ports", "flows"} {
		l.Other[name] = OtherLine{j.others[i].Packets, j.others[i].Bytes}
		j.others[i] = model.Counts{}
		clear(j.tables[i])
	}
	if err := j.enc.Encode(&l); err != nil {
		j.Stats.Errors.Add(1)
	} else {
		j.Stats.Records.Add(1)
	}
	j.start, j.delta = now, Totals{}
}
