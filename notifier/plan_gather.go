package notifier

import (
	"cmp"
	"hash/maphash"
	"slices"
	"strings"
)

// fileByReader turns the due followers of every series into readers and
// refs: subs are the distinct ids (in no useful order); reader r's refs
// are refs[refEnd[r-1]:refEnd[r]], in series order, each naming a series
// and a position in its dueF. It files for the stores that do not number
// their readers (fileByNumber files for those that do, in a tenth of the
// time and memory).
//
// A map from id to reader costs a million look-ups in a map of a hundred
// thousand ids, each a cache miss or more: a fifth of the plan's time. So
// the follows are sorted instead, by a 64-bit hash of their id, with a
// radix sort that reads and writes memory in order, and each run of
// equal hashes is taken for one reader. A pass in series order then
// checks every follow's id against its reader's: should two ids ever
// share a hash, the filing is done again with a map (fileByMap). A hash,
// not the ids' first bytes: ids alike at the start (reader-0001, ...)
// would all collide.
func fileByReader(results []seriesDues, hash func(string) uint64) (subs []string, refs []dueRef, refEnd []int32) {
	total, idBytes := 0, 0
	offs := make([]int, len(results)) // where each series' follows start in readerOf
	for si := range results {
		offs[si] = total
		total += len(results[si].dueF)
		idBytes += len(results[si].ids)
	}
	if total == 0 {
		return nil, nil, nil
	}
	ents := make([]idEntry, 0, total)
	for si := range results {
		res := &results[si]
		for i := range res.dueF {
			ents = append(ents, idEntry{key: hash(res.id(i)), series: int32(si), i: int32(i)})
		}
	}
	// Stable: for one id, the series stay in order. By the low 32 bits,
	// half the work of the whole key; the few keys alike in those are
	// then sorted by the whole.
	ents = sortLow32(ents, make([]idEntry, len(ents)))
	for g := 0; g < len(ents); {
		end, mixed := g+1, false
		for end < len(ents) && uint32(ents[end].key) == uint32(ents[g].key) {
			mixed = mixed || ents[end].key != ents[g].key
			end++
		}
		if mixed {
			slices.SortStableFunc(ents[g:end], func(a, b idEntry) int { return cmp.Compare(a.key, b.key) })
		}
		g = end
	}

	readers := 0
	for k := range ents {
		if k == 0 || ents[k].key != ents[k-1].key {
			readers++
		}
	}
	refs = make([]dueRef, len(ents))
	refEnd = make([]int32, 0, readers)
	readerOf := make([]int32, total)
	for k, e := range ents {
		if k == 0 || e.key != ents[k-1].key {
			refEnd = append(refEnd, 0)
		}
		refs[k] = dueRef{series: e.series, follower: e.i}
		refEnd[len(refEnd)-1] = int32(k + 1)
		readerOf[offs[e.series]+int(e.i)] = int32(len(refEnd) - 1)
	}
	// In series order, reading the ids where they lie: a reader's first
	// follow gives the id, the others must match it. The ids go end to
	// end into one string, sized by the follows' mean id length.
	var arena strings.Builder
	arena.Grow(int(int64(idBytes) * int64(readers) / int64(total)))
	span := make([][2]int32, readers)
	seen := make([]bool, readers)
	for si := range results {
		res := &results[si]
		for i := range res.dueF {
			id, r := res.id(i), readerOf[offs[si]+i]
			if !seen[r] {
				seen[r] = true
				span[r][0] = int32(arena.Len())
				arena.WriteString(id)
				span[r][1] = int32(arena.Len())
				continue
			}
			if arena.String()[span[r][0]:span[r][1]] != id {
				return fileByMap(results) // two ids, one hash
			}
		}
	}
	all := arena.String()
	subs = make([]string, readers)
	for r, sp := range span {
		subs[r] = all[sp[0]:sp[1]]
	}
	return subs, refs, refEnd
}

// fileByMap is fileByReader with a map from id to reader: exact whatever
// the ids, and slower.
func fileByMap(results []seriesDues) (subs []string, refs []dueRef, refEnd []int32) {
	index := map[string]int32{}
	var byReader [][]dueRef
	for si := range results {
		res := &results[si]
		for i := range res.dueF {
			id := res.id(i)
			r, ok := index[id]
			if !ok {
				r = int32(len(subs))
				index[id] = r
				subs = append(subs, strings.Clone(id))
				byReader = append(byReader, nil)
			}
			byReader[r] = append(byReader[r], dueRef{series: int32(si), follower: int32(i)})
		}
	}
	for _, rs := range byReader {
		refs = append(refs, rs...)
		refEnd = append(refEnd, int32(len(refs)))
	}
	return subs, refs, refEnd
}

// idHash returns the hash fileByReader sorts by: maphash's, seeded afresh.
func idHash() func(string) uint64 {
	seed := maphash.MakeSeed()
	return func(id string) uint64 { return maphash.String(seed, id) }
}

// idEntry is one due follower to file: the hash of its id, and where it
// is (results[series].dueF[i]).
type idEntry struct {
	key       uint64
	series, i int32
}

// sortLow32 sorts a stably by the low 32 bits of key, into tmp (as long
// as a), which it returns: one pass over all of it by bits 24-31, into 256
// buckets, then each bucket, small enough to stay in cache, by bits 0-23.
// Each pass over the whole reads and writes memory that is not in cache:
// one such pass, not four.
func sortLow32(a, tmp []idEntry) []idEntry {
	var count [257]int
	for i := range a {
		count[int(byte(a[i].key>>24))+1]++
	}
	for b := 1; b <= 256; b++ {
		count[b] += count[b-1]
	}
	starts := count // bucket b is tmp[starts[b]:starts[b+1]]
	for i := range a {
		b := byte(a[i].key >> 24)
		tmp[count[b]] = a[i]
		count[b]++
	}
	for b := range 256 {
		lo, hi := starts[b], starts[b+1]
		if hi-lo < 2 {
			continue
		}
		if sorted := radixSort(tmp[lo:hi], a[lo:hi], 24); &sorted[0] != &tmp[lo] {
			copy(tmp[lo:hi], sorted)
		}
	}
	return tmp
}

// radixSort sorts a by the low bits of key, stably, a byte at a time
// from the lowest, using tmp (as long as a) for the passes; it returns
// the sorted slice, a or tmp. A byte every key shares is skipped.
func radixSort(a, tmp []idEntry, bits int) []idEntry {
	for shift := 0; shift < bits; shift += 8 {
		var count [256]int
		for i := range a {
			count[byte(a[i].key>>shift)]++
		}
		if count[byte(a[0].key>>shift)] == len(a) {
			continue
		}
		sum := 0
		for b, c := range count {
			count[b] = sum
			sum += c
		}
		for i := range a {
			b := byte(a[i].key >> shift)
			tmp[count[b]] = a[i]
			count[b]++
		}
		a, tmp = tmp, a
	}
	return a
}
