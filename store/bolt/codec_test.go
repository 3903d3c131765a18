package bolt

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bbolt "go.etcd.io/bbolt"

	"github.com/manga-alert-italia/mangaalert/store"
)

func TestCodecRoundTrip(t *testing.T) {
	at := time.Date(2024, 10, 29, 8, 30, 1, 999, time.UTC)
	v := store.Volume{ID: "s/1/variant/k", SeriesID: "s", Number: 1, Edition: store.Variant, Key: "k",
		Title: "S n. 1 VARIANT", Publisher: "J-POP", ReleaseDate: store.NewDate(2024, 10, 29), PriceCents: 1290,
		CoverURL: "https://x/c.jpg", SourceURL: "https://x/s", SKU: "978880000", FirstSeen: at, LastSeen: at.Add(time.Hour),
		ChangedAt: at.Add(time.Minute)}
	gotV, err := decodeVolume(encodeVolume(v))
	require.NoError(t, err)
	assert.Equal(t, v, gotV)

	sr := store.Series{ID: "s", Title: "S", Aliases: []string{"Ess", "Città"}, Publisher: "Dynit"}
	gotS, err := decodeSeries(encodeSeries(sr))
	require.NoError(t, err)
	assert.Equal(t, sr, gotS)

	sub := store.Subscriber{ID: "id", Email: "a@b.it", Status: store.Pending, Variants: true, TokenHash: "ff",
		CreatedAt: at, UpdatedAt: at, ExpiresAt: at.Add(48 * time.Hour)}
	gotSub, err := decodeSubscriber(encodeSubscriber(sub))
	require.NoError(t, err)
	assert.Equal(t, sub, gotSub)
	st, exp, err := subscriberHead(encodeSubscriber(sub))
	require.NoError(t, err)
	assert.Equal(t, store.Pending, st)
	assert.Equal(t, sub.ExpiresAt, exp)

	a := store.Alert{AlertKey: store.AlertKey{SubscriberID: "id", VolumeID: "s/1", Kind: store.Reminder(7)},
		State: store.Failed, RunID: "r", MessageID: "m", Error: "bounced", ReleaseDate: store.NewDate(2025, 1, 1), ClaimedAt: at, UpdatedAt: at}
	gotA, err := decodeAlert(a.AlertKey, encodeAlert(a))
	require.NoError(t, err)
	assert.Equal(t, a, gotA)

	p := store.Page{URL: "https://x/", ETag: `"e"`, LastModified: "yesterday", ContentHash: "00", FetchedAt: at}
	gotP, err := decodePage(encodePage(p))
	require.NoError(t, err)
	assert.Equal(t, p, gotP)
}

func TestCodecOldAndBadRecords(t *testing.T) {
	// A record written before a field was appended reads it as zero.
	e := newEncoder(16)
	e.str("https://x/")
	e.str(`"e"`)
	p, err := decodePage(e.b)
	require.NoError(t, err)
	assert.Equal(t, store.Page{URL: "https://x/", ETag: `"e"`}, p)

	// A volume written before ChangedAt was appended: the same bytes
	// without the last field read it as zero, and LastChanged falls back
	// to FirstSeen.
	at := time.Date(2024, 10, 29, 8, 30, 1, 0, time.UTC)
	v := store.Volume{ID: "s/1", SeriesID: "s", Number: 1, Edition: store.First, Title: "S n. 1",
		FirstSeen: at, LastSeen: at.Add(48 * time.Hour), ChangedAt: at.Add(time.Hour)}
	enc := encodeVolume(v)
	oldV, err := decodeVolume(enc[:len(enc)-len(encodeTime(v.ChangedAt))])
	require.NoError(t, err)
	want := v
	want.ChangedAt = time.Time{}
	assert.Equal(t, want, oldV)
	assert.Equal(t, at, oldV.LastChanged())

	for name, b := range map[string][]byte{
		"empty":             nil,
		"unknown version":   {9, 0},
		"string past end":   {codecVersion, 10, 'a'},
		"unterminated uint": {codecVersion, 0x80},
	} {
		_, err := decodePage(b)
		require.ErrorIs(t, err, errCorrupt, name)
	}
}

