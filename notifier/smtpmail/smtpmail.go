// Package smtpmail is the SMTP Sender, for SendGrid-style relays (SES
// production access can be refused): STARTTLS or implicit TLS, AUTH, and
// credentials read from a Secrets Manager JSON secret.
package smtpmail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/manga-alert-italia/mangaalert/notifier"
)

// Security is how the connection is protected.
type Security string

// The modes. Credentials never cross an unprotected connection.
const (
	// StartTLS connects in clear and upgrades with STARTTLS, which the
	// server must offer (port 587, 25). The default except on port 465.
	StartTLS Security = "starttls"
	// ImplicitTLS speaks TLS from the first byte (port 465).
	ImplicitTLS Security = "tls"
)

// Config says where and how to send. It is what the secret holds, plus the
// options of this package.
type Config struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Username string `json:"username"`
	Password string `json:"password"`
	// Security: StartTLS or ImplicitTLS; default ImplicitTLS on port 465,
	// StartTLS elsewhere.
	Security Security `json:"security,omitempty"`
	// TLS is the client's TLS configuration (default: verify Host against
	// the system roots).
	TLS *tls.Config `json:"-"`
	// HelloName is the name said in EHLO (default "localhost").
	HelloName string `json:"-"`
	// Timeout bounds one message's dialogue (default 60 s).
	Timeout time.Duration `json:"-"`
}

// String hides the password, so a Config can be logged.
func (c Config) String() string {
	return fmt.Sprintf("smtp://%s@%s (%s)", c.Username, net.JoinHostPort(c.Host, strconv.Itoa(c.Port)), c.security())
}

func (c Config) security() Security {
	switch {
	case c.Security != "":
		return c.Security
	case c.Port == 465:
		return ImplicitTLS
	}
	return StartTLS
}

