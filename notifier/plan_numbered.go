package notifier

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/manga-alert-italia/mangaalert/store"
)

// NumberedFollowers is a Store whose follows carry a number per reader
// (store/bolt): one per subscriber id, the same in every series, never
// another id's, at least 1, and no more than the readers that ever
// followed a series there. The plan files the follows by reader with a
// counting sort on them (fileByNumber) instead of copying every due
// follower's id, then hashing, sorting and checking them (fileByReader):
// a quarter of the plan's CPU in BenchmarkPlan, half of it the kernel
// faulting in the pages of that copy and of the sort's arrays. Optional.
type NumberedFollowers interface {
	// FollowersOfNumberedAppend is Appender's FollowersOfAppend that also
	// appends each follower's reader number to nums.
	FollowersOfNumberedAppend(ctx context.Context, seriesID string, dst []store.Follow, nums []uint32) ([]store.Follow, []uint32, error)
}

// followersNumbered reads a series' follows and their readers' numbers
// into buf, in subscriber order.
func followersNumbered(ctx context.Context, nf NumberedFollowers, seriesID string, buf *readBuf) ([]store.Follow, []uint32, error) {
	nums := buf.nums[:0]
	follows, err := reuse(&buf.follows, func(dst []store.Follow) ([]store.Follow, error) {
		var out []store.Follow
		var err error
		out, nums, err = nf.FollowersOfNumberedAppend(ctx, seriesID, dst, nums)
		return out, err
	})
	buf.nums = nums
	if err != nil {
		return nil, nil, err
	}
	if len(nums) != len(follows) {
		return nil, nil, fmt.Errorf("the store answered %d followers of %s with %d reader numbers", len(follows), seriesID, len(nums))
	}
	bySub := func(a, b int) int { return strings.Compare(follows[a].SubscriberID, follows[b].SubscriberID) }
	if !slices.IsSortedFunc(follows, func(a, b store.Follow) int { return strings.Compare(a.SubscriberID, b.SubscriberID) }) {
		// The contract orders them; a store that did not gets them
		// sorted, each number with its follow.
		idx := make([]int, len(follows))
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, bySub)
		fs, ns := make([]store.Follow, len(idx)), make([]uint32, len(idx))
		for i, j := range idx {
			fs[i], ns[i] = follows[j], nums[j]
		}
		copy(follows, fs)
		copy(nums, ns)
	}
	return follows, nums, nil
}

// readerNames keeps the id of each reader number the series found due,
// copied once, when first found: the follows' strings go with the series.
type readerNames struct {
	mu    sync.Mutex
	seen  []uint64            // bit n: number n is in names (n < denseNumbers)
	above map[uint32]struct{} // the numbers from denseNumbers on that are
	names []numberedID
}

// denseNumbers bounds the seen bitset (2 MiB): numbers go about as far as
// the readers that ever followed a series, a file with more is numbered
// in a map.
const denseNumbers = 1 << 24

type numberedID struct {
	num uint32
	id  string
}

// add records the ids of follows[dueF[i]], numbered nums[dueF[i]].
func (x *readerNames) add(follows []store.Follow, nums []uint32, dueF []int32) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, fi := range dueF {
		if x.markSeen(nums[fi]) {
			x.names = append(x.names, numberedID{num: nums[fi], id: strings.Clone(follows[fi].SubscriberID)})
		}
	}
}

// markSeen marks n seen and says whether it is new.
func (x *readerNames) markSeen(n uint32) bool {
	if n >= denseNumbers {
		if _, ok := x.above[n]; ok {
			return false
		}
		if x.above == nil {
			x.above = map[uint32]struct{}{}
		}
		x.above[n] = struct{}{}
		return true
	}
	w := int(n / 64)
	if w >= len(x.seen) {
		x.seen = append(x.seen, make([]uint64, w+1-len(x.seen))...)
	}
	if x.seen[w]&(1<<(n%64)) != 0 {
		return false
	}
	x.seen[w] |= 1 << (n % 64)
	return true
}

// fileByNumber is fileByReader for numbered readers: subs are names' ids,
// in the order found; reader r's refs are refs[refEnd[r-1]:refEnd[r]], in
// series order. A counting sort: one pass counts each reader's refs, one
// places them.
func fileByNumber(results []seriesDues, names []numberedID) (subs []string, refs []dueRef, refEnd []int32) {
	if len(names) == 0 {
		return nil, nil, nil
	}
	total := 0
	for si := range results {
		total += len(results[si].nums)
	}
	maxNum := uint32(0)
	for _, n := range names {
		maxNum = max(maxNum, n.num)
	}
	// slot[n] is number n's reader: an array as long as the numbers go,
	// four bytes each, unless they go much further than the follows (a
	// file where many more readers came and went than follow now).
	var slot []int32
	var sparse map[uint32]int32
	if int(maxNum) <= 8*total+1<<20 {
		slot = make([]int32, maxNum+1)
	} else {
		sparse = make(map[uint32]int32, len(names))
	}
	subs = make([]string, len(names))
	for r, n := range names {
		subs[r] = n.id
		if slot != nil {
			slot[n.num] = int32(r)
		} else {
			sparse[n.num] = int32(r)
		}
	}
	readerOf := func(n uint32) int32 {
		if slot != nil {
			return slot[n]
		}
		return sparse[n]
	}
	refEnd = make([]int32, len(names))
	for si := range results {
		for _, n := range results[si].nums {
			refEnd[readerOf(n)]++
		}
	}
	next := make([]int32, len(names)) // where reader r's next ref goes
	sum := int32(0)
	for r, c := range refEnd {
		next[r] = sum
		sum += c
		refEnd[r] = sum
	}
	refs = make([]dueRef, total)
	for si := range results {
		for i, n := range results[si].nums {
			r := readerOf(n)
			refs[next[r]] = dueRef{series: int32(si), follower: int32(i)}
			next[r]++
		}
	}
	return subs, refs, refEnd
}
