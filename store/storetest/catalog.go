package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/store"
)

func testSeries(t *testing.T, s store.Store) {
	ctx := context.Background()
	_, err := s.Series(ctx, "one-piece")
	require.ErrorIs(t, err, store.ErrNotFound)

	require.NoError(t, s.PutSeries(ctx, store.Series{ID: "one-piece", Title: "One Piece", Aliases: []string{"One Piece New Edition"}, Publisher: "Star Comics"}))
	require.NoError(t, s.PutSeries(ctx, store.Series{ID: "berserk", Title: "Berserk", Publisher: "Panini Comics"}))
	require.NoError(t, s.PutSeries(ctx, store.Series{ID: "one", Title: "One"}))

	// Aliases accumulate as a sorted set; an empty field erases nothing.
	require.NoError(t, s.PutSeries(ctx, store.Series{ID: "one-piece", Aliases: []string{"One Piece (Ed. Speciale)", "One Piece New Edition"}}))
	got, err := s.Series(ctx, "one-piece")
	require.NoError(t, err)
	assert.Equal(t, store.Series{ID: "one-piece", Title: "One Piece", Publisher: "Star Comics",
		Aliases: []string{"One Piece (Ed. Speciale)", "One Piece New Edition"}}, got)

	// A new title keeps the old one as an alias.
	require.NoError(t, s.PutSeries(ctx, store.Series{ID: "berserk", Title: "Berserk Collection"}))
	got, err = s.Series(ctx, "berserk")
	require.NoError(t, err)
	assert.Equal(t, "Berserk Collection", got.Title)
	assert.Equal(t, []string{"Berserk"}, got.Aliases)
	assert.Equal(t, "Panini Comics", got.Publisher)

	all, err := s.ListSeries(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"berserk", "one", "one-piece"}, ids(all, func(s store.Series) string { return s.ID }), "ordered by id")

	require.Error(t, s.PutSeries(ctx, store.Series{Title: "no id"}))
}

// testSeriesConcurrently: aliases merged by writers at once are all kept
// (two scrapers, or two sources of one run, finding the same series).
func testSeriesConcurrently(t *testing.T, s store.Store) {
	ctx := context.Background()
	require.NoError(t, s.PutSeries(ctx, store.Series{ID: "jujutsu-kaisen", Title: "Jujutsu Kaisen", Publisher: "Panini Comics"}))
	const writers = 8
	var want []string
	errs := make(chan error, writers)
	for i := range writers {
		alias := fmt.Sprintf("Jujutsu Kaisen %d", i)
		want = append(want, alias)
		go func() {
			errs <- s.PutSeries(ctx, store.Series{ID: "jujutsu-kaisen", Aliases: []string{alias}})
		}()
	}
	for range writers {
		require.NoError(t, <-errs)
	}
	got, err := s.Series(ctx, "jujutsu-kaisen")
	require.NoError(t, err)
	assert.Equal(t, want, got.Aliases, "no alias lost")
	assert.Equal(t, "Jujutsu Kaisen", got.Title)
}

