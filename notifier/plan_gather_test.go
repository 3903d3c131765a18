package notifier

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFileByReader checks the filing against a map from id to refs, with
// hashes that never, sometimes and always collide: colliding ids must
// still be told apart, and a reader's refs stay in series order.
func TestFileByReader(t *testing.T) {
	seeded := idHash()
	hashes := map[string]func(string) uint64{
		"maphash":  idHash(),
		"length":   func(id string) uint64 { return uint64(len(id)) << 40 },
		"high":     func(id string) uint64 { return seeded(id) &^ (1<<32 - 1) }, // alike in the low 32 bits
		"constant": func(string) uint64 { return 7 },
	}
	for name, hash := range hashes {
		for seed := range uint64(50) {
			rng := rand.New(rand.NewPCG(seed, 3))
			ids := make([]string, 1+rng.IntN(40))
			for i := range ids {
				ids[i] = fmt.Sprintf("r%s%d", strings.Repeat("x", rng.IntN(12)), i)
			}
			results := make([]seriesDues, rng.IntN(8))
			want := map[string][]dueRef{}
			for si := range results {
				var b strings.Builder
				res := &results[si]
				picked := slices.Clone(ids)
				slices.Sort(picked)
				for fi, id := range picked {
					if rng.IntN(2) == 0 {
						continue
					}
					b.WriteString(id)
					res.dueF = append(res.dueF, int32(fi))
					res.idEnd = append(res.idEnd, int32(b.Len()))
					want[id] = append(want[id], dueRef{series: int32(si), follower: int32(len(res.dueF) - 1)})
				}
				res.ids = b.String()
			}
			subs, refs, refEnd := fileByReader(results, hash)
			got := map[string][]dueRef{}
			start := int32(0)
			for r, sub := range subs {
				require.NotContains(t, got, sub, "%s seed %d: reader filed twice", name, seed)
				got[sub] = refs[start:refEnd[r]]
				start = refEnd[r]
			}
			require.Equal(t, int(start), len(refs), "%s seed %d", name, seed)
			require.Equal(t, want, got, "%s seed %d", name, seed)
		}
	}
}

// TestSortLow32 holds the two-level radix sort to a stable sort by the
// low 32 bits, keys drawn to fill the first and last buckets too.
func TestSortLow32(t *testing.T) {
	for seed := range uint64(30) {
		rng := rand.New(rand.NewPCG(seed, 5))
		a := make([]idEntry, rng.IntN(3000))
		for i := range a {
			k := rng.Uint64()
			switch rng.IntN(4) {
			case 0:
				k |= 0xff << 24 // the last bucket
			case 1:
				k &^= 0xff << 24 // the first
			case 2:
				k &= 0xffff_0000_00ff_ff00 // few distinct keys: ties
			}
			a[i] = idEntry{key: k, i: int32(i)}
		}
		want := slices.Clone(a)
		slices.SortStableFunc(want, func(x, y idEntry) int { return cmp.Compare(uint32(x.key), uint32(y.key)) })
		got := sortLow32(slices.Clone(a), make([]idEntry, len(a)))
		require.Equal(t, want, got, "seed %d", seed)
	}
}
