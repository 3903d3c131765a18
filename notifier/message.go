package notifier

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Message is one email, as every Sender takes it. The same Message always
// composes to the same bytes (see Compose), so SES, SMTP and the outbox send
// exactly the same thing.
type Message struct {
	From    string // "Manga Alert Italia <avvisi@example.it>" or a bare address
	To      string // one recipient
	ReplyTo string // optional
	Subject string // UTF-8; encoded as RFC 2047 when not ASCII
	Text    string // the text/plain part
	HTML    string // the text/html part; "" sends a text-only message
	// ID is the Message-ID without angle brackets ("abc@example.it"); empty
	// means a random one, set by Compose.
	ID string
	// Date is the Date header; zero means the time Compose runs.
	Date time.Time
	// Header holds extra headers (List-Unsubscribe, List-Id, ...). The ones
	// Compose writes itself (From, To, Subject, Date, Message-ID,
	// MIME-Version, Content-Type) may not appear here.
	Header textproto.MIMEHeader
}

// Sender hands a message to a mail provider. It returns the provider's id
// for the message once the provider accepted it.
//
// Errors say whether the message went out: wrap ErrRejected when the
// provider refused this message for good, ErrStopped when it refuses to
// send anything now (the message was not sent either); any other error
// means the outcome is unknown (the provider may have accepted it).
type Sender interface {
	Send(ctx context.Context, m *Message) (messageID string, err error)
}

// Errors a Sender wraps to say what became of a message.
var (
	// ErrRejected: the provider refused this message or recipient for good;
	// it was not sent and sending it again would not help. A run marks the
	// alerts Failed and goes on.
	ErrRejected = errors.New("message rejected by the provider")
	// ErrStopped: the provider refuses to send now (sending paused,
	// unverified sender, throttled beyond the retries, bad credentials);
	// the message was not sent. A run stops and leaves its claims for the
	// next run.
	ErrStopped = errors.New("provider refuses to send")
)

// NotSent reports whether err says the message certainly did not go out.
func NotSent(err error) bool { return errors.Is(err, ErrRejected) || errors.Is(err, ErrStopped) }

// Addresses returns the bare envelope addresses of m (sender, recipient),
// validated.
func (m *Message) Addresses() (from, to string, err error) {
	f, err := mail.ParseAddress(m.From)
	if err != nil {
		return "", "", fmt.Errorf("message from %q: %w", m.From, err)
	}
	t, err := mail.ParseAddress(m.To)
	if err != nil {
		return "", "", fmt.Errorf("message to %q: %w", m.To, err)
	}
	return f.Address, t.Address, nil
}

// reserved are the headers Compose writes itself.
var reserved = []string{"From", "To", "Reply-To", "Subject", "Date", "Message-Id", "Mime-Version", "Content-Type", "Content-Transfer-Encoding"}