func testUpsert(t *testing.T, s store.Store) {
	ctx := context.Background()
	d := store.NewDate(2024, time.October, 29)
	a, b := vol("solo-leveling", 19, "SOLO LEVELING n. 19", d), vol("solo-leveling", 20, "SOLO LEVELING n. 20", store.Date{})

	res, err := s.UpsertVolumes(ctx, []store.Volume{a, b}, t0)
	require.NoError(t, err)
	assert.Equal(t, []store.UpsertResult{{ID: a.ID, Outcome: store.Created}, {ID: b.ID, Outcome: store.Created}}, res)
	got, err := s.Volume(ctx, a.ID)
	require.NoError(t, err)
	want := a
	want.FirstSeen, want.LastSeen, want.ChangedAt = t0, t0, t0
	assert.Equal(t, want, got, "a new volume was first seen, last seen and last changed now")

	// The same scrape again, an hour later: unchanged, nothing moves.
	res, err = s.UpsertVolumes(ctx, []store.Volume{a, b}, t0.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, []store.UpsertResult{{ID: a.ID, Outcome: store.Unchanged}, {ID: b.ID, Outcome: store.Unchanged}}, res)
	got, err = s.Volume(ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, want, got, "an unchanged volume is not rewritten")

	// A source without price or date erases neither.
	bare := store.Volume{ID: a.ID, SeriesID: a.SeriesID, Number: a.Number}
	res, err = s.UpsertVolumes(ctx, []store.Volume{bare}, t0.Add(2*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, store.Unchanged, res[0].Outcome)

	// Times in a scrape are the store's to set, not the scraper's.
	stamped := a
	stamped.FirstSeen, stamped.LastSeen, stamped.ChangedAt = t0.Add(time.Hour), t0.Add(time.Hour), t0.Add(time.Hour)
	res, err = s.UpsertVolumes(ctx, []store.Volume{stamped}, t0.Add(2*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, store.Unchanged, res[0].Outcome)
	got, err = s.Volume(ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, want, got)

	// Date moved and price changed: reported by field name, with the record before.
	moved := a
	moved.ReleaseDate, moved.PriceCents = d.AddDays(7), 650
	later := t0.Add(3 * time.Hour)
	res, err = s.UpsertVolumes(ctx, []store.Volume{moved, b}, later)
	require.NoError(t, err)
	require.Len(t, res, 2)
	assert.Equal(t, store.Updated, res[0].Outcome)
	assert.ElementsMatch(t, []string{store.FieldReleaseDate, store.FieldPrice}, res[0].Changed)
	assert.Equal(t, want, res[0].Before)
	assert.Equal(t, store.Unchanged, res[1].Outcome)
	got, err = s.Volume(ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, d.AddDays(7), got.ReleaseDate)
	assert.Equal(t, 650, got.PriceCents)
	assert.Equal(t, t0, got.FirstSeen, "FirstSeen stays")
	assert.Equal(t, later, got.LastSeen)
	assert.Equal(t, later, got.ChangedAt, "a changed field moves ChangedAt")

	// A day later the same scrape refreshes LastSeen, and is still unchanged.
	dayLater := later.Add(store.LastSeenEvery)
	res, err = s.UpsertVolumes(ctx, []store.Volume{moved}, dayLater)
	require.NoError(t, err)
	assert.Equal(t, store.Unchanged, res[0].Outcome)
	got, err = s.Volume(ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, dayLater, got.LastSeen)
	assert.Equal(t, later, got.ChangedAt, "the LastSeen refresh is no change")
	rel, err := s.VolumesReleasing(ctx, moved.ReleaseDate, moved.ReleaseDate)
	require.NoError(t, err)
	require.Len(t, rel, 1)
	assert.Equal(t, got, rel[0], "the date index holds the same record")

	// The id is derived when missing, and editions default to First.
	c := vol("solo-leveling", 21, "SOLO LEVELING n. 21", store.Date{})
	c.ID, c.Edition = "", ""
	res, err = s.UpsertVolumes(ctx, []store.Volume{c}, t0)
	require.NoError(t, err)
	assert.Equal(t, "solo-leveling/21", res[0].ID)
	got, err = s.Volume(ctx, "solo-leveling/21")
	require.NoError(t, err)
	assert.Equal(t, store.First, got.Edition)

	_, err = s.Volume(ctx, "solo-leveling/99")
	require.ErrorIs(t, err, store.ErrNotFound)

	res, err = s.UpsertVolumes(ctx, nil, t0)
	require.NoError(t, err)
	assert.Empty(t, res)
}

func testUpsertRepeats(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := vol("frieren", 1, "FRIEREN n. 1", store.Date{})
	withDate := a
	withDate.ReleaseDate = store.NewDate(2024, time.November, 6)
	withPrice := store.Volume{ID: a.ID, SeriesID: a.SeriesID, Number: 1, PriceCents: 700}

	res, err := s.UpsertVolumes(ctx, []store.Volume{a, withDate, withPrice, withPrice}, t0)
	require.NoError(t, err)
	require.Len(t, res, 4)
	assert.Equal(t, store.Created, res[0].Outcome)
	assert.Equal(t, store.Updated, res[1].Outcome)
	assert.Equal(t, []string{store.FieldReleaseDate}, res[1].Changed)
	assert.Equal(t, store.Updated, res[2].Outcome)
	assert.Equal(t, []string{store.FieldPrice}, res[2].Changed)
	assert.Equal(t, withDate.ReleaseDate, res[2].Before.ReleaseDate, "merged in order")
	assert.Equal(t, store.Unchanged, res[3].Outcome, "the same again changes nothing")

	got, err := s.Volume(ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, withDate.ReleaseDate, got.ReleaseDate)
	assert.Equal(t, 700, got.PriceCents)
	assert.Equal(t, t0, got.ChangedAt)
	rel, err := s.VolumesReleasing(ctx, withDate.ReleaseDate, withDate.ReleaseDate)
	require.NoError(t, err)
	assert.Equal(t, []string{a.ID}, volIDs(rel))
}

func testUpsertBadInput(t *testing.T, s store.Store) {
	ctx := context.Background()
	good := vol("dandadan", 1, "DANDADAN n. 1", store.Date{})
	for name, bad := range map[string]store.Volume{
		"no series":       {ID: "x/1", Number: 1},
		"unknown edition": {SeriesID: "dandadan", Number: 2, Edition: "ristampa"},
		"negative number": {SeriesID: "dandadan", Number: -1},
		"impossible date": {SeriesID: "dandadan", Number: 3, ReleaseDate: store.Date{Year: 2024, Month: 2, Day: 30}},
	} {
		_, err := s.UpsertVolumes(ctx, []store.Volume{good, bad}, t0)
		require.Error(t, err, name)
	}
	_, err := s.Volume(ctx, good.ID)
	require.ErrorIs(t, err, store.ErrNotFound, "a bad volume leaves the good ones of its call unwritten")
}

func testVolumesOfSeries(t *testing.T, s store.Store) {
	ctx := context.Background()
	mk := func(series string, n int, e store.Edition, key string) store.Volume {
		v := vol(series, n, "", store.Date{})
		v.Edition, v.Key = e, key
		v.ID = store.VolumeID(series, e, n, key)
		return v
	}
	vs := []store.Volume{
		mk("one-piece", 10, store.First, ""),
		mk("one-piece", 2, store.First, ""),
		mk("one-piece", 1, store.Variant, "one-piece-1-variant"),
		mk("one-piece", 1, store.Reprint, "OP001R2"),
		mk("one-piece", 1, store.Reprint, "OP001R1"),
		mk("one-piece", 1, store.First, ""),
		mk("one-piece", 0, store.First, ""),
		mk("one", 1, store.First, ""),   // a series whose id prefixes another's
		mk("one-p", 1, store.First, ""), // and one that sorts inside it
	}
	_, err := s.UpsertVolumes(ctx, vs, t0)
	require.NoError(t, err)
	got, err := s.VolumesOfSeries(ctx, "one-piece")
	require.NoError(t, err)
	assert.Equal(t, []string{
		"one-piece/0", "one-piece/1",
		"one-piece/1/reprint/op001r1", "one-piece/1/reprint/op001r2",
		"one-piece/1/variant/one-piece-1-variant",
		"one-piece/2", "one-piece/10",
	}, volIDs(got), "by number, then edition (store.Editions order), then id")
	got, err = s.VolumesOfSeries(ctx, "one")
	require.NoError(t, err)
	assert.Equal(t, []string{"one/1"}, volIDs(got))
	got, err = s.VolumesOfSeries(ctx, "nothing")
	require.NoError(t, err)
	assert.Empty(t, got)
}

func testVolumesReleasing(t *testing.T, s store.Store) {
	ctx := context.Background()
	d := store.NewDate(2024, time.October, 29)
	vs := []store.Volume{
		vol("b", 1, "", d),
		vol("a", 1, "", d),
		vol("a", 2, "", d.AddDays(1)),
		vol("a", 3, "", d.AddDays(-1)),
		vol("a", 4, "", d.AddDays(40)), // another month: date-partitioned stores must cross it
		vol("a", 5, "", store.Date{}),
	}
	_, err := s.UpsertVolumes(ctx, vs, t0)
	require.NoError(t, err)

	got, err := s.VolumesReleasing(ctx, d, d.AddDays(1))
	require.NoError(t, err)
	assert.Equal(t, []string{"a/1", "b/1", "a/2"}, volIDs(got), "by date then id, both ends included")
	assert.Equal(t, d, got[0].ReleaseDate)

	got, err = s.VolumesReleasing(ctx, d.AddDays(-10), d.AddDays(60))
	require.NoError(t, err)
	assert.Equal(t, []string{"a/3", "a/1", "b/1", "a/2", "a/4"}, volIDs(got), "undated volumes are not releasing")

	got, err = s.VolumesReleasing(ctx, d.AddDays(2), d.AddDays(39))
	require.NoError(t, err)
	assert.Empty(t, got)

	// A date that moves moves the volume.
	moved := vol("a", 1, "", d.AddDays(40))
	_, err = s.UpsertVolumes(ctx, []store.Volume{moved}, t0)
	require.NoError(t, err)
	got, err = s.VolumesReleasing(ctx, d, d)
	require.NoError(t, err)
	assert.Equal(t, []string{"b/1"}, volIDs(got))
	got, err = s.VolumesReleasing(ctx, d.AddDays(40), d.AddDays(40))
	require.NoError(t, err)
	assert.Equal(t, []string{"a/1", "a/4"}, volIDs(got))
	assert.Equal(t, "", got[0].Title)
	assert.Equal(t, t0, got[0].FirstSeen)
}

func testUpcomingVolumes(t *testing.T, s store.Store) {
	ctx := context.Background()
	today := store.NewDate(2024, time.December, 30)
	vs := []store.Volume{
		vol("x", 1, "", today.AddDays(-1)),
		vol("x", 2, "", today),
		vol("x", 3, "", today.AddDays(5)), // next year
		vol("x", 4, "", store.Date{}),
		vol("w", 9, "", store.Date{}),
		vol("w", 8, "", today.AddDays(400)),
	}
	_, err := s.UpsertVolumes(ctx, vs, t0)
	require.NoError(t, err)
	got, err := s.UpcomingVolumes(ctx, today)
	require.NoError(t, err)
	assert.Equal(t, []string{"x/2", "x/3", "w/8", "w/9", "x/4"}, volIDs(got), "dated by date then id, then the undated by id")

	// A volume that gets its date leaves the undated ones.
	_, err = s.UpsertVolumes(ctx, []store.Volume{vol("x", 4, "", today.AddDays(1))}, t0)
	require.NoError(t, err)
	got, err = s.UpcomingVolumes(ctx, today)
	require.NoError(t, err)
	assert.Equal(t, []string{"x/2", "x/4", "x/3", "w/8", "w/9"}, volIDs(got))
}

// testUpsertSKUs: two codes of one volume (a plain SKU and an ISBN-suffixed
// one, from two pages) are one record with both codes, whichever page is
// read first; reading either again writes nothing.
func testUpsertSKUs(t *testing.T, s store.Store) {
	ctx := context.Background()
	plain := vol("jujutsu-kaisen", 25, "Jujutsu Kaisen – Sorcery Fight 25", store.NewDate(2024, time.June, 6))
	plain.SKU = "MAHER060_IT08"
	isbn := plain
	isbn.SKU = "MAHER060ISBN_IT08"
	both := "MAHER060ISBN_IT08 MAHER060_IT08"

	res, err := s.UpsertVolumes(ctx, []store.Volume{isbn}, t0)
	require.NoError(t, err)
	assert.Equal(t, store.Created, res[0].Outcome)
	res, err = s.UpsertVolumes(ctx, []store.Volume{plain}, t0.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, store.Updated, res[0].Outcome)
	assert.Equal(t, []string{store.FieldSKU}, res[0].Changed)
	got, err := s.Volume(ctx, plain.ID)
	require.NoError(t, err)
	assert.Equal(t, both, got.SKU, "both codes kept")

	res, err = s.UpsertVolumes(ctx, []store.Volume{plain, isbn}, t0.Add(2*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, store.Unchanged, res[0].Outcome)
	assert.Equal(t, store.Unchanged, res[1].Outcome)

	// The other order, in one call, gives the same record.
	other := plain
	other.ID, other.Number = store.VolumeID("jujutsu-kaisen", store.First, 26, ""), 26
	other2 := other
	other2.SKU = "MAHER060ISBN_IT08"
	_, err = s.UpsertVolumes(ctx, []store.Volume{other, other2}, t0)
	require.NoError(t, err)
	got, err = s.Volume(ctx, other.ID)
	require.NoError(t, err)
	assert.Equal(t, both, got.SKU)
}
