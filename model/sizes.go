package model

// PlenBuckets are the lower bounds of tshark's "-z plen,tree" packet
// length buckets: 0-19, 20-39, 40-79, ..., 2560-5119, 5120 and over.
var PlenBuckets = [...]uint32{0, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120}

// NumPlen is the number of tshark plen buckets.
const NumPlen = len(PlenBuckets)

// plenIndex returns the tshark bucket of a frame length.
func plenIndex(n uint32) int {
	switch {
	case n < 20:
		return 0
	case n < 40:
		return 1
	case n >= 5120:
		return 9
	}
	// 40..5119: bucket k+2 covers [40<<k, 80<<k).
	i := 2
	for b := uint32(80); n >= b; b <<= 1 {
		i++
	}
	return i
}

// fineEdges are the lower bounds of the fine histogram's buckets, chosen
// so that every tshark bucket is a union of whole fine buckets (the fine
// histogram sums exactly into the tshark one) while the interesting sizes
// (the 40..1500 byte range, MTU-sized frames, jumbo frames) get buckets of
// their own.
var fineEdges = buildFineEdges()

func buildFineEdges() []uint32 {
	e := []uint32{0, 20, 30}
	// 40..2559 in each power-of-two range split into 8 equal parts.
	for lo := uint32(40); lo < 2560; lo <<= 1 {
		step := lo / 8
		for k := uint32(0); k < 8; k++ {
			e = append(e, lo+k*step)
		}
	}
	e = append(e, 2560, 3840, 5120, 9001, 16384, 65536)
	return e
}

// NumFine is the number of buckets of the fine histogram.
var NumFine = len(fineEdges)

// fineIndex returns the fine bucket of a frame length.
func fineIndex(n uint32) int {
	lo, hi := 0, len(fineEdges)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if fineEdges[mid] <= n {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// fineLUT maps lengths below 2560 straight to their fine bucket.
var fineLUT = func() []uint8 {
	t := make([]uint8, 2560)
	for n := range t {
		t[n] = uint8(fineIndex(uint32(n)))
	}
	return t
}()

func fineBucket(n uint32) int {
	if n < uint32(len(fineLUT)) {
		return int(fineLUT[n])
	}
	return fineIndex(n)
}

// Bucket is one bar of a size histogram: frames whose wire length is in
// [Lo, Hi]; Hi is -1 for the last, open-ended bucket.
type Bucket struct {
	Lo, Hi  int64
	Packets uint64
}

// fineHistogram returns the fine buckets with their counts.
func fineHistogram(counts []uint64) []Bucket {
	out := make([]Bucket, len(fineEdges))
	for i, lo := range fineEdges {
		hi := int64(-1)
		if i+1 < len(fineEdges) {
			hi = int64(fineEdges[i+1]) - 1
		}
		out[i] = Bucket{Lo: int64(lo), Hi: hi, Packets: counts[i]}
	}
	return out
}

// plenHistogram returns tshark's plen buckets with their counts.
func plenHistogram(counts *[NumPlen]uint64) []Bucket {
	out := make([]Bucket, NumPlen)
	for i, lo := range PlenBuckets {
		hi := int64(-1)
		if i+1 < NumPlen {
			hi = int64(PlenBuckets[i+1]) - 1
		}
		out[i] = Bucket{Lo: int64(lo), Hi: hi, Packets: counts[i]}
	}
	return out
}

// Plen folds a fine histogram into tshark's plen buckets.
func Plen(fine []Bucket) []Bucket {
	var c [NumPlen]uint64
	for _, b := range fine {
		c[plenIndex(uint32(b.Lo))] += b.Packets
	}
	return plenHistogram(&c)
}
