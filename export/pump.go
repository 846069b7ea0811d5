package export

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/pktop/pktop/model"
)

// Source hands out what the model counted since the last request
// (*model.Model is one, served by the model goroutine).
type Source interface {
	Deltas(ctx context.Context, req model.DeltaRequest) (*model.Deltas, error)
}

// SourceFunc adapts a function to a Source: for the final flush, once
// the model goroutine has returned and the caller owns the aggregator
// (see Owned).
type SourceFunc func(model.DeltaRequest) *model.Deltas

// Deltas calls f.
func (f SourceFunc) Deltas(_ context.Context, req model.DeltaRequest) (*model.Deltas, error) {
	return f(req), nil
}

// Owned is the Source of an aggregator its caller owns (after Model.Run
// and Model.Idle returned).
func Owned(a *model.Aggregator) Source { return SourceFunc(a.Deltas) }

// Stats counts what an exporter sent and what it failed to send. Any
// goroutine may read it.
type Stats struct {
	// Records counts flow records (IPFIX) or lines (JSON lines) sent.
	Records atomic.Uint64
	// Errors counts writes that failed.
	Errors atomic.Uint64
}

// Pump takes the model's deltas on a clock of its own and hands them to
// the exporters that are set. Its methods run on one goroutine (Run, then
// Close); the exporters' readers (a Prometheus scrape) lock their own
// state.
type Pump struct {
	// Every is the pump's period: 1 s, or the JSON lines interval when
	// they are the only exporter.
	Every time.Duration
	// Top is how many rows of each table the model hands out by rank
	// (beside the rows the exporters already follow).
	Top     int
	Metrics *Metrics
	IPFIX   *IPFIX
	JSONL   *JSONL
	// Now is the wall clock (time.Now when nil).
	Now func() time.Time

	// spare is the last hand-out's flows, which no exporter keeps: the
	// model fills it again.
	spare []model.FlowDelta
}

func (p *Pump) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// Run ticks until ctx is done. Errors are the model's: it has stopped.
func (p *Pump) Run(ctx context.Context, src Source) {
	if p.Every <= 0 {
		p.Every = time.Second
	}
	t := time.NewTicker(p.Every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if p.Tick(ctx, src) != nil {
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

// Tick asks the model for its deltas once and hands them out.
func (p *Pump) Tick(ctx context.Context, src Source) error { return p.tick(ctx, src, false) }

// Close takes the last deltas from src (call it after Run returned, with
// the model goroutine still serving, or with Owned once it has
// returned), ends every IPFIX record and writes the last JSON line.
func (p *Pump) Close(ctx context.Context, src Source) error { return p.tick(ctx, src, true) }

func (p *Pump) tick(ctx context.Context, src Source, final bool) error {
	req := model.DeltaRequest{Top: p.Top, Tables: p.Metrics != nil || p.JSONL != nil, Flows: p.IPFIX != nil || p.JSONL != nil,
		Reuse: p.spare}
	if p.Metrics != nil {
		req.Keys = p.Metrics.Keys()
	}
	p.spare = nil
	d, err := src.Deltas(ctx, req)
	if err != nil {
		return err
	}
	defer func() { p.spare = d.Flows }() // the exporters copy what they keep
	if p.Metrics != nil {
		p.Metrics.Update(d)
	}
	if p.IPFIX != nil {
		p.IPFIX.Add(d)
		if final {
			p.IPFIX.Flush()
		}
	}
	if p.JSONL != nil {
		p.JSONL.Add(d, p.now(), final)
	}
	return nil
}
