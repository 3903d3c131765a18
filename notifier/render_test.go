package notifier_test

import (
	"bytes"
	"flag"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/notifier"
	"github.com/manga-alert-italia/mangaalert/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -run %s -update to write it", t.Name())
	assert.Equal(t, string(want), string(got), "%s differs: if the change is meant, go test -run %s -update", path, t.Name())
}

// TestGolden renders one email of each kind and a digest, through a whole
// run, and compares text, HTML and the composed message with testdata.
func TestGolden(t *testing.T) {
	release := store.NewDate(2024, time.October, 29)
	cases := []struct {
		name string
		now  time.Time
		vols []store.Volume
	}{
		{"announce", at(2024, time.September, 2, 9), []store.Volume{vol("solo-leveling", 19, release, at(2024, time.September, 1, 10))}},
		{"remind-30", at(2024, time.September, 29, 9), []store.Volume{vol("solo-leveling", 19, release, at(2024, time.January, 1, 10))}},
		{"remind-7", at(2024, time.October, 22, 9), []store.Volume{vol("solo-leveling", 19, release, at(2024, time.January, 1, 10))}},
		{"remind-1", at(2024, time.October, 28, 9), []store.Volume{vol("solo-leveling", 19, release, at(2024, time.January, 1, 10))}},
		{"digest", at(2024, time.October, 28, 9), []store.Volume{
			vol("solo-leveling", 19, release, at(2024, time.January, 1, 10)),           // remind-1
			vol("chainsaw-man", 17, release.AddDays(6), at(2024, time.January, 1, 10)), // remind-7
			vol("dandadan", 15, store.Date{}, at(2024, time.October, 27, 10)),          // announce, no date
			func() store.Volume { // announce, no cover, no price, an ampersand
				v := vol("spy-family", 14, store.NewDate(2025, time.January, 14), at(2024, time.October, 28, 7))
				v.Title, v.CoverURL, v.PriceCents, v.Publisher = "SPY×FAMILY n. 14 <Limited> & co.", "", 0, "Planet Manga"
				return v
			}(),
			func() store.Volume { // remind-30, a price over a thousand euro
				v := vol("one-piece", 1000, release.AddDays(20), at(2024, time.January, 1, 10))
				v.Title, v.PriceCents = "ONE PIECE Box n. 1000", 125050
				return v
			}(),
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := newTestStore(t)
			clock := notifier.NewFakeClock(tc.now)
			snd := &recSender{}
			n := newNotifier(st, snd, clock)
			for _, v := range tc.vols {
				st.putVolume(v)
				st.follow(store.Follow{SubscriberID: "lettore-1", SeriesID: v.SeriesID, CreatedAt: at(2024, time.August, 1, 9)})
			}
			st.putSubscriber(store.Subscriber{ID: "lettore-1", Email: "giulia.rossi@lettori.example", Status: store.Active})
			runOK(t, n)
			msgs := snd.messages()
			require.Len(t, msgs, 1)
			m := msgs[0]
			golden(t, tc.name+".txt", []byte(m.msg.Text))
			golden(t, tc.name+".html", []byte(m.msg.HTML))
			golden(t, tc.name+".eml", m.raw)
			checkMessage(t, m.raw, m.msg)
		})
	}
}

// checkMessage parses a composed alert as a mail client would.
func checkMessage(t *testing.T, raw []byte, m *notifier.Message) {
	t.Helper()
	for _, line := range strings.Split(string(raw), "\r\n") {
		require.LessOrEqual(t, len(line), 998, "RFC 5322 line limit")
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	require.NoError(t, err)
	h := msg.Header
	subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	require.NoError(t, err)
	assert.Equal(t, m.Subject, subject)
	assert.Equal(t, "List-Unsubscribe=One-Click", h.Get("List-Unsubscribe-Post"))
	lu := h.Get("List-Unsubscribe")
	assert.Regexp(t, `^<https://[^>]+>, <mailto:unsubscribe@mangaalert\.example\?subject=unsubscribe%20[^>]+>$`, lu)
	assert.NotEmpty(t, h.Get("List-Id"))
	assert.Regexp(t, `^<[0-9a-f]{32}@mangaalert\.example>$`, h.Get("Message-Id"))
	_, err = h.Date()
	require.NoError(t, err)
	from, err := mail.ParseAddress(h.Get("From"))
	require.NoError(t, err)
	assert.Equal(t, "avvisi@mangaalert.example", from.Address)

	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	require.NoError(t, err)
	require.Equal(t, "multipart/alternative", mt)
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var types []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		types = append(types, p.Header.Get("Content-Type"))
		body, err := io.ReadAll(p) // quoted-printable decoded by the reader
		require.NoError(t, err)
		switch {
		case strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain"):
			assert.Equal(t, strings.ReplaceAll(m.Text, "\n", "\r\n"), string(body))
			assert.Contains(t, string(body), "Annulla l'iscrizione: https://")
			assert.Contains(t, string(body), "Gestisci le serie che segui: https://")
		default:
			assert.Equal(t, strings.ReplaceAll(m.HTML, "\n", "\r\n"), string(body))
		}
	}
	assert.Equal(t, []string{`text/plain; charset="utf-8"`, `text/html; charset="utf-8"`}, types)
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		date  store.Date
		cents int
		d, p  string
	}{
		{store.NewDate(2024, time.October, 29), 990, "29 ottobre 2024", "9,90 €"},
		{store.NewDate(2025, time.January, 1), 5, "1 gennaio 2025", "0,05 €"},
		{store.NewDate(2024, time.December, 31), 125050, "31 dicembre 2024", "1.250,50 €"},
		{store.Date{}, 0, "", ""},
		{store.NewDate(2024, time.March, 3), 100000000, "3 marzo 2024", "1.000.000,00 €"},
	} {
		assert.Equal(t, tc.d, notifier.FormatDate(tc.date))
		assert.Equal(t, tc.p, notifier.FormatPrice(tc.cents))
	}
}

func TestRenderEscapes(t *testing.T) {
	e := notifier.Entry{Kind: store.Announce, Title: `<script>alert(1)</script> & "co"`, URL: "javascript:alert(1)",
		SeriesURL: "https://x.example/s", CoverURL: "https://img.example/c.jpg"}
	_, text, html, err := notifier.Render([]notifier.Entry{e}, "https://x.example/u", "https://x.example/m")
	require.NoError(t, err)
	assert.NotContains(t, html, "<script>")
	assert.NotContains(t, html, `href="javascript:`, "html/template neutralises unsafe URLs")
	assert.Contains(t, text, `<script>alert(1)</script> & "co"`, "the text part is plain text")
}