// Compose returns m as RFC 5322 bytes: a multipart/alternative message with
// the text part first and the HTML part second (a text/plain message when
// HTML is empty), UTF-8, quoted-printable, CRLF line ends. The output depends
// on m alone: when m.ID or m.Date is empty Compose fills them in m first, so
// composing the same Message again gives the same bytes.
func Compose(m *Message) ([]byte, error) {
	from, err := mail.ParseAddress(m.From)
	if err != nil {
		return nil, fmt.Errorf("compose: from %q: %w", m.From, err)
	}
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return nil, fmt.Errorf("compose: to %q: %w", m.To, err)
	}
	if m.Text == "" && m.HTML == "" {
		return nil, errors.New("compose: the message has no body: set Text (and HTML)")
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return nil, errors.New("compose: the subject holds a line break")
	}
	// Everything that is declared UTF-8 must be: an encoded word decodes
	// to anything, and "=FF" in a header or body is mojibake at best.
	for _, f := range []struct{ what, s string }{{"subject", m.Subject}, {"from name", from.Name}, {"to name", to.Name}} {
		if err := checkText(f.s, false); err != nil {
			return nil, fmt.Errorf("compose: the %s %w", f.what, err)
		}
	}
	for _, f := range []struct{ what, s string }{{"text part", m.Text}, {"HTML part", m.HTML}} {
		if err := checkText(f.s, true); err != nil {
			return nil, fmt.Errorf("compose: the %s %w", f.what, err)
		}
	}
	for k, vs := range m.Header {
		if slices.Contains(reserved, textproto.CanonicalMIMEHeaderKey(k)) {
			return nil, fmt.Errorf("compose: header %s is written by Compose: set the Message field instead", k)
		}
		if !validHeaderKey(k) {
			return nil, fmt.Errorf("compose: header name %q: want letters, digits and hyphens", k)
		}
		for _, v := range vs {
			if strings.ContainsAny(v, "\r\n") {
				return nil, fmt.Errorf("compose: header %s holds a line break", k)
			}
			for _, r := range v {
				if r < ' ' && r != '\t' || r >= 0x7f {
					return nil, fmt.Errorf("compose: header %s holds %q: extra headers are printable ASCII", k, r)
				}
			}
		}
	}
	if m.ID == "" {
		m.ID = RandomID(from.Address)
	}
	if m.Date.IsZero() {
		m.Date = time.Now()
	}

	var b bytes.Buffer
	hdr := func(k, v string) { fold(&b, k, v) }
	hdr("From", from.String())
	hdr("To", to.String())
	if m.ReplyTo != "" {
		r, err := mail.ParseAddress(m.ReplyTo)
		if err != nil {
			return nil, fmt.Errorf("compose: reply-to %q: %w", m.ReplyTo, err)
		}
		if err := checkText(r.Name, false); err != nil {
			return nil, fmt.Errorf("compose: the reply-to name %w", err)
		}
		hdr("Reply-To", r.String())
	}
	hdr("Subject", encodeWords(m.Subject))
	hdr("Date", m.Date.Format(time.RFC1123Z))
	hdr("Message-ID", "<"+m.ID+">")
	keys := make([]string, 0, len(m.Header))
	for k := range m.Header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range m.Header[k] {
			hdr(k, v)
		}
	}
	hdr("MIME-Version", "1.0")

	if m.HTML == "" {
		hdr("Content-Type", `text/plain; charset="utf-8"`)
		hdr("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		writeQP(&b, m.Text)
		return b.Bytes(), nil
	}
	// The boundary comes from the content, so the bytes are reproducible;
	// a hash of the parts cannot occur inside them.
	sum := sha256.Sum256([]byte(m.Text + "\x00" + m.HTML))
	boundary := "=_ma_" + hex.EncodeToString(sum[:12])
	hdr("Content-Type", `multipart/alternative; boundary="`+boundary+`"`)
	b.WriteString("\r\n")
	for _, p := range []struct{ typ, body string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		b.WriteString("--" + boundary + "\r\n")
		b.WriteString(`Content-Type: ` + p.typ + `; charset="utf-8"` + "\r\n")
		b.WriteString("Content-Transfer-Encoding: quoted-printable\r\n\r\n")
		writeQP(&b, p.body)
		b.WriteString("\r\n")
	}
	b.WriteString("--" + boundary + "--\r\n")
	return b.Bytes(), nil
}

// encodeWords is the subject as a header value. mime's encoders leave
// plain ASCII as it is, even when it looks like an encoded word: a subject
// "=?utf-8?q?a=0D=0AX:_y?=" would reach the reader decoded, line break
// and all. Such a subject is encoded whole, in base64 words of at most 45
// bytes cut at rune boundaries (each word under 75 characters).
func encodeWords(s string) string {
	if !strings.Contains(s, "=?") {
		return mime.QEncoding.Encode("utf-8", s)
	}
	var words []string
	for len(s) > 0 {
		n := 0
		for n < len(s) {
			_, size := utf8.DecodeRuneInString(s[n:])
			if n+size > 45 {
				break
			}
			n += size
		}
		words = append(words, "=?utf-8?b?"+base64.StdEncoding.EncodeToString([]byte(s[:n]))+"?=")
		s = s[n:]
	}
	return strings.Join(words, " ")
}

// checkText refuses invalid UTF-8 and control characters (line breaks and
// tabs aside when lines is set).
func checkText(s string, lines bool) error {
	if !utf8.ValidString(s) {
		return errors.New("is not valid UTF-8")
	}
	for _, r := range s {
		if lines && (r == '\n' || r == '\r' || r == '\t') {
			continue
		}
		if unicode.IsControl(r) {
			return fmt.Errorf("holds the control character %U", r)
		}
	}
	return nil
}

func validHeaderKey(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// fold writes "k: v", folding at the spaces of v so lines stay under 78
// characters where v allows it (RFC 5322 2.2.3).
func fold(b *bytes.Buffer, k, v string) {
	line := k + ":"
	for _, w := range strings.Fields(v) {
		if len(line) > len(k)+1 && len(line)+1+len(w) > 78 {
			b.WriteString(line + "\r\n")
			line = ""
		}
		line += " " + w
	}
	b.WriteString(line + "\r\n")
}

func writeQP(b *bytes.Buffer, s string) {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
	w := quotedprintable.NewWriter(b)
	_, _ = w.Write([]byte(s))
	_ = w.Close()
}

// RandomID returns a random Message-ID (without brackets) in the domain of
// the address from.
func RandomID(from string) string {
	var r [16]byte
	_, _ = rand.Read(r[:])
	return hex.EncodeToString(r[:]) + "@" + domainOf(from)
}

func domainOf(addr string) string {
	if a, err := mail.ParseAddress(addr); err == nil {
		addr = a.Address
	}
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return "localhost"
}
