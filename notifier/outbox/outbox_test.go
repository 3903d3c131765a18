package outbox_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/notifier"
	"github.com/manga-alert-italia/mangaalert/notifier/outbox"
)

func message(id string) *notifier.Message {
	return &notifier.Message{From: "Avvisi <avvisi@example.it>", To: "Lettore <lettore@example.it>", Subject: "Novità: è uscito",
		Text: "ciao", HTML: "<p>ciao</p>", ID: id, Date: time.Date(2024, 10, 1, 9, 0, 0, 0, time.UTC)}
}

func TestOutbox(t *testing.T) {
	dir := t.TempDir()
	o, err := outbox.New(filepath.Join(dir, "out"))
	require.NoError(t, err)
	ctx := context.Background()

	id1, err := o.Send(ctx, message("a@example.it"))
	require.NoError(t, err)
	id2, err := o.Send(ctx, message("b@example.it"))
	require.NoError(t, err)
	assert.NotEqual(t, id1, id2)
	// The same message again: same file, nothing new.
	again, err := o.Send(ctx, message("a@example.it"))
	require.NoError(t, err)
	assert.Equal(t, id1, again)

	entries, err := os.ReadDir(o.Dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{id1, id2}, names, "no temporary file left")
	raw, err := os.ReadFile(filepath.Join(o.Dir, id1))
	require.NoError(t, err)
	want, err := notifier.Compose(message("a@example.it"))
	require.NoError(t, err)
	assert.Equal(t, string(want), string(raw))
	assert.Regexp(t, `^20241001T090000\.000Z-lettore@example\.it-[0-9a-f]{20}\.eml$`, id1)
}

// Files sort by the messages' Date, whatever order they were sent in, and
// the same message sent again with another Date (built anew after a
// crash) is still written once.
func TestOutboxSortsByTime(t *testing.T) {
	o, err := outbox.New(t.TempDir())
	require.NoError(t, err)
	ctx := context.Background()
	at := func(m *notifier.Message, d time.Time) *notifier.Message { m.Date = d; return m }
	base := time.Date(2024, 9, 9, 10, 0, 0, 0, time.UTC)
	late, err := o.Send(ctx, at(message("z@example.it"), base.Add(25*time.Hour)))
	require.NoError(t, err)
	early, err := o.Send(ctx, at(message("y@example.it"), base))
	require.NoError(t, err)
	mid, err := o.Send(ctx, at(message("x@example.it"), base.Add(90*time.Second).In(time.FixedZone("CEST", 2*3600))))
	require.NoError(t, err)
	again, err := o.Send(ctx, at(message("y@example.it"), base.Add(time.Hour)))
	require.NoError(t, err)
	assert.Equal(t, early, again, "the same Message-ID, another Date: the file already there")

	entries, err := os.ReadDir(o.Dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.Equal(t, []string{early, mid, late}, names, "ReadDir sorts by name: by time")
	assert.True(t, strings.HasPrefix(mid, "20240909T100130.000Z-"), mid)
}

func TestOutboxErrors(t *testing.T) {
	_, err := outbox.New("")
	require.ErrorContains(t, err, "no directory")

	o, err := outbox.New(t.TempDir())
	require.NoError(t, err)
	bad := message("c@example.it")
	bad.To = "not an address"
	_, err = o.Send(context.Background(), bad)
	require.ErrorIs(t, err, notifier.ErrRejected)

	// A directory that cannot be written: the provider "refuses", nothing is
	// there, and the run would stop and release its claims.
	ro := filepath.Join(t.TempDir(), "ro")
	o, err = outbox.New(ro)
	require.NoError(t, err)
	require.NoError(t, os.Chmod(ro, 0o500))
	t.Cleanup(func() { os.Chmod(ro, 0o700) })
	if os.Geteuid() == 0 {
		t.Log("running as root: permissions do not stop writes; checking the cancelled context instead")
	} else {
		_, err = o.Send(context.Background(), message("d@example.it"))
		require.ErrorIs(t, err, notifier.ErrStopped)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = o.Send(ctx, message("e@example.it"))
	require.ErrorIs(t, err, notifier.ErrStopped)
}

func Example() {
	dir, _ := os.MkdirTemp("", "outbox")
	defer os.RemoveAll(dir)
	o, _ := outbox.New(dir)
	m := &notifier.Message{From: "avvisi@example.it", To: "lettore@example.it", Subject: "Ciao",
		Text: "Esce domani.", ID: "1@example.it", Date: time.Date(2024, 10, 28, 9, 0, 0, 0, time.UTC)}
	for range 2 {
		name, err := o.Send(context.Background(), m)
		fmt.Println(name, err)
	}
	entries, _ := os.ReadDir(dir)
	fmt.Println(len(entries), "file")
	// Output:
	// 20241028T090000.000Z-lettore@example.it-fd3189437a08b4eb8008.eml <nil>
	// 20241028T090000.000Z-lettore@example.it-fd3189437a08b4eb8008.eml <nil>
	// 1 file
}
