package model

import "context"

// Idle goes on answering SetView, Reset and Deltas after Run has returned because
// its input ended, until ctx is done: each request publishes a new
// snapshot, still marked Done, so that a screen can sort, filter and
// focus the final counts. Call it on the goroutine that ran Run, after
// Run; it counts nothing new.
func (m *Model) Idle(ctx context.Context) {
	for {
		select {
		case c := <-m.ctl:
			m.apply(c)
			m.publish(true)
		case r := <-m.deltas:
			r.reply <- m.agg.Deltas(r.req)
		case <-ctx.Done():
			return
		}
	}
}
