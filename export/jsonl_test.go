package export

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/pktop/pktop/model"
)

// TestJSONL writes two minutes of flows as a line every 10 s: every line
// parses, the deltas sum to the totals, and in each line the rows of a
// table plus its other sum are the interval's traffic.
func TestJSONL(t *testing.T) {
	cfg := model.DefaultConfig()
	cfg.FlowDeltas = true
	a := model.NewAggregator(cfg)
	var out bytes.Buffer
	wall := time.Unix(1700000000, 0)
	j := NewJSONL(&out, 10*time.Second, 3, wall)
	p := &Pump{Top: 3, JSONL: j, Now: func() time.Time { return wall }}
	synthFlows(a, 100, 120, func() {
		wall = wall.Add(time.Second)
		if err := p.Tick(t.Context(), Owned(a)); err != nil {
			t.Fatal(err)
		}
	})
	// A learnt name with control characters is no host name: the model
	// refuses it; a real one reaches the line.
	a.AddBatch(&model.Batch{Names: []model.Name{{Addr: netip.MustParseAddr("192.0.2.80"), Name: "evil\x1b]0;x\x07.example"}}})
	a.AddBatch(&model.Batch{Names: []model.Name{{Addr: netip.MustParseAddr("10.0.0.1"), Name: "www.example.com"}}})
	a.Add(&model.Packet{Time: 1700000121e9, WireLen: 100, Src: netip.MustParseAddr("192.0.2.80"), Dst: netip.MustParseAddr("10.0.0.1"), L4: 6, SrcPort: 443, DstPort: 30001})
	wall = wall.Add(500 * time.Millisecond)
	if err := p.Close(t.Context(), Owned(a)); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(out.String(), "\x1b\x07") || strings.Contains(out.String(), "evil") || !strings.Contains(out.String(), `"name":"www.example.com"`) {
		t.Errorf("a hostile name got through, or a good one did not: %s", out.String())
	}
	var sum Totals
	var last Line
	lines := 0
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l Line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %d: %v", lines+1, err)
		}
		lines++
		if l.V != LineVersion {
			t.Errorf("line %d: version %d", lines, l.V)
		}
		sum.add(l.Delta)
		if sum != l.Total {
			t.Errorf("line %d: the deltas so far sum to %+v; the line's total is %+v", lines, sum, l.Total)
		}
		if len(l.Hosts) > 3 || len(l.Conversations) > 3 || len(l.Flows) > 3 {
			t.Errorf("line %d: more rows than --top-series", lines)
		}
		var conv, flows, hosts uint64
		for _, c := range l.Conversations {
			conv += c.AToB.Bytes + c.BToA.Bytes
		}
		for _, f := range l.Flows {
			flows += f.AToB.Bytes + f.BToA.Bytes
		}
		for _, h := range l.Hosts {
			hosts += h.Sent.Bytes + h.Received.Bytes
		}
		if conv+l.Other["conversations"].Bytes != l.Delta.Bytes || flows+l.Other["flows"].Bytes != l.Delta.Bytes ||
			hosts+l.Other["hosts"].Bytes != 2*l.Delta.Bytes {
			t.Errorf("line %d: rows and other do not add up to the interval's %d bytes: conversations %d+%d, flows %d+%d, hosts %d+%d",
				lines, l.Delta.Bytes, conv, l.Other["conversations"].Bytes, flows, l.Other["flows"].Bytes, hosts, l.Other["hosts"].Bytes)
		}
		last = l
	}
	if lines != 13 || !last.Final {
		t.Errorf("%d lines, the last final: %v; want 12 every 10 s and a final one", lines, last.Final)
	}
	s := a.Snapshot(model.View{})
	if last.Total.Packets != s.Total.Packets || last.Total.Bytes != s.Total.Bytes {
		t.Errorf("the last total is %+v; the model counted %+v", last.Total, s.Total)
	}
}
