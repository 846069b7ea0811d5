package model

// HistorySeconds is how many seconds of per-second history every host,
// conversation, port and protocol keeps: enough for iftop's 40 s average
// and a 40-column sparkline.
const HistorySeconds = 40

// Windows are the averaging windows of the rate columns, in seconds
// (iftop's 2 s, 10 s and 40 s).
var Windows = [3]int{2, 10, 40}

// ring keeps per-second byte counts in two directions for the last
// HistorySeconds seconds of the capture clock. The newest second is kept
// in two counters beside the head, so that counting a packet touches the
// same cache line as the entry's totals; the older seconds live in slots
// that are touched once per second at most, allocated on first use.
type ring struct {
	head          int64 // the newest second with traffic (since the epoch)
	curOut, curIn uint32
	valid         bool
	slots         *ringSlots
}

// ringSeconds is how many seconds a ring holds: the head and the
// HistorySeconds whole seconds before it, so that a settled view (which
// ends at the last whole second while the head is already counting the
// next) still has all 40 of its seconds.
const ringSeconds = HistorySeconds + 1

// ringSlots are the seconds of a ring, out then in, each second's two
// counters side by side (a window of seconds is a run of cache lines).
type ringSlots [ringSeconds][2]uint32

func slotIndex(sec int64) int64 {
	i := sec % ringSeconds
	if i < 0 {
		i += ringSeconds
	}
	return i
}

func satAdd(a *uint32, n uint32) {
	if s := *a + n; s >= *a {
		*a = s
	} else {
		*a = ^uint32(0)
	}
}

// add counts n bytes at second sec in the given direction (out when
// out is true).
func (r *ring) add(sec int64, n uint32, out bool) {
	switch {
	case !r.valid:
		r.head, r.valid = sec, true
	case sec > r.head:
		r.roll(sec)
	case sec < r.head:
		if sec <= r.head-ringSeconds {
			return // older than the history: totals only
		}
		if r.slots == nil {
			r.slots = new(ringSlots)
		}
		i := slotIndex(sec)
		if out {
			satAdd(&r.slots[i][0], n)
		} else {
			satAdd(&r.slots[i][1], n)
		}
		return
	}
	if out {
		satAdd(&r.curOut, n)
	} else {
		satAdd(&r.curIn, n)
	}
}

// roll moves the head to sec: the head's counters go to their slot and
// the seconds in between, which had no traffic, are cleared.
func (r *ring) roll(sec int64) {
	if r.slots == nil {
		r.slots = new(ringSlots)
	}
	gap := sec - r.head
	if gap >= ringSeconds {
		*r.slots = ringSlots{}
	} else {
		for t := r.head + 1; t < sec; t++ {
			r.slots[slotIndex(t)] = [2]uint32{}
		}
	}
	if gap <= ringSeconds {
		r.slots[slotIndex(r.head)] = [2]uint32{r.curOut, r.curIn}
	}
	r.head, r.curOut, r.curIn = sec, 0, 0
}

// at returns the bytes out and in of second s.
func (r *ring) at(s int64) (uint32, uint32) {
	switch {
	case !r.valid || s > r.head || s <= r.head-ringSeconds:
		return 0, 0
	case s == r.head:
		return r.curOut, r.curIn
	case r.slots == nil:
		return 0, 0
	}
	sl := &r.slots[slotIndex(s)]
	return sl[0], sl[1]
}

// reset empties the ring, keeping its slots for reuse.
func (r *ring) reset() {
	sl := r.slots
	*r = ring{}
	if sl != nil {
		*sl = ringSlots{}
		r.slots = sl
	}
}

// Rate is a byte rate in each direction, in bytes per second.
type Rate struct {
	Out, In float64
}

// Total returns the sum of both directions.
func (r Rate) Total() float64 { return r.Out + r.In }

// rates returns the average byte rates over Windows ending at now (in
// nanoseconds), given that counting began at start. The newest second is
// usually partial, so a window of w seconds covers the w-1 whole seconds
// before it plus the part of the current one that has elapsed.
func (r *ring) rates(now, start int64) [3]Rate {
	var res [3]Rate
	if !r.valid {
		return res
	}
	nowSec := floorDiv(now, 1e9)
	frac := float64(now-nowSec*1e9) / 1e9
	var sumOut, sumIn float64
	k := 0
	for age := 0; age < HistorySeconds; age++ {
		o, in := r.at(nowSec - int64(age))
		sumOut += float64(o)
		sumIn += float64(in)
		if age+1 == Windows[k] {
			d := windowSpan(Windows[k], frac, now, start)
			res[k] = Rate{Out: sumOut / d, In: sumIn / d}
			k++
		}
	}
	return res
}

// rate returns the average of both directions over one window of w
// seconds ending at now: what a sort needs, without the other windows,
// and nothing to add up for a row quiet for longer than the window.
func (r *ring) rate(w int, now, start int64) float64 {
	// (An empty ring has no counts: it needs no test of valid, which is
	// on another cache line of an entry.)
	nowSec := floorDiv(now, 1e9)
	if r.head <= nowSec-int64(w) {
		return 0
	}
	// The seconds of the window the ring holds: from the oldest of the
	// window or of the ring to the newest of both.
	hi := min(nowSec, r.head)
	lo := max(nowSec-int64(w)+1, r.head-ringSeconds+1)
	var sum uint64
	if hi == r.head {
		sum = uint64(r.curOut) + uint64(r.curIn)
		hi--
	}
	if r.slots != nil && lo <= hi {
		i := slotIndex(lo)
		for s := lo; s <= hi; s++ {
			sum += uint64(r.slots[i][0]) + uint64(r.slots[i][1])
			if i++; i == ringSeconds {
				i = 0
			}
		}
	}
	frac := float64(now-nowSec*1e9) / 1e9
	return float64(sum) / windowSpan(w, frac, now, start)
}

// windowSpan is the length in seconds of a w-second window ending at now:
// never longer than the time since counting began, never shorter than a
// second (so that one packet does not read as a huge rate).
func windowSpan(w int, frac float64, now, start int64) float64 {
	d := float64(w-1) + frac
	if el := float64(now-start) / 1e9; el < d {
		d = el
	}
	if d < 1 {
		d = 1
	}
	return d
}

// history returns the per-second totals (both directions) of the last n
// seconds ending at now, oldest first.
func (r *ring) history(now int64, n int) []uint64 {
	out := make([]uint64, n)
	if !r.valid {
		return out
	}
	nowSec := floorDiv(now, 1e9)
	for j := 0; j < n; j++ {
		o, in := r.at(nowSec - int64(n-1-j))
		out[j] = uint64(o) + uint64(in)
	}
	return out
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
