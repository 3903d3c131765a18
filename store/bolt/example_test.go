package bolt_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/bolt"
)

func Example() {
	dir, _ := os.MkdirTemp("", "mangaalert")
	defer os.RemoveAll(dir)
	s, err := bolt.Open(filepath.Join(dir, "mangaalert.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	ctx := context.Background()
	now := time.Date(2024, time.October, 1, 9, 0, 0, 0, time.UTC)

	v := store.Volume{SeriesID: "solo-leveling", Number: 19, Title: "SOLO LEVELING n. 19",
		ReleaseDate: store.NewDate(2024, time.October, 29), PriceCents: 590}
	for range 2 { // the second scrape of the same page writes nothing
		res, _ := s.UpsertVolumes(ctx, []store.Volume{v}, now)
		fmt.Println(res[0].ID, res[0].Outcome)
	}
	v.ReleaseDate = store.NewDate(2024, time.November, 5)
	res, _ := s.UpsertVolumes(ctx, []store.Volume{v}, now)
	fmt.Println(res[0].ID, res[0].Outcome, res[0].Changed)

	out, _ := s.VolumesReleasing(ctx, store.NewDate(2024, time.November, 1), store.NewDate(2024, time.November, 30))
	for _, v := range out {
		fmt.Println(v.ReleaseDate, v.Title)
	}
	// Output:
	// solo-leveling/19 created
	// solo-leveling/19 unchanged
	// solo-leveling/19 updated [release_date]
	// 2024-11-05 SOLO LEVELING n. 19
}
