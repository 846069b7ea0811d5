package model

// HistorySeconds is how many seconds of per-second history every host,
// conversation, port and protocol keeps: enough for iftop's 40 s average
// and a 40-column sparkline.
const HistorySeconds = 40

// Windows are the averaging windows of the rate columns, in seconds
// (iftop's 2 s, 10 s and 40 s).
var Windows = [3]int{2, 10, 40}

// ring keeps per-second byte counts in two directions for the last
// HistorySeconds seconds of the capture clock.
type ring struct {
	head  int64 // the second (since the epoch) of the newest slot
	out   [HistorySeconds]uint32
	in    [HistorySeconds]uint32
	valid bool
}

// advance moves the ring forward to second sec, clearing the slots of the
// seconds that passed with no traffic. It returns false when sec is older
// than the ring's history (the caller then counts totals only).
func (r *ring) advance(sec int64) bool {
	if !r.valid {
		r.head, r.valid = sec, true
		return true
	}
	if sec <= r.head {
		return sec > r.head-HistorySeconds
	}
	gap := sec - r.head
	if gap >= HistorySeconds {
		r.out = [HistorySeconds]uint32{}
		r.in = [HistorySeconds]uint32{}
	} else {
		for s := r.head + 1; s <= sec; s++ {
			i := s % HistorySeconds
			r.out[i], r.in[i] = 0, 0
		}
	}
	r.head = sec
	return true
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
	if !r.advance(sec) {
		return
	}
	i := sec % HistorySeconds
	if i < 0 {
		i += HistorySeconds
	}
	if out {
		satAdd(&r.out[i], n)
	} else {
		satAdd(&r.in[i], n)
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
		s := nowSec - int64(age)
		if s <= r.head && s > r.head-HistorySeconds {
			i := s % HistorySeconds
			if i < 0 {
				i += HistorySeconds
			}
			sumOut += float64(r.out[i])
			sumIn += float64(r.in[i])
		}
		if age+1 == Windows[k] {
			d := windowSpan(Windows[k], frac, now, start)
			res[k] = Rate{Out: sumOut / d, In: sumIn / d}
			k++
		}
	}
	return res
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
		s := nowSec - int64(n-1-j)
		if s <= r.head && s > r.head-HistorySeconds {
			i := s % HistorySeconds
			if i < 0 {
				i += HistorySeconds
			}
			out[j] = uint64(r.out[i]) + uint64(r.in[i])
		}
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