func TestKeysSort(t *testing.T) {
	d := store.NewDate(2024, 12, 31)
	assert.Negative(t, compare(dateKey(d, "z"), dateKey(d.AddDays(1), "a")))
	assert.Negative(t, compare(dateKey(d.AddDays(400), "z"), dateKey(store.Date{}, "a")), "undated last")
	v := func(n int, e store.Edition) store.Volume {
		return store.Volume{SeriesID: "s", ID: "s/x", Number: n, Edition: e}
	}
	assert.Negative(t, compare(seriesKey(v(0, store.Other)), seriesKey(v(1, store.First))))
	assert.Negative(t, compare(seriesKey(v(2, store.Variant)), seriesKey(v(10, store.First))))
	assert.Negative(t, compare(seriesKey(v(2, store.First)), seriesKey(v(2, store.Reprint))))
	before := time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC)
	assert.Negative(t, compare(timeKey(before, "b"), timeKey(before.Add(time.Nanosecond), "a")))
}

// encodeTime is the bytes the codec writes for t.
func encodeTime(t time.Time) []byte {
	e := &encoder{}
	e.time(t)
	return e.b
}

func compare(a, b []byte) int { return bytes.Compare(a, b) }

// A file written before ChangedAt was kept still serves, and upserts over
// its volumes: a LastSeen refresh leaves ChangedAt unset (it reads as
// FirstSeen), a change sets it.
func TestVolumesWithoutChangedAt(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "old.db"), func(o *Options) { o.NoSync = true })
	require.NoError(t, err)
	defer s.Close()
	t0 := time.Date(2024, 10, 1, 9, 0, 0, 0, time.UTC)
	d := store.NewDate(2024, 10, 29)
	v := store.Volume{SeriesID: "frieren", Number: 1, Title: "FRIEREN n. 1", ReleaseDate: d}
	_, err = s.UpsertVolumes(ctx, []store.Volume{v}, t0)
	require.NoError(t, err)
	// Rewrite the record and its date index copy as the old codec did.
	require.NoError(t, s.db.Update(func(tx *bbolt.Tx) error {
		stored, err := decodeVolume(tx.Bucket(bucketVolumes).Get([]byte("frieren/1")))
		if err != nil {
			return err
		}
		enc := encodeVolume(stored)
		old := enc[:len(enc)-len(encodeTime(stored.ChangedAt))]
		if err := tx.Bucket(bucketVolumes).Put([]byte(stored.ID), old); err != nil {
			return err
		}
		return tx.Bucket(bucketVolDate).Put(dateKey(d, stored.ID), old)
	}))
	got, err := s.Volume(ctx, "frieren/1")
	require.NoError(t, err)
	assert.True(t, got.ChangedAt.IsZero())
	assert.Equal(t, t0, got.LastChanged())

	day := t0.Add(store.LastSeenEvery)
	res, err := s.UpsertVolumes(ctx, []store.Volume{v}, day)
	require.NoError(t, err)
	assert.Equal(t, store.Unchanged, res[0].Outcome)
	rel, err := s.VolumesReleasing(ctx, d, d)
	require.NoError(t, err)
	require.Len(t, rel, 1)
	assert.Equal(t, day, rel[0].LastSeen, "refreshed")
	assert.True(t, rel[0].ChangedAt.IsZero(), "a refresh is no change")

	v.ReleaseDate = d.AddDays(7)
	res, err = s.UpsertVolumes(ctx, []store.Volume{v}, day.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, store.Updated, res[0].Outcome)
	got, err = s.Volume(ctx, "frieren/1")
	require.NoError(t, err)
	assert.Equal(t, day.Add(time.Hour), got.ChangedAt)
	assert.Equal(t, t0, got.FirstSeen)
}
