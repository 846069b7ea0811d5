package sniff

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pktop/pktop/model"
)

// Player controls the pace of a replay. Its methods are safe for
// concurrent use: the UI goroutine sets, the replay goroutine reads.
type Player struct {
	mu     sync.Mutex
	speed  float64 // 0: as fast as the file reads
	paused bool
	steps  int
	skip   bool
	maxGap int64 // gaps longer than this (capture time, ns) are skipped; 0: none
	clock  int64 // the replay clock, capture time (ns)
	next   int64 // the time of the packet the replay waits for (0: none)
	// skipped is the capture time of the last gap skipped, and skips
	// counts the gaps skipped.
	skipped int64
	skips   int
	done    bool
	wake    chan struct{}
	// gen counts the changes of the player's state (see poke), so that
	// an unpaced replay sees at a glance that nothing changed.
	gen atomic.Uint64
}

// DefaultMaxGap is the longest stretch of capture time without packets
// that a replay waits through by default; a longer gap (a capture with
// years between two packets) is skipped, as the replay would otherwise
// look hung.
const DefaultMaxGap = time.Minute

// NewPlayer returns a Player at the given speed (1 is the capture's own
// pace, 0 as fast as possible), skipping gaps longer than DefaultMaxGap.
func NewPlayer(speed float64) *Player {
	if speed < 0 {
		speed = 0
	}
	return &Player{speed: speed, maxGap: int64(DefaultMaxGap), wake: make(chan struct{}, 1)}
}

// poke says that the player's state changed: every setter calls it once
// the change is made.
func (p *Player) poke() {
	p.gen.Add(1)
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Speed returns the replay speed (0: unpaced).
func (p *Player) Speed() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.speed
}

// SetSpeed changes the replay speed, from the current position of the
// clock on.
func (p *Player) SetSpeed(s float64) {
	if s < 0 {
		s = 0
	}
	p.mu.Lock()
	p.speed = s
	p.mu.Unlock()
	p.poke()
}

// SetMaxGap sets the longest gap between packets (capture time) that the
// replay waits through; longer ones are skipped. 0 never skips.
func (p *Player) SetMaxGap(d time.Duration) {
	p.mu.Lock()
	p.maxGap = max(int64(d), 0)
	p.mu.Unlock()
	p.poke()
}

// Paused reports whether the replay clock is stopped.
func (p *Player) Paused() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.paused
}

// SetPaused stops or restarts the replay clock; it goes on from where it
// stopped.
func (p *Player) SetPaused(v bool) {
	p.mu.Lock()
	p.paused = v
	p.mu.Unlock()
	p.poke()
}

// Step lets a paused replay move on by exactly one second of capture
// time.
func (p *Player) Step() {
	p.mu.Lock()
	p.steps++
	p.mu.Unlock()
	p.poke()
}

// Skip moves the clock to the next packet at once, over the gap before
// it.
func (p *Player) Skip() {
	p.mu.Lock()
	p.skip = true
	p.mu.Unlock()
	p.poke()
}

// Done reports whether the replay reached the end of its input.
func (p *Player) Done() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.done
}

// Clock returns the replay clock (capture time, nanoseconds).
func (p *Player) Clock() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.clock
}

// Waiting returns how much capture time separates the clock from the next
// packet while the replay waits for it (0 when it does not wait).
func (p *Player) Waiting() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.next <= p.clock {
		return 0
	}
	return time.Duration(p.next - p.clock)
}

// Skipped returns how many gaps were skipped and how long the last was
// (capture time).
func (p *Player) Skipped() (int, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.skips, time.Duration(p.skipped)
}

func (p *Player) setClock(t, next int64) {
	p.mu.Lock()
	if t > p.clock {
		p.clock = t
	}
	p.next = next
	p.mu.Unlock()
}

