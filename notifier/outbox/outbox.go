// Package outbox is the local Sender: each message becomes one .eml file in
// a directory, written atomically, named after its Date (first, so a
// listing sorts by time) and its Message-ID, so that sending the same
// message again writes nothing new.
package outbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/manga-alert-italia/mangaalert/notifier"
)

// Outbox writes messages into Dir.
type Outbox struct {
	Dir string
}

var _ notifier.Sender = (*Outbox)(nil)

// New returns an outbox writing into dir, which it creates when missing.
func New(dir string) (*Outbox, error) {
	if dir == "" {
		return nil, errors.New("outbox: no directory: give the path where .eml files go")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	return &Outbox{Dir: dir}, nil
}

// Send writes m as <name>.eml, where name comes from the recipient and the
// Message-ID; the returned id is the file name. A message with the same
// Message-ID already in the outbox is not written again. The file appears
// whole or not at all: it is written to a temporary file in the same
// directory, synced, and renamed.
func (o *Outbox) Send(ctx context.Context, m *notifier.Message) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("outbox: %w: %w", notifier.ErrStopped, err)
	}
	raw, err := notifier.Compose(m)
	if err != nil {
		return "", fmt.Errorf("outbox: %w: %w", notifier.ErrRejected, err)
	}
	name := FileName(m)
	path := filepath.Join(o.Dir, name)
	if _, err := os.Stat(path); err == nil {
		return name, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("outbox: %w: %w", notifier.ErrStopped, err)
	}
	// The same message sent again with another Date (a run resumed after
	// a crash builds it anew) has a file of another time: find it by the
	// name's Message-ID part.
	if same, err := filepath.Glob(filepath.Join(o.Dir, "*-"+idPart(m)+".eml")); err == nil && len(same) > 0 {
		return filepath.Base(same[0]), nil
	}
	if err := writeAtomic(o.Dir, path, raw); err != nil {
		// Nothing was renamed into place: the message is not in the outbox.
		return "", fmt.Errorf("outbox: %w: %w", notifier.ErrStopped, err)
	}
	return name, nil
}

// FileName is the outbox file of m: its Date in UTC to the millisecond
// ("20240909T093000.000Z", so that names sort by time), the recipient's
// mailbox (for people looking at the directory) and a hash of the
// Message-ID. A message without a Date is named at the time of the call
// (Compose, which Send calls first, fills the Date in).
func FileName(m *notifier.Message) string {
	at := m.Date
	if at.IsZero() {
		at = time.Now()
	}
	return at.UTC().Format(TimeLayout) + "-" + idPart(m) + ".eml"
}

// TimeLayout is the time at the start of an outbox file's name: fixed
// width, so byte order is time order.
const TimeLayout = "20060102T150405.000Z"

// idPart is the name's part after the time: mailbox and Message-ID hash.
func idPart(m *notifier.Message) string {
	sum := sha256.Sum256([]byte(m.ID))
	local := m.To
	if _, to, err := m.Addresses(); err == nil {
		local = to
	}
	local = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_', r == '@':
			return r
		}
		return '_'
	}, local)
	if len(local) > 64 {
		local = local[:64]
	}
	return local + "-" + hex.EncodeToString(sum[:10])
}

func writeAtomic(dir, path string, b []byte) error {
	f, err := os.CreateTemp(dir, ".tmp-*.eml")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op once renamed
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o640); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	// Sync the directory so the rename survives a crash.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
