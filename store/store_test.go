package store_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/store"
)

func TestDate(t *testing.T) {
	d := store.NewDate(2024, time.October, 29)
	assert.Equal(t, "2024-10-29", d.String())
	assert.Equal(t, store.NewDate(2024, time.November, 1), d.AddDays(3))
	// Across the end of daylight saving (27 October 2024) a day is 25 hours:
	// calendar arithmetic must not care.
	assert.Equal(t, store.NewDate(2024, time.October, 28), store.NewDate(2024, time.October, 26).AddDays(2))
	assert.Equal(t, 30, store.NewDate(2024, time.September, 29).DaysUntil(d))
	assert.Equal(t, -30, d.DaysUntil(store.NewDate(2024, time.September, 29)))
	// 23:30 UTC on the 28th is already the 29th in Rome.
	assert.Equal(t, d, store.DateOf(time.Date(2024, time.October, 28, 23, 30, 0, 0, time.UTC)))
	assert.True(t, d.Before(d.AddDays(1)))
	assert.Equal(t, 1, store.Date{}.Compare(d), "unknown sorts last")

	b, err := json.Marshal(struct{ A, B store.Date }{A: d})
	require.NoError(t, err)
	assert.JSONEq(t, `{"A":"2024-10-29","B":null}`, string(b))
	var back struct{ A, B store.Date }
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, d, back.A)
	assert.True(t, back.B.IsZero())

	_, err = store.ParseDate("29/10/2024")
	require.ErrorContains(t, err, "want YYYY-MM-DD")
}

func TestMerge(t *testing.T) {
	now := time.Date(2024, 9, 1, 10, 0, 0, 0, time.UTC)
	old := store.Volume{ID: "s/1", Title: "S n. 1", PriceCents: 990, ReleaseDate: store.NewDate(2024, 10, 29),
		FirstSeen: now.Add(-3 * time.Hour), ChangedAt: now.Add(-2 * time.Hour), LastSeen: now.Add(-time.Hour), Edition: store.First}
	// A record stored before ChangedAt was kept.
	legacy := old
	legacy.ChangedAt = time.Time{}
	// Times in a scrape are the store's to set: they never land.
	stamped := old
	stamped.FirstSeen, stamped.LastSeen, stamped.ChangedAt = now, now, now
	tests := []struct {
		name    string
		old     store.Volume
		in      store.Volume
		now     time.Time
		changed []string
		write   bool
	}{
		{"same again writes nothing", old, old, now, nil, false},
		{"empty fields erase nothing", old, store.Volume{ID: "s/1"}, now, nil, false},
		{"incoming times are ignored", old, stamped, now, nil, false},
		{"date moved", old, store.Volume{ReleaseDate: store.NewDate(2024, 11, 5)}, now, []string{store.FieldReleaseDate}, true},
		{"price and cover", old, store.Volume{PriceCents: 1090, CoverURL: "https://x/c.jpg"}, now,
			[]string{store.FieldCover, store.FieldPrice}, true},
		{"a day later LastSeen is refreshed, ChangedAt is not", old, old, now.Add(store.LastSeenEvery), nil, true},
		{"old record: a refresh leaves ChangedAt unset", legacy, legacy, now.Add(store.LastSeenEvery), nil, true},
		{"old record: a change sets ChangedAt", legacy, store.Volume{SKU: "9788822600000"}, now, []string{store.FieldSKU}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, changed, write := store.Merge(tt.old, tt.in, tt.now)
			assert.Equal(t, tt.changed, changed)
			assert.Equal(t, tt.write, write)
			assert.Equal(t, tt.old.FirstSeen, m.FirstSeen)
			if len(changed) > 0 {
				assert.Equal(t, tt.now, m.ChangedAt, "a change moves ChangedAt")
				assert.Equal(t, tt.now, m.LastChanged())
			} else {
				assert.Equal(t, tt.old.ChangedAt, m.ChangedAt, "no change, ChangedAt stays")
				assert.Equal(t, tt.old.LastChanged(), m.LastChanged())
			}
			if write {
				assert.Equal(t, tt.now, m.LastSeen)
			} else {
				assert.Equal(t, tt.old, m)
			}
		})
	}
}

