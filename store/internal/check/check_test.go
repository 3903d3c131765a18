package check_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/internal/check"
)

func TestVolume(t *testing.T) {
	tests := []struct {
		name    string
		in      store.Volume
		wantID  string
		wantErr string
	}{
		{"id and edition derived", store.Volume{SeriesID: "berserk", Number: 3}, "berserk/3", ""},
		{"variant id from its key", store.Volume{SeriesID: "berserk", Number: 1, Edition: store.Variant, Key: "Gold Cover"}, "berserk/1/variant/gold-cover", ""},
		{"given id kept", store.Volume{ID: "berserk/3", SeriesID: "berserk", Number: 3}, "berserk/3", ""},
		{"no series", store.Volume{Number: 3}, "", "series id is empty"},
		{"unknown edition", store.Volume{SeriesID: "b", Edition: "deluxe"}, "", `unknown edition "deluxe"`},
		{"negative price", store.Volume{SeriesID: "b", PriceCents: -1}, "", "negative price"},
		{"NUL in id", store.Volume{ID: "b\x001", SeriesID: "b"}, "", "NUL"},
		{"31 November", store.Volume{SeriesID: "b", ReleaseDate: store.Date{Year: 2024, Month: 11, Day: 31}}, "", "does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := check.Volume(tt.in)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantID, v.ID)
			assert.True(t, v.Edition.Valid())
		})
	}
}

func TestSubscriber(t *testing.T) {
	s, err := check.Subscriber(store.Subscriber{ID: "x", Email: " A@B.it", Status: store.Active})
	require.NoError(t, err)
	assert.Equal(t, "a@b.it", s.Email)
	_, err = check.Subscriber(store.Subscriber{ID: "x", Email: "a@b.it", Status: "banned"})
	require.ErrorContains(t, err, `unknown status "banned"`)
}

func TestMergeSeries(t *testing.T) {
	old := store.Series{ID: "b", Title: "Berserk", Aliases: []string{"Berserk Deluxe"}, Publisher: "Panini Comics"}
	m, write := check.MergeSeries(old, store.Series{ID: "b", Aliases: []string{"Berserk Deluxe", "Berserk"}})
	assert.False(t, write, "nothing new: the title is not its own alias")
	assert.Equal(t, old, m)
	m, write = check.MergeSeries(old, store.Series{ID: "b", Title: "Berserk Collection"})
	assert.True(t, write)
	assert.Equal(t, []string{"Berserk", "Berserk Deluxe"}, m.Aliases, "a sorted set")
	a, _ := check.MergeSeries(old, store.Series{ID: "b", Aliases: []string{"Z", "A"}})
	b, _ := check.MergeSeries(old, store.Series{ID: "b", Aliases: []string{"A"}})
	b, _ = check.MergeSeries(b, store.Series{ID: "b", Aliases: []string{"Z"}})
	assert.Equal(t, a.Aliases, b.Aliases, "the same aliases in any order and any number of merges")
	_, write = check.MergeSeries(store.Series{}, store.Series{ID: "new"})
	assert.True(t, write, "a new series is written even when bare")
}

func TestExpiredAndUpdatedAt(t *testing.T) {
	now := time.Date(2024, 10, 1, 9, 0, 0, 0, time.UTC)
	assert.False(t, check.Expired(time.Time{}, now))
	assert.True(t, check.Expired(now, now), "expires at: gone at that instant")
	assert.False(t, check.Expired(now.Add(time.Nanosecond), now))
	assert.Equal(t, now, check.UpdatedAt(now.Add(-time.Hour), now))
	assert.Equal(t, now.Add(time.Nanosecond), check.UpdatedAt(now, now))
}

func ExampleVolume() {
	v, err := check.Volume(store.Volume{SeriesID: "solo-leveling", Number: 1, Edition: store.Variant, Key: "SL-1-Anime-Variant"})
	fmt.Println(v.ID, v.Edition, err)
	_, err = check.Volume(store.Volume{SeriesID: "solo-leveling", Edition: "limited"})
	fmt.Println(err)
	// Output:
	// solo-leveling/1/variant/sl-1-anime-variant variant <nil>
	// volume "": unknown edition "limited" (want one of [first reprint variant special boxset other])
}
