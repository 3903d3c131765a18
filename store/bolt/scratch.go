package bolt

import "sync"

// scratch is the working memory of a scan: the records' bytes are gathered
// in buf (ends marks where each piece ends, nums holds a number per
// record), then copied once into the string the results slice. Reusing it
// across calls leaves that string and the results as a scan's only
// allocations of any size.
type scratch struct {
	buf  []byte
	ends []int
	nums []int64
	// A follows scan's collections: one per follow once any has one,
	// and the owned numbers (copied out once at the end).
	extras []followExtra
	ints   []int
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func getScratch() *scratch { return scratchPool.Get().(*scratch) }

// put returns sc to the pool, unless one big scan made it too large to keep.
func (sc *scratch) put() {
	if cap(sc.buf) > 4<<20 || cap(sc.ends) > 1<<19 {
		return
	}
	sc.buf, sc.ends, sc.nums = sc.buf[:0], sc.ends[:0], sc.nums[:0]
	sc.extras, sc.ints = sc.extras[:0], sc.ints[:0]
	scratchPool.Put(sc)
}