// Validate says what is wrong with c.
func (c Config) Validate() error {
	var errs []error
	if c.Host == "" {
		errs = append(errs, errors.New("host is empty"))
	}
	if c.Port < 1 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("port %d is not a TCP port (587 for STARTTLS, 465 for TLS)", c.Port))
	}
	if s := c.security(); s != StartTLS && s != ImplicitTLS {
		errs = append(errs, fmt.Errorf("security %q: want %q or %q", s, StartTLS, ImplicitTLS))
	}
	if (c.Username == "") != (c.Password == "") {
		errs = append(errs, errors.New("username and password go together: set both or neither"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("smtp config: %w", errors.Join(errs...))
	}
	return nil
}

// SecretReader reads a JSON secret (the secrets package's reader).
type SecretReader interface {
	GetJSON(ctx context.Context, id string, v any) error
}

// FromSecret builds a Sender from the Secrets Manager secret id, a JSON
// object {"host", "port", "username", "password"} (and optionally
// "security"); opts adjust the rest of the Config.
func FromSecret(ctx context.Context, r SecretReader, id string, opts ...func(*Config)) (*Sender, error) {
	var c Config
	if err := r.GetJSON(ctx, id, &c); err != nil {
		return nil, fmt.Errorf("smtp: read secret %s: %w", id, err)
	}
	for _, o := range opts {
		o(&c)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("smtp: secret %s: %w", id, err)
	}
	return &Sender{cfg: c}, nil
}

// Sender sends each message on a connection of its own: alerts go out at
// about one a second, where keeping a connection buys nothing and a
// broken one costs a message.
type Sender struct {
	cfg Config
}

var _ notifier.Sender = (*Sender)(nil)

// New returns a sender for c, or what is wrong with c.
func New(c Config) (*Sender, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &Sender{cfg: c}, nil
}

var queuedAs = regexp.MustCompile(`(?i)queued as ([^\s]+)`)

// Send delivers m. Until the server has the whole message, any failure
// means it was not sent: 5xx replies to the recipient wrap ErrRejected,
// other refusals and connection failures ErrStopped. A failure after the
// final "." leaves the outcome unknown. The id returned is the relay's
// queue id when it says one ("queued as ..."), else the Message-ID.
func (s *Sender) Send(ctx context.Context, m *notifier.Message) (string, error) {
	raw, err := notifier.Compose(m)
	if err != nil {
		return "", fmt.Errorf("smtp: %w: %w", notifier.ErrRejected, err)
	}
	from, to, err := m.Addresses()
	if err != nil {
		return "", fmt.Errorf("smtp: %w: %w", notifier.ErrRejected, err)
	}
	c, err := s.dial(ctx)
	if err != nil {
		return "", fmt.Errorf("smtp: %w: %w", notifier.ErrStopped, err)
	}
	defer c.Close()
	notSent := func(step string, err error) error {
		var te *textproto.Error
		if step == "RCPT TO" && errors.As(err, &te) && te.Code >= 500 {
			return fmt.Errorf("smtp: %s %s: %w: %w", step, to, notifier.ErrRejected, err)
		}
		return fmt.Errorf("smtp: %s: %w: %w", step, notifier.ErrStopped, err)
	}
	if err := c.Mail(from); err != nil {
		return "", notSent("MAIL FROM", err)
	}
	if err := c.Rcpt(to); err != nil {
		return "", notSent("RCPT TO", err)
	}
	// DATA by hand, to read the relay's final answer (its queue id).
	id, err := c.Text.Cmd("DATA")
	if err != nil {
		return "", notSent("DATA", err)
	}
	c.Text.StartResponse(id)
	_, _, err = c.Text.ReadResponse(354)
	c.Text.EndResponse(id)
	if err != nil {
		return "", notSent("DATA", err)
	}
	w := c.Text.DotWriter()
	if _, err := w.Write(raw); err != nil {
		return "", notSent("message body", err)
	}
	if err := w.Close(); err != nil {
		// The final "." may or may not have reached the server.
		return "", fmt.Errorf("smtp: end of message: outcome unknown: %w", err)
	}
	_, msg, err := c.Text.ReadResponse(250)
	if err != nil {
		var te *textproto.Error
		if errors.As(err, &te) { // the server answered: it refused the message
			if te.Code >= 500 {
				return "", fmt.Errorf("smtp: message: %w: %w", notifier.ErrRejected, err)
			}
			return "", fmt.Errorf("smtp: message: %w: %w", notifier.ErrStopped, err)
		}
		return "", fmt.Errorf("smtp: end of message: outcome unknown: %w", err)
	}
	_ = c.Quit()
	if mm := queuedAs.FindStringSubmatch(msg); mm != nil {
		return mm[1], nil
	}
	return "<" + m.ID + ">", nil
}

func (s *Sender) dial(ctx context.Context) (*smtp.Client, error) {
	cfg := s.cfg
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	tlsCfg := cfg.TLS.Clone()
	if tlsCfg == nil {
		tlsCfg = &tls.Config{}
	}
	if tlsCfg.ServerName == "" {
		tlsCfg.ServerName = cfg.Host
	}
	tlsCfg.MinVersion = max(tlsCfg.MinVersion, tls.VersionTLS12)

	d := &net.Dialer{Deadline: deadline}
	var conn net.Conn
	var err error
	if cfg.security() == ImplicitTLS {
		conn, err = (&tls.Dialer{NetDialer: d, Config: tlsCfg}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", addr, err)
	}
	_ = conn.SetDeadline(deadline)
	c, err := smtp.NewClient(conn, cfg.Host)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("greeting from %s: %w", addr, err)
	}
	hello := cfg.HelloName
	if hello == "" {
		hello = "localhost"
	}
	if err := c.Hello(hello); err != nil {
		c.Close()
		return nil, fmt.Errorf("EHLO: %w", err)
	}
	if cfg.security() == StartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			c.Close()
			return nil, fmt.Errorf("%s does not offer STARTTLS: refusing to send in clear (use port 465 with security %q if it speaks TLS)", addr, ImplicitTLS)
		}
		if err := c.StartTLS(tlsCfg); err != nil {
			c.Close()
			return nil, fmt.Errorf("STARTTLS: %w", err)
		}
	}
	if cfg.Username != "" {
		if ok, mechs := c.Extension("AUTH"); !ok || !strings.Contains(strings.ToUpper(mechs), "PLAIN") {
			c.Close()
			return nil, fmt.Errorf("%s offers no AUTH PLAIN (offers %q)", addr, mechs)
		}
		if err := c.Auth(smtp.PlainAuth("", cfg.Username, cfg.Password, cfg.Host)); err != nil {
			c.Close()
			return nil, fmt.Errorf("AUTH as %s: %w", cfg.Username, err)
		}
	}
	return c, nil
}
