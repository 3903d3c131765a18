package notifier_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/notifier"
	"github.com/manga-alert-italia/mangaalert/store"
)

// testLinks makes links the way the backend does, without its signatures.
type testLinks struct{}

func (testLinks) UnsubscribeURL(s store.Subscriber) string {
	return "https://mangaalert.example/disiscriviti?t=tok-" + url.QueryEscape(s.ID)
}
func (testLinks) ManageURL(s store.Subscriber) string {
	return "https://mangaalert.example/serie?t=tok-" + url.QueryEscape(s.ID)
}
func (testLinks) SeriesURL(id string) string { return "https://mangaalert.example/serie/" + id }

// PrivacyURL makes testLinks a notifier.PrivacyLinks, as the backend's are.
func (testLinks) PrivacyURL() string { return "https://mangaalert.example/privacy" }

// sent is one message a recSender accepted.
type sent struct {
	msg *notifier.Message
	raw []byte
	id  string
}

// recSender records what it sends; fail, when set, decides the outcome of
// the nth send (1-based) before it is recorded.
type recSender struct {
	mu   sync.Mutex
	n    int
	sent []sent
	fail func(n int, m *notifier.Message) error
}

func (s *recSender) Send(_ context.Context, m *notifier.Message) (string, error) {
	raw, err := notifier.Compose(m)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	if s.fail != nil {
		if err := s.fail(s.n, m); err != nil {
			return "", err
		}
	}
	id := fmt.Sprintf("msg-%04d", len(s.sent)+1)
	s.sent = append(s.sent, sent{msg: m, raw: raw, id: id})
	return id, nil
}

func (s *recSender) messages() []sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sent)
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// newNotifier returns a notifier on st with test defaults and a fake clock.
func newNotifier(st notifier.Store, s notifier.Sender, clock notifier.Clock, opts ...func(*notifier.Notifier)) *notifier.Notifier {
	base := func(n *notifier.Notifier) {
		n.From = "Manga Alert Italia <avvisi@mangaalert.example>"
		n.AccountFrom = "Manga Alert Italia <account@mangaalert.example>"
		n.UnsubscribeMailto = "unsubscribe@mangaalert.example"
		n.Clock = clock
		n.Logger = quiet
		n.Rate = 1000
		runs := 0
		n.NewRunID = func() string { runs++; return fmt.Sprintf("run-%s-%d", clock.Now().UTC().Format("0102T1504"), runs) }
	}
	return notifier.New(st, s, testLinks{}, append([]func(*notifier.Notifier){base}, opts...)...)
}

// at is a time in Rome.
func at(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, store.Rome) }

func vol(series string, n int, date store.Date, firstSeen time.Time) store.Volume {
	title := strings.ToUpper(strings.ReplaceAll(series, "-", " ")) + fmt.Sprintf(" n. %d", n)
	return store.Volume{ID: store.VolumeID(series, store.First, n, ""), SeriesID: series, Number: n, Edition: store.First,
		Title: title, Publisher: "Star Comics", ReleaseDate: date, PriceCents: 590,
		CoverURL:  "https://img.example/" + series + fmt.Sprint(n) + ".jpg",
		SourceURL: "https://publisher.example/" + series + "/" + fmt.Sprint(n), FirstSeen: firstSeen, LastSeen: firstSeen}
}

func reader(id string) store.Subscriber {
	return store.Subscriber{ID: id, Email: id + "@lettori.example", Status: store.Active}
}

// alertSet renders the alerts of a store as sorted "sub|vol|kind state".
func alertSet(as []store.Alert) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.String()+" "+string(a.State))
	}
	slices.Sort(out)
	return out
}

func runOK(t *testing.T, n *notifier.Notifier) *notifier.Report {
	t.Helper()
	rep, err := n.Run(context.Background())
	require.NoError(t, err)
	return rep
}
