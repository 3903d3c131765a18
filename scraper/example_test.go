package scraper_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/manga-alert-italia/mangaalert/scraper"
	"github.com/manga-alert-italia/mangaalert/scraper/fetch"
	"github.com/manga-alert-italia/mangaalert/scraper/sample"
	"github.com/manga-alert-italia/mangaalert/store/bolt"
)

func ExampleRun() {
	// A local stand-in for www.starcomics.com with its release listing (it
	// sends Last-Modified: the second run asks conditionally).
	site := httptest.NewServer(sample.Sites()[0])
	defer site.Close()
	dir, _ := os.MkdirTemp("", "scraper-example")
	defer os.RemoveAll(dir)
	st, err := bolt.Open(filepath.Join(dir, "mangaalert.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()

	cfg := scraper.Config{
		Store:   st,
		Sources: []scraper.SourceConfig{{Source: "starcomics", Site: site.URL, Calendar: true, Weeks: 2}},
		// Politeness off: a local server. The default waits 1 s between requests to a host.
		Fetcher: fetch.New(func(f *fetch.Fetcher) { f.Pages = st; f.Delay = -1 }),
		Now:     func() time.Time { return time.Date(2024, 9, 9, 10, 0, 0, 0, time.UTC) },
	}
	for range 2 {
		rep, err := scraper.Run(context.Background(), cfg)
		if err != nil {
			fmt.Println(err)
			return
		}
		s := rep.Sources[0]
		fmt.Printf("%s: pages %d, read %d, not modified %d; volumes new %d, changed %d\n",
			s.Source, s.Pages, s.Fetched, s.NotModified, s.New, s.Changed)
	}
	// Output:
	// starcomics: pages 4, read 4, not modified 0; volumes new 10, changed 0
	// starcomics: pages 4, read 0, not modified 4; volumes new 0, changed 0
}
