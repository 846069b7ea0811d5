package model

// exactLengths is the frame length under which the length histogram
// counts every length apart; longer frames (jumbo, GRO) are counted in
// the fine buckets.
const exactLengths = 16384

// lengths counts frames by their length on the wire: each length under
// exactLengths apart, longer ones by fine bucket. The fine and tshark
// histograms are sums of it.
type lengths struct {
	exact []uint64
	over  []uint64 // by fine bucket, frames of exactLengths and more
}

func newLengths() lengths {
	return lengths{exact: make([]uint64, exactLengths), over: make([]uint64, NumFine)}
}

func (l *lengths) add(n uint32) {
	if n < exactLengths {
		l.exact[n]++
		return
	}
	l.over[fineIndex(n)]++
}

// fine returns the counts of the fine buckets.
func (l *lengths) fine() []uint64 {
	f := make([]uint64, NumFine)
	copy(f, l.over)
	for n, c := range l.exact {
		if c != 0 {
			f[fineBucket(uint32(n))] += c
		}
	}
	return f
}

// buckets returns every length seen with its count, shortest first, and
// the fine buckets of frames of exactLengths bytes and more.
func (l *lengths) buckets() []Bucket {
	var out []Bucket
	for n, c := range l.exact {
		if c != 0 {
			out = append(out, Bucket{Lo: int64(n), Hi: int64(n), Packets: c})
		}
	}
	for i, c := range l.over {
		if c == 0 {
			continue
		}
		hi := int64(-1)
		if i+1 < len(fineEdges) {
			hi = int64(fineEdges[i+1]) - 1
		}
		out = append(out, Bucket{Lo: int64(fineEdges[i]), Hi: hi, Packets: c})
	}
	return out
}

// SizeClasses are the lower bounds of the size classes of SizeSample: a
// class every 128 bytes up to 1536 (finer under 128), then jumbo frames.
var SizeClasses = [...]uint32{0, 64, 128, 256, 384, 512, 640, 768, 896, 1024, 1152, 1280, 1408, 1536, 2048, 9001}

// NumSizeClasses is the number of size classes.
const NumSizeClasses = len(SizeClasses)

// sizeClassLUT maps lengths under 2048 to their class.
var sizeClassLUT = func() []uint8 {
	t := make([]uint8, 2048)
	c := 0
	for n := range t {
		for c+1 < NumSizeClasses && uint32(n) >= SizeClasses[c+1] {
			c++
		}
		t[n] = uint8(c)
	}
	return t
}()

func sizeClass(n uint32) int {
	if n < 2048 {
		return int(sizeClassLUT[n])
	}
	if n < 9001 {
		return NumSizeClasses - 2
	}
	return NumSizeClasses - 1
}

// SizeSample is one second of frame lengths: the shortest, the longest,
// and how many frames fell in each size class.
type SizeSample struct {
	Sec      int64
	Min, Max uint32
	Packets  uint64
	Bytes    uint64
	Classes  [NumSizeClasses]uint32
}

// sizeSeries is the per-second history of frame lengths, a ring of n
// seconds (as series).
type sizeSeries struct {
	s     []SizeSample
	head  int64
	valid bool
	// cur is the slot of the second last counted, and curSec that
	// second (valid while cur is not nil).
	cur    *SizeSample
	curSec int64
}

func newSizeSeries(n int) sizeSeries { return sizeSeries{s: make([]SizeSample, n)} }

func (r *sizeSeries) slot(sec int64) *SizeSample { return ringSlot(r.s, sec) }

// add counts a frame of n bytes at second sec.
func (r *sizeSeries) add(sec int64, n uint32) {
	sl := r.cur
	if sl == nil || sec != r.curSec || sl.Sec != sec {
		sl = r.slot(sec)
		r.cur, r.curSec = sl, sec
	}
	if !r.valid || sl.Sec != sec {
		if r.valid && sec <= r.head-int64(len(r.s)) {
			return // older than the ring
		}
		if !r.valid || sec > r.head {
			r.head, r.valid = sec, true
		}
		*sl = SizeSample{Sec: sec, Min: n, Max: n}
	}
	sl.Min = min(sl.Min, n)
	sl.Max = max(sl.Max, n)
	sl.Packets++
	sl.Bytes += uint64(n)
	if c := sizeClass(n); sl.Classes[c] < ^uint32(0) {
		sl.Classes[c]++
	}
}

// last returns up to n seconds ending at second now, oldest first; the
// seconds with no frames are left out.
func (r *sizeSeries) last(now int64, n int) []SizeSample {
	if !r.valid {
		return nil
	}
	n = min(n, len(r.s))
	var out []SizeSample
	for t := now - int64(n) + 1; t <= now; t++ {
		if sl := r.slot(t); sl.Sec == t && sl.Packets > 0 {
			out = append(out, *sl)
		}
	}
	return out
}
