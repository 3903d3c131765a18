package notifier_test

import (
	"bytes"
	"io"
	"mime"
	"net/mail"
	"net/textproto"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/manga-alert-italia/mangaalert/notifier"
)

// FuzzCompose: whatever the fields, Compose refuses the message or writes
// one whose header block is printable ASCII with exactly the headers it
// means (no header smuggled in through a name or an encoded word), whose
// recipient is the one asked for, and whose subject decodes back to the
// valid UTF-8 it was given.
func FuzzCompose(f *testing.F) {
	for _, s := range [][4]string{
		{"Manga Alert Italia <avvisi@mangaalert.it>", "lettore@example.it", "Esce domani: ONE PIECE n. 110", "Ciao"},
		{"=?utf-8?q?x=0D=0ABcc=3A_evil@x.it?= <a@b.it>", "l@example.it", "s", "t"},
		{"a@b.it", "=?utf-8?q?=FF=FE?= <l@example.it>", "s", "t"},
		{"a@b.it", "l@example.it", "ciao \xff", "t\xff"},
		{"a@b.it", `"x\r\nBcc: evil@x.it" <l@example.it>`, "s", "t"},
		{"a@b.it", "l@example.it", "=?utf-8?q?a=0D=0AX:_y?=", "t"},
		{"a@b.it", "l@example.it", strings.Repeat("lungo ", 40), "t"},
		{"\u202e <a@b.it>", "l@example.it", "\u0000", "\u0085"},
	} {
		f.Add(s[0], s[1], s[2], s[3], "List-Id", "Manga Alert Italia <avvisi.mangaalert.it>")
	}
	f.Fuzz(func(t *testing.T, from, to, subject, text, hk, hv string) {
		m := &notifier.Message{From: from, To: to, Subject: subject, Text: text, HTML: text,
			ID: "x@mangaalert.it", Date: time.Date(2025, 3, 12, 10, 0, 0, 0, time.UTC)}
		if hk != "" {
			m.Header = map[string][]string{hk: {hv}}
		}
		raw, err := notifier.Compose(m)
		if err != nil {
			return
		}
		head, _, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
		if !ok {
			t.Fatalf("no end of headers in %q", raw)
		}
		for _, c := range head {
			if c >= 0x7f || c < ' ' && c != '\r' && c != '\n' && c != '\t' {
				t.Fatalf("header byte %q in %q", c, head)
			}
		}
		msg, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("composed message does not parse: %v\n%q", err, raw)
		}
		want := map[string]bool{"From": true, "To": true, "Subject": true, "Date": true, "Message-Id": true,
			"Mime-Version": true, "Content-Type": true}
		if hk != "" {
			want[textproto.CanonicalMIMEHeaderKey(hk)] = true
		}
		for k := range msg.Header {
			if !want[k] {
				t.Fatalf("header %q smuggled in: %q", k, head)
			}
		}
		if got, err := msg.Header.AddressList("To"); err != nil || len(got) != 1 {
			t.Fatalf("To %q: %v", msg.Header.Get("To"), err)
		} else if asked, _ := mail.ParseAddress(to); asked == nil || got[0].Address != asked.Address {
			t.Fatalf("To became %q (asked %q)", got[0].Address, to)
		}
		dec := new(mime.WordDecoder)
		s, err := dec.DecodeHeader(msg.Header.Get("Subject"))
		if err != nil || !utf8.ValidString(s) {
			t.Fatalf("subject %q decodes to %q, %v", msg.Header.Get("Subject"), s, err)
		}
		if strings.Join(strings.Fields(s), " ") != strings.Join(strings.Fields(subject), " ") {
			t.Fatalf("subject %q came back as %q", subject, s)
		}
		_, _ = io.Copy(io.Discard, msg.Body)
	})
}
