package procs

import (
	"sync"
	"sync/atomic"
	"time"
)

// Config sets up a Resolver. The zero value is the default.
type Config struct {
	// QueueLen is how many flows may wait for a lookup (default 4096).
	// Ask refuses more, and counts them, rather than wait.
	QueueLen int
	// MaxPending is how many answers may wait for the consumer to take
	// them (default 16384); past that the oldest are dropped and counted.
	MaxPending int
	// NoHook leaves out the socket-creation hook (eBPF): connections that
	// close before they are looked up then go unnamed.
	NoHook bool
	// NoNamespaces looks only in pktop's own network namespace.
	NoNamespaces bool
	// Proc is where procfs is mounted (default /proc).
	Proc string
	// Logf, when set, is told once about each thing that does not work
	// (no hook, a namespace that cannot be entered), in one line each.
	Logf func(format string, args ...any)
}

// engine does the lookups; one goroutine (the Resolver's) calls it.
type engine interface {
	// resolve starts on keys; poll returns the answers that are finished
	// by now. wake says when poll has more to do (zero: nothing pending).
	resolve(keys []FlowKey, now time.Time)
	poll(now time.Time) []Answer
	wake() time.Time
	tick(now time.Time)
	stats(*Stats)
	close()
}

// Resolver finds which process owns each end of the flows it is asked
// about. One goroutine does the lookups; Ask never blocks, and answers
// come back in batches on Answers. Close stops it.
type Resolver struct {
	cfg  Config
	eng  engine
	ask  chan FlowKey
	out  chan []Answer
	quit chan struct{}
	done chan struct{}
	once sync.Once

	asked, full, late, answered atomic.Uint64
	mu                          sync.Mutex
	st                          Stats
}

// newResolver starts the goroutine around an engine.
func newResolver(cfg Config, eng engine) *Resolver {
	if cfg.QueueLen <= 0 {
		cfg.QueueLen = 4096
	}
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = 16384
	}
	r := &Resolver{
		cfg:  cfg,
		eng:  eng,
		ask:  make(chan FlowKey, cfg.QueueLen),
		out:  make(chan []Answer, 4),
		quit: make(chan struct{}),
		done: make(chan struct{}),
	}
	eng.stats(&r.st) // what New set up (the hook, the namespaces), before the first lookup
	go r.run()
	return r
}

// Ask queues a flow for a lookup and returns at once. It returns false,
// and counts it, when the queue is full (the consumer may mark the flow
// Dropped, or ask again later). Ask it when a flow first appears: a
// connection that lasts a few milliseconds may be gone a timer later.
// Safe for concurrent use, and after Close (it then returns false).
func (r *Resolver) Ask(k FlowKey) bool {
	select {
	case <-r.quit:
		return false
	default:
	}
	select {
	case r.ask <- k:
		r.asked.Add(1)
		return true
	default:
		r.full.Add(1)
		return false
	}
}

// Answers delivers the answers in batches. The channel is closed after
// Close. A consumer that does not keep up loses the oldest answers past
// Config.MaxPending (counted in Stats.Late), never blocks the resolver.
func (r *Resolver) Answers() <-chan []Answer { return r.out }

// Stats says what the resolver did so far.
func (r *Resolver) Stats() Stats {
	r.mu.Lock()
	s := r.st
	r.mu.Unlock()
	s.Asked = r.asked.Load()
	s.QueueFull = r.full.Load()
	s.Late = r.late.Load()
	s.Answered = r.answered.Load()
	return s
}

// Close stops the goroutine, releases the sockets and the hook, and
// closes the Answers channel. Answers not yet taken are dropped.
func (r *Resolver) Close() {
	r.once.Do(func() {
		close(r.quit)
		<-r.done
	})
}

const maxBatch = 256

func (r *Resolver) run() {
	defer close(r.done)
	defer close(r.out)
	defer r.eng.close()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var waker *time.Timer
	var wakeC <-chan time.Time
	var pending []Answer
	keys := make([]FlowKey, 0, maxBatch)
	for {
		var send chan []Answer
		if len(pending) > 0 {
			send = r.out
		}
		select {
		case <-r.quit:
			return
		case k := <-r.ask:
			keys = append(keys[:0], k)
		drain:
			for len(keys) < maxBatch {
				select {
				case k := <-r.ask:
					keys = append(keys, k)
				default:
					break drain
				}
			}
			r.eng.resolve(keys, time.Now())
		case send <- pending:
			r.answered.Add(uint64(len(pending)))
			pending = nil
			continue
		case now := <-tick.C:
			r.eng.tick(now)
		case <-wakeC:
		}
		pending = append(pending, r.eng.poll(time.Now())...)
		if over := len(pending) - r.cfg.MaxPending; over > 0 {
			r.late.Add(uint64(over))
			pending = append(pending[:0], pending[over:]...)
		}
		if len(pending) > 0 {
			select {
			case r.out <- pending:
				r.answered.Add(uint64(len(pending)))
				pending = nil
			default:
			}
		}
		if w := r.eng.wake(); !w.IsZero() {
			d := time.Until(w)
			if waker == nil {
				waker = time.NewTimer(d)
			} else {
				waker.Reset(d)
			}
			wakeC = waker.C
		} else {
			wakeC = nil
		}
		var st Stats
		r.eng.stats(&st)
		r.mu.Lock()
		r.st = st
		r.mu.Unlock()
	}
}