// Options configure a replay.
type Options struct {
	// Filter drops the frames it does not match (nil: keep all).
	Filter *Filter
	// Player paces the replay; nil replays as fast as the file reads.
	Player *Player
	// LearnNames learns host names from DNS answers, TLS SNI and HTTP
	// Host headers.
	LearnNames bool
	// Count stops after that many packets (0: no limit).
	Count int
	// Stream says the input is a live stream (standard input behind
	// "tcpdump -U -w -"): while no packet arrives, the capture clock
	// moves on with the wall clock from the last packet, so that rates
	// decay on screen during quiet stretches.
	Stream bool
}

// tick is how often a paced replay moves the clock when no packet is
// due, so that rates decay on screen during quiet stretches.
const tick = 100 * time.Millisecond

// Replay reads frames from f, decodes them and sends them in batches to
// out until the capture ends (it returns nil), the capture is damaged (it
// returns a *DamageError after sending everything read before the damage)
// or ctx is done. It never closes out.
func Replay(ctx context.Context, f *File, out chan<- *model.Batch, opt Options) error {
	r := replayer{ctx: ctx, f: f, out: out, opt: opt}
	r.dec.LearnNames = opt.LearnNames
	return r.run()
}

type replayer struct {
	ctx   context.Context
	f     *File
	out   chan<- *model.Batch
	opt   Options
	dec   Decoder
	batch *model.Batch
	stats model.SourceStats
	sent  model.SourceStats // the stats of the last batch sent
	// sentNow is the clock of the last batch sent.
	sentNow int64
	last    int64 // time of the last packet read

	// streams: the last packet's time, and the wall clock when it came
	seen atomic.Pointer[seen]

	// pacing: capture time base maps to wall time wallBase at rate (the
	// speed, 0 while paused).
	base     int64
	wallBase time.Time
	rate     float64
	paced    bool
	// unpaced is set while the replay goes as fast as it reads and the
	// player has not changed since (its gen was seenGen): pace then only
	// moves base, and the player's clock moves with each batch sent.
	unpaced bool
	seenGen uint64
}

func (r *replayer) run() error {
	r.batch = model.GetBatch()
	if r.opt.Stream {
		stop := r.streamClock()
		defer stop()
	}
	count := 0
	for {
		if r.opt.Count > 0 && count >= r.opt.Count {
			break
		}
		fr, err := r.f.Next()
		if err != nil {
			r.send(r.last)
			if err == io.EOF {
				break
			}
			return err
		}
		if r.opt.Filter != nil && !r.opt.Filter.Match(fr.Data, fr.WireLen, fr.LinkType) {
			r.stats.Filtered++
			if !r.f.Buffered() && r.stats != r.sent {
				// Let the count of filtered frames show while none pass.
				if err := r.send(r.last); err != nil {
					return err
				}
			}
			continue
		}
		count++
		if r.opt.Player != nil {
			if err := r.pace(fr.Time); err != nil {
				return err
			}
		}
		b := r.batch
		b.Packets = append(b.Packets, model.Packet{})
		decodeFrame(&r.dec, &fr, &b.Packets[len(b.Packets)-1])
		if fr.Time > r.last {
			r.last = fr.Time
			if r.opt.Stream {
				r.seen.Store(&seen{fr.Time, time.Now().UnixNano()})
			}
		}
		if len(b.Packets) >= model.BatchSize || !r.f.Buffered() {
			if err := r.send(r.last); err != nil {
				return err
			}
		}
	}
	if err := r.send(r.last); err != nil { // the last packets and counters
		return err
	}
	if p := r.opt.Player; p != nil {
		p.mu.Lock()
		p.done = true
		p.mu.Unlock()
	}
	return nil
}

// seen is the time of a stream's last packet and the wall clock when it
// was read.
type seen struct{ time, wall int64 }

