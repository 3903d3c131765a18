package notifier

import (
	"hash/maphash"
	"slices"
	"strings"
)

// fileByReader turns the due followers of every series into readers and
// refs: subs are the distinct ids (in no useful order); reader r's refs
// are refs[refEnd[r-1]:refEnd[r]], in series order.
//
// A map from id to reader costs a million look-ups in a map of a hundred
// thousand ids, each a cache miss or more: a fifth of the plan's time. So
// the follows are sorted instead, by a 32-bit hash of their id, with a
// radix sort that reads and writes memory in order; the rare ids whose
// hashes collide with another id's are then sorted by id. A hash, not
// the ids' first bytes: ids alike at the start (reader-0001, ...) would
// all collide.
// hash is the hash to sort by (a test's may collide at will).
func fileByReader(results []seriesDues, hash func(string) uint32) (subs []string, refs []dueRef, refEnd []int32) {
	total := 0
	for si := range results {
		total += len(results[si].dueF)
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
	// Stable: for one id, the series stay in order.
	ents = radixSort(ents, make([]idEntry, len(ents)))

	idOf := func(e idEntry) string { return results[e.series].id(int(e.i)) }
	refs = make([]dueRef, len(ents))
	var arena []byte // the readers' ids end to end: one string for all
	var ends []int32
	for g := 0; g < len(ents); {
		end := g + 1
		for end < len(ents) && ents[end].key == ents[g].key {
			end++
		}
		group := ents[g:end]
		first := idOf(group[0])
		for _, e := range group[1:] {
			if idOf(e) != first { // another id with the same hash
				slices.SortStableFunc(group, func(a, b idEntry) int { return strings.Compare(idOf(a), idOf(b)) })
				break
			}
		}
		prev := ""
		for k, e := range group {
			id := idOf(e)
			if k == 0 || id != prev {
				arena = append(arena, id...)
				ends = append(ends, int32(len(arena)))
				refEnd = append(refEnd, 0)
				prev = id
			}
			refs[g+k] = dueRef{series: e.series, follower: results[e.series].dueF[e.i]}
			refEnd[len(refEnd)-1] = int32(g + k + 1)
		}
		g = end
	}
	all := string(arena)
	subs = make([]string, len(ends))
	start := int32(0)
	for r, end := range ends {
		subs[r] = all[start:end]
		start = end
	}
	return subs, refs, refEnd
}

// idHash returns the hash fileByReader sorts by: maphash's, seeded afresh.
func idHash() func(string) uint32 {
	seed := maphash.MakeSeed()
	return func(id string) uint32 { return uint32(maphash.String(seed, id)) }
}

// idEntry is one due follower to file: the hash of its id, and where it
// is (results[series].dueF[i]).
type idEntry struct {
	key       uint32
	series, i int32
}

// radixSort sorts a by key, stably, a byte at a time from the lowest,
// using tmp (as long as a) for the passes; it returns the sorted slice,
// a or tmp. A byte every key shares is skipped.
func radixSort(a, tmp []idEntry) []idEntry {
	for shift := 0; shift < 32; shift += 8 {
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