func TestLastChanged(t *testing.T) {
	first := time.Date(2024, 9, 1, 10, 0, 0, 0, time.UTC)
	v := store.Volume{FirstSeen: first, LastSeen: first.Add(48 * time.Hour)}
	assert.Equal(t, first, v.LastChanged(), "no ChangedAt: FirstSeen, never LastSeen")
	v.ChangedAt = first.Add(time.Hour)
	assert.Equal(t, first.Add(time.Hour), v.LastChanged())
	assert.True(t, store.Volume{}.LastChanged().IsZero())
}

func TestIDs(t *testing.T) {
	assert.Equal(t, "solo-leveling/19", store.VolumeID("solo-leveling", store.First, 19, ""))
	assert.Equal(t, "solo-leveling/1/variant/solo-leveling-1-anime-variant",
		store.VolumeID("solo-leveling", store.Variant, 1, "Solo-Leveling-1-Anime-Variant"))
	assert.Equal(t, "l-attacco-dei-giganti-citta", store.Slug("  L'Attacco dei Giganti: CITTÀ "))
	assert.Equal(t, "reader@example.it", store.NormalizeEmail("  Reader@Example.IT "))
	d, ok := store.Reminder(7).ReminderDays()
	assert.True(t, ok)
	assert.Equal(t, 7, d)
	_, ok = store.Announce.ReminderDays()
	assert.False(t, ok)
}

func TestErrors(t *testing.T) {
	err := fmt.Errorf("subscriber %q: %w", "x", store.ErrNotFound)
	assert.True(t, errors.Is(err, fs.ErrNotExist), "not found reads as fs.ErrNotExist")
	assert.True(t, errors.Is(store.ErrExists, fs.ErrExist))
}

func ExampleMerge() {
	now := time.Date(2024, 9, 1, 10, 0, 0, 0, time.UTC)
	stored := store.Volume{ID: "solo-leveling/19", PriceCents: 990, LastSeen: now}
	scraped := store.Volume{ID: "solo-leveling/19", ReleaseDate: store.NewDate(2024, 10, 29)}
	_, changed, write := store.Merge(stored, scraped, now)
	fmt.Println(changed, write)
	// Output: [release_date] true
}

func TestAddSKUs(t *testing.T) {
	tests := []struct{ a, b, want string }{
		{"", "", ""},
		{"MAHER060_IT08", "", "MAHER060_IT08"},
		{"", "MAHER060_IT08", "MAHER060_IT08"},
		{"MAHER060_IT08", "MAHER060ISBN_IT08", "MAHER060ISBN_IT08 MAHER060_IT08"},
		{"MAHER060ISBN_IT08", "MAHER060_IT08", "MAHER060ISBN_IT08 MAHER060_IT08"},
		{"MAHER060ISBN_IT08 MAHER060_IT08", "MAHER060_IT08", "MAHER060ISBN_IT08 MAHER060_IT08"},
		{" MAHER060_IT08 ", "MAHER060_IT08", "MAHER060_IT08"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, store.AddSKUs(tt.a, tt.b), "%q + %q", tt.a, tt.b)
		assert.Equal(t, store.AddSKUs(tt.b, tt.a), store.AddSKUs(tt.a, tt.b), "commutative")
	}
}

func TestAnnounced(t *testing.T) {
	for _, e := range store.Editions {
		assert.Equal(t, e == store.First, e.Announced(false), "%s without the box", e)
		want := e == store.First || e == store.Variant || e == store.Reprint || e == store.Special
		assert.Equal(t, want, e.Announced(true), "%s with the box", e)
	}
}
