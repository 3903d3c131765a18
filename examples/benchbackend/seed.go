package main

import (
	"context"
	"fmt"
	"time"

	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/bolt"
)

var publishers = []string{"Star Comics", "Panini Comics", "J-POP", "Edizioni BD"}

// seedStore writes n volumes of 20 per series, their release dates spread
// over the year around now, and returns how many fall in the default
// window of /api/v1/releases (today and the next 13 days).
func seedStore(ctx context.Context, path string, n int, now time.Time) (int, int, error) {
	st, err := bolt.Open(path, func(o *bolt.Options) { o.NoSync = true })
	if err != nil {
		return 0, 0, err
	}
	defer st.Close()
	today := store.DateOf(now)
	var batch []store.Volume
	window := 0
	for i := range n {
		sid := fmt.Sprintf("serie-%03d", i/20)
		if i%20 == 0 {
			err := st.PutSeries(ctx, store.Series{ID: sid, Title: fmt.Sprintf("Serie %03d", i/20), Publisher: publishers[(i/20)%len(publishers)]})
			if err != nil {
				return 0, 0, err
			}
		}
		off := (i*7919)%365 - 182 // scattered, not in series order
		d := today.AddDays(off)
		if off >= 0 && off <= 13 {
			window++
		}
		batch = append(batch, store.Volume{
			SeriesID: sid, Number: i%20 + 1, Edition: store.First,
			Title:       fmt.Sprintf("SERIE %03d n. %d", i/20, i%20+1),
			Publisher:   publishers[(i/20)%len(publishers)],
			ReleaseDate: d, PriceCents: 490 + (i%7)*100,
			CoverURL:  fmt.Sprintf("https://editore.example/cover/%d.jpg", i),
			SourceURL: fmt.Sprintf("https://editore.example/volume/%d", i),
		})
		if len(batch) == 500 {
			if _, err := st.UpsertVolumes(ctx, batch, now); err != nil {
				return 0, 0, err
			}
			batch = batch[:0]
		}
	}
	if len(batch) > 0 {
		if _, err := st.UpsertVolumes(ctx, batch, now); err != nil {
			return 0, 0, err
		}
	}
	c, err := st.Counts(ctx)
	if err != nil {
		return 0, 0, err
	}
	if c.Volumes != n {
		return 0, 0, fmt.Errorf("seeded %d volumes, store counts %d", n, c.Volumes)
	}
	return n, window, nil
}
