package model

import (
	"context"
	"time"
)

// Idle goes on answering SetView, Reset and Deltas after Run has returned
// because its input ended, until ctx is done: each request publishes a
// new snapshot, still marked Done, so that a screen can sort, filter and
// focus the final counts. Call it on the goroutine that ran Run, after
// Run; it counts nothing new, but what a focus reads again.
func (m *Model) Idle(ctx context.Context) {
	t := time.NewTicker(m.interval)
	defer t.Stop()
	defer m.stopScan()
	dirty := false
	for {
		select {
		case c := <-m.ctl:
			m.apply(c)
			m.publish(true)
			dirty = false
		case r := <-m.deltas:
			r.reply <- m.agg.Deltas(r.req)
		case msg := <-m.scanCh:
			m.takeScan(msg)
			dirty = true
		case as, ok := <-m.answers():
			m.takeAnswers(as, ok)
			dirty = true
		case <-t.C:
			if dirty {
				m.publish(true)
				dirty = false
			}
		case <-ctx.Done():
			return
		}
	}
}
