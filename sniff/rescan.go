package sniff

import (
	"context"
	"io"

	"github.com/pktop/pktop/model"
)

// Rescanner returns a model.Rescan over a capture that can be opened
// again (a file, the built-in demo; not standard input): it reads the
// capture from its start with a decoder and a filter of its own, made by
// newFilter for the new reader, so that it yields the very packets the
// replay yielded, in the same order.
func Rescanner(open func() (*File, error), newFilter func(*File) (*Filter, error), learnNames bool) model.Rescan {
	return func(ctx context.Context, from, to uint64, keep func(*model.Packet) bool, sink func(*model.Batch) bool, progress func(float64)) error {
		f, err := open()
		if err != nil {
			return err
		}
		defer f.Close()
		flt, err := newFilter(f)
		if err != nil {
			return err
		}
		var dec Decoder
		dec.LearnNames = learnNames
		b := model.GetBatch()
		send := func() bool {
			if len(b.Packets) == 0 && len(b.Names) == 0 {
				return true
			}
			b.Names = dec.TakeNames(b.Names)
			if !sink(b) {
				return false
			}
			b = model.GetBatch()
			return true
		}
		var p model.Packet
		step := max(to/100, 1)
		for i := uint64(0); i < to; {
			if i%4096 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			fr, err := f.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
			if flt != nil && !flt.Match(fr.Data, fr.WireLen, fr.LinkType) {
				continue
			}
			idx := i
			i++
			if idx < from {
				continue
			}
			p = model.Packet{}
			decodeFrame(&dec, &fr, &p)
			if !keep(&p) {
				continue // (the names it taught stay: they may name the row's hosts)
			}
			b.Packets = append(b.Packets, p)
			b.Now = p.Time
			if len(b.Packets) >= model.BatchSize && !send() {
				return ctx.Err()
			}
			if i%step == 0 {
				progress(float64(i) / float64(to))
			}
		}
		if !send() {
			return ctx.Err()
		}
		return nil
	}
}

// decodeFrame decodes a frame read from a capture into p, as a replay
// does.
func decodeFrame(dec *Decoder, fr *Frame, p *model.Packet) {
	p.Time, p.WireLen, p.CapLen = fr.Time, uint32(fr.WireLen), uint32(fr.CapLen)
	dec.Decode(fr.Data, fr.LinkType, p)
	if fr.CapLen < fr.WireLen {
		p.Flags |= model.FlagTruncated // cut by the snap length
	}
}
