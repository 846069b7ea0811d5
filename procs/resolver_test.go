package procs

import (
	"net/netip"
	"sync"
	"testing"
	"time"
)

// slowEngine answers every key Owned after the test lets it go.
type slowEngine struct {
	gate    chan struct{}
	entered chan int // the number of keys of the first batch, once
	once    sync.Once
	mu      sync.Mutex
	keys    []FlowKey
	closed  bool
}

func (e *slowEngine) resolve(keys []FlowKey, now time.Time) {
	if e.entered != nil {
		e.once.Do(func() { e.entered <- len(keys) })
	}
	<-e.gate
	e.mu.Lock()
	e.keys = append(e.keys, keys...)
	e.mu.Unlock()
}

func (e *slowEngine) poll(now time.Time) []Answer {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Answer, len(e.keys))
	for i, k := range e.keys {
		out[i] = Answer{Key: k, Src: Owner{PID: int32(k.Src.Port())}}
	}
	e.keys = nil
	return out
}
func (e *slowEngine) wake() time.Time { return time.Time{} }
func (e *slowEngine) tick(time.Time)  {}
func (e *slowEngine) stats(*Stats)    {}
func (e *slowEngine) close()          { e.closed = true }

func key(port uint16) FlowKey {
	return FlowKey{Proto: ProtoTCP, Src: netip.AddrPortFrom(netip.MustParseAddr("10.0.0.1"), port), Dst: netip.MustParseAddrPort("10.0.0.2:80")}
}

func TestAskNeverBlocks(t *testing.T) {
	eng := &slowEngine{gate: make(chan struct{}), entered: make(chan int, 1)}
	r := newResolver(Config{QueueLen: 8}, eng)
	// The engine is stuck on its first batch (the keys the resolver took
	// before calling it: one, or more if it ran beside this loop); the
	// queue holds 8 more; the rest are refused at once and counted.
	accepted := 0
	for i := 0; i < 100; i++ {
		if r.Ask(key(uint16(i + 1))) {
			accepted++
		}
	}
	var taken int
	select {
	case taken = <-eng.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the resolver never called its engine")
	}
	if taken < 1 || accepted < 8 || accepted > taken+8 {
		t.Errorf("%d accepted with a queue of 8 and a stuck engine that took %d", accepted, taken)
	}
	st := r.Stats()
	if st.QueueFull != uint64(100-accepted) || st.Asked != uint64(accepted) {
		t.Errorf("stats %+v", st)
	}
	close(eng.gate)
	got := map[int32]bool{}
	for len(got) < accepted {
		select {
		case as := <-r.Answers():
			for _, a := range as {
				got[a.Src.PID] = true
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d answers of %d", len(got), accepted)
		}
	}
	r.Close()
	if _, ok := <-r.Answers(); ok {
		t.Error("Answers still open after Close")
	}
	if r.Ask(key(1)) {
		t.Error("Ask accepted after Close")
	}
	if !eng.closed {
		t.Error("engine not closed")
	}
}

func TestSlowConsumerLosesOldest(t *testing.T) {
	eng := &slowEngine{gate: make(chan struct{})}
	close(eng.gate)
	r := newResolver(Config{QueueLen: 10000, MaxPending: 100}, eng)
	defer r.Close()
	// Nobody reads Answers: four batches fit in the channel, then at most
	// MaxPending answers wait and the oldest go.
	for i := 0; i < 5000; i++ {
		for !r.Ask(key(uint16(i + 1))) {
			time.Sleep(time.Millisecond)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for r.Stats().Late == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if r.Stats().Late == 0 {
		t.Fatalf("no answer counted late: %+v", r.Stats())
	}
	var last int32
	for quiet := false; !quiet; {
		select {
		case as := <-r.Answers():
			if len(as) > 100 {
				t.Errorf("a batch of %d answers waited, past MaxPending", len(as))
			}
			last = as[len(as)-1].Src.PID
		case <-time.After(500 * time.Millisecond):
			quiet = true
		}
	}
	if last != 5000 {
		t.Errorf("newest answer kept: %d, want 5000", last)
	}
}

func TestUnowned(t *testing.T) {
	a := Answer{Src: Owner{Reason: Remote}, Dst: Owner{Reason: SocketClosed}}
	if r, ok := a.Unowned(); !ok || r != SocketClosed {
		t.Errorf("%v %v", r, ok)
	}
	a = Answer{Src: Owner{Reason: NotLocal}, Dst: Owner{Reason: NotLocal}}
	if r, ok := a.Unowned(); !ok || r != NotLocal {
		t.Errorf("%v %v", r, ok)
	}
	a = Answer{Src: Owner{Reason: Owned, PID: 5}, Dst: Owner{Reason: Remote}}
	if _, ok := a.Unowned(); ok {
		t.Error("owned flow unowned")
	}
	for r := Reason(0); r <= numReasons; r++ {
		if r.String() == "" {
			t.Errorf("reason %d has no name", r)
		}
	}
}