// streamClock starts a goroutine that, every tick without packets, sends
// an empty batch whose clock is the last packet's time plus the wall time
// since it came. The returned function stops it and waits for it.
func (r *replayer) streamClock() func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(2 * tick)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-r.ctx.Done():
				return
			case now := <-t.C:
				sn := r.seen.Load()
				if sn == nil || now.UnixNano()-sn.wall < int64(tick) {
					continue
				}
				b := model.GetBatch()
				b.Now = sn.time + (now.UnixNano() - sn.wall)
				select {
				case r.out <- b:
				case <-done:
					return
				case <-r.ctx.Done():
					return
				}
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// send hands the current batch to the model (blocking: a replay never
// drops) and starts a new one.
func (r *replayer) send(now int64) error {
	b := r.batch
	b.Now = now
	r.sentNow = now
	if r.dec.LearnNames {
		b.Names = r.dec.TakeNames(b.Names)
	}
	st := r.stats
	b.Source = &st
	r.sent = st
	if r.unpaced {
		r.opt.Player.setClock(r.base, 0)
	}
	select {
	case r.out <- b:
	case <-r.ctx.Done():
		return r.ctx.Err()
	}
	r.batch = model.GetBatch()
	return nil
}

// pace waits until the replay clock reaches capture time t, sending the
// batch read so far first and moving the clock every tick while it
// waits. It follows the Player's speed, pause, steps and skips as they
// change.
//
// The clock is base + (wall time since wallBase) x rate, where rate is
// the speed, or 0 while paused: whenever the rate changes, base and
// wallBase move to the clock's current position, so that the clock goes
// on from where it was, at the new rate.
func (r *replayer) pace(t int64) error {
	pl := r.opt.Player
	if r.unpaced && pl.gen.Load() == r.seenGen {
		// As fast as it reads, as before: no lock, no clock reading.
		r.base = max(r.base, t)
		return nil
	}
	r.unpaced = false
	for {
		r.seenGen = pl.gen.Load() // before the state is read: a change after it is seen next time
		pl.mu.Lock()
		speed, paused, maxGap := pl.speed, pl.paused, pl.maxGap
		steps := 0
		if paused && pl.steps > 0 {
			steps = 1
			pl.steps--
		} else if !paused {
			pl.steps = 0 // steps move a paused replay only
		}
		skip := pl.skip
		pl.skip = false
		pl.mu.Unlock()
		now := time.Now()
		rate := speed
		if paused {
			rate = 0
		}
		switch {
		case !r.paced: // the clock starts at the first packet
			r.base, r.wallBase, r.rate, r.paced = t, now, rate, true
		case rate != r.rate:
			r.base, r.wallBase, r.rate = r.clockAt(now), now, rate
		}
		if !paused && speed == 0 {
			// As fast as it reads: nothing to wait for.
			r.base, r.wallBase = max(r.base, t), now
			pl.setClock(t, 0)
			r.unpaced = true
			return nil
		}
		clock := r.clockAt(now)
		if steps > 0 {
			clock += int64(time.Second)
			r.base, r.wallBase = clock, now
		}
		if t > clock && (skip || maxGap > 0 && t-clock > maxGap) {
			pl.mu.Lock()
			pl.skipped, pl.skips = t-clock, pl.skips+1
			pl.mu.Unlock()
			clock = t
			r.base, r.wallBase = clock, now
		}
		if t <= clock {
			pl.setClock(clock, 0)
			return nil
		}
		pl.setClock(clock, t)
		d := time.Hour // paused: until the player changes
		if rate > 0 {
			d = time.Duration(float64(t-clock) / rate)
		}
		if err := r.wait(clock, d); err != nil {
			return err
		}
	}
}

// clockAt is the replay clock at wall time now.
func (r *replayer) clockAt(now time.Time) int64 {
	if r.rate == 0 {
		return r.base
	}
	return r.base + int64(float64(now.Sub(r.wallBase))*r.rate)
}

// wait sends what was read so far with the clock at now, then sleeps for
// at most d (never longer than a tick), waking early on a Player change.
func (r *replayer) wait(now int64, d time.Duration) error {
	now = max(now, r.last)
	// A paused clock with nothing read needs no batch: the model would
	// learn nothing from it.
	if len(r.batch.Packets) > 0 || now != r.sentNow || r.stats != r.sent {
		if err := r.send(now); err != nil {
			return err
		}
	}
	if d > tick {
		d = tick
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.opt.Player.wake:
	case <-r.ctx.Done():
		return r.ctx.Err()
	}
	return nil
}
