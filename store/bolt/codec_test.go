package bolt

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/store"
)

func TestCodecRoundTrip(t *testing.T) {
	at := time.Date(2024, 10, 29, 8, 30, 1, 999, time.UTC)
	v := store.Volume{ID: "s/1/variant/k", SeriesID: "s", Number: 1, Edition: store.Variant, Key: "k",
		Title: "S n. 1 VARIANT", Publisher: "J-POP", ReleaseDate: store.NewDate(2024, 10, 29), PriceCents: 1290,
		CoverURL: "https://x/c.jpg", SourceURL: "https://x/s", SKU: "978880000", FirstSeen: at, LastSeen: at.Add(time.Hour)}
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

func compare(a, b []byte) int { return bytes.Compare(a, b) }
