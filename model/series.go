package model

// Sample is one second of whole-capture traffic.
type Sample struct {
	// Sec is the second, since the epoch, of the capture clock.
	Sec     int64
	Packets uint64
	Bytes   uint64
}

// series is the whole-capture per-second history, a ring of n seconds.
type series struct {
	s     []Sample
	head  int64
	hi    int // the index of head's slot
	valid bool
}

func newSeries(n int) series { return series{s: make([]Sample, n)} }

func (r *series) slot(sec int64) *Sample { return ringSlot(r.s, sec) }

// ringSlot is the slot of second sec in a ring of one value a second.
func ringSlot[T any](s []T, sec int64) *T {
	return &s[slotOf(int64(len(s)), sec)]
}

// slotOf is the index of second sec in a ring of n slots.
func slotOf(n, sec int64) int64 {
	i := sec % n
	if i < 0 {
		i += n
	}
	return i
}

// advance moves the newest second to sec, clearing the seconds between.
func (r *series) advance(sec int64) {
	if !r.valid {
		r.head, r.valid = sec, true
		r.hi = int(slotOf(int64(len(r.s)), sec))
		r.s[r.hi] = Sample{Sec: sec}
		return
	}
	if sec <= r.head {
		return
	}
	from := r.head + 1
	if sec-from >= int64(len(r.s)) {
		from = sec - int64(len(r.s)) + 1
	}
	for t := from; t <= sec; t++ {
		*r.slot(t) = Sample{Sec: t}
	}
	r.head = sec
	r.hi = int(slotOf(int64(len(r.s)), sec))
}

// add counts a packet of n bytes at second sec and returns the byte count
// of that second so far.
func (r *series) add(sec int64, n uint32) uint64 {
	if sec == r.head && r.valid { // the common case: the newest second
		sl := &r.s[r.hi]
		sl.Packets++
		sl.Bytes += uint64(n)
		return sl.Bytes
	}
	sl := r.at(sec)
	if sl == nil {
		return 0
	}
	sl.Packets++
	sl.Bytes += uint64(n)
	return sl.Bytes
}

// count counts a packet of n bytes at second sec (as add, without the
// result).
func (r *series) count(sec int64, n uint32) {
	if sec == r.head && r.valid {
		sl := &r.s[r.hi]
		sl.Packets++
		sl.Bytes += uint64(n)
		return
	}
	r.add(sec, n)
}

// at returns the sample of second sec, made when needed; nil for a
// second older than the ring.
func (r *series) at(sec int64) *Sample {
	r.advance(sec)
	if sec <= r.head-int64(len(r.s)) {
		return nil
	}
	sl := r.slot(sec)
	if sl.Sec != sec {
		if sl.Sec > sec {
			return nil // the slot holds a newer second
		}
		// A second before the head that was never counted (a focus
		// counts the capture read again after its newest packets).
		*sl = Sample{Sec: sec}
	}
	return sl
}

// last returns up to n seconds ending at the newest, oldest first.
func (r *series) last(n int) []Sample {
	if !r.valid {
		return nil
	}
	if n > len(r.s) {
		n = len(r.s)
	}
	out := make([]Sample, 0, n)
	for t := r.head - int64(n) + 1; t <= r.head; t++ {
		sl := r.slot(t)
		if sl.Sec == t {
			out = append(out, *sl)
		} else {
			out = append(out, Sample{Sec: t})
		}
	}
	return out
}

// rates returns the average byte and packet rates over Windows ending at
// now, counting from start.
func (r *series) rates(now, start int64) (bytes, pkts [3]float64) {
	if !r.valid {
		return
	}
	nowSec := floorDiv(now, 1e9)
	frac := float64(now-nowSec*1e9) / 1e9
	var sb, sp float64
	k := 0
	for age := 0; age < Windows[len(Windows)-1]; age++ {
		t := nowSec - int64(age)
		if t <= r.head {
			if sl := r.slot(t); sl.Sec == t {
				sb += float64(sl.Bytes)
				sp += float64(sl.Packets)
			}
		}
		if age+1 == Windows[k] {
			d := windowSpan(Windows[k], frac, now, start)
			bytes[k], pkts[k] = sb/d, sp/d
			k++
		}
	}
	return
}
