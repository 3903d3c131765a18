package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/manga-alert-italia/mangaalert/backend"
	"github.com/manga-alert-italia/mangaalert/internal/awslite"
	"github.com/manga-alert-italia/mangaalert/notifier"
	"github.com/manga-alert-italia/mangaalert/notifier/outbox"
	"github.com/manga-alert-italia/mangaalert/notifier/sesmail"
	"github.com/manga-alert-italia/mangaalert/notifier/smtpmail"
	"github.com/manga-alert-italia/mangaalert/secrets"
	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/bolt"
	"github.com/manga-alert-italia/mangaalert/store/dynamo"
)

// envPrefix names the environment variable of every flag: --base-url is
// MANGAALERT_BASE_URL. A flag given on the command line wins.
const envPrefix = "MANGAALERT_"

// envSigningKey carries the signing key's current text, injected by ECS
// from Secrets Manager (valueFrom): it has no flag, so that no key is ever
// typed on a command line.
const envSigningKey = envPrefix + "SIGNING_KEY"

func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// envOnlyFlags are the secrets taken only from the environment, never from
// the command line; each names its other sources for the refusal message.
var envOnlyFlags = map[string]string{
	"ses-event-secret": ", or give --ses-event-secret-arn SECRET (Secrets Manager) or --ses-event-secret-file FILE",
}

// newFlags is a command's flag set whose help is the usage line, a
// paragraph on what the command does, then the flags.
func newFlags(name, usage, about string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "%s\n\n%s\n\n", usage, about)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, then fills every flag not given from its
// environment variable, and names that variable in the flag's help.
// It returns exitOK for --help, exitUsage on a bad flag, or -1 to go on.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) int {
	fs.VisitAll(func(f *flag.Flag) {
		f.Usage += " (env " + envName(f.Name) + ")"
	})
	// The flag package prints the usage itself on -h and on a bad flag:
	// silenced here and printed once below, to stdout when asked for.
	usage := fs.Usage
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.Usage = usage
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return exitOK
		}
		fs.Usage() // after the flag package's line saying what was wrong
		return exitUsage
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for name, instead := range envOnlyFlags {
		if given[name] {
			fmt.Fprintf(fs.Output(), "%s: --%s is refused on the command line, where the process list shows it to every user of the host: set %s (ECS injects it from Secrets Manager)%s\n",
				fs.Name(), name, envName(name), instead)
			return exitUsage
		}
	}
	var bad error
	fs.VisitAll(func(f *flag.Flag) {
		v, ok := os.LookupEnv(envName(f.Name))
		if given[f.Name] || !ok || bad != nil {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			bad = fmt.Errorf("%s=%q: %w", envName(f.Name), v, err)
		}
	})
	if bad != nil {
		fmt.Fprintf(fs.Output(), "%s: %v\n", fs.Name(), bad)
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q (see --help)\n", fs.Name(), fs.Arg(0))
		return exitUsage
	}
	return -1
}

// usageError is a configuration mistake: exit status 2, and a message that
// says what to change.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// exitFor maps an error to the exit status: usage errors are 2.
func exitFor(err error) int {
	var u *usageError
	if errors.As(err, &u) {
		return exitUsage
	}
	return exitFail
}

// settings is the configuration the runtime commands share.
type settings struct {
	store          string
	sender         string
	from           string
	accountFrom    string
	unsubscribe    string
	baseURL        string
	signingKeyARN  string
	signingKeyFile string
	smtpConfig     string
	sesConfigSet   string
	logFormat      string
	logLevel       string
	today          string
	sesNoQuota     bool
	// existingStore: a bolt file that is not there is a mistyped path,
	// unless createStore says to start an empty one.
	existingStore bool
	createStore   bool

	awsOnce sync.Once
	aws     aws.Config
	awsErr  error
	reader  *secrets.Reader
}

// register adds the flags; mail says whether the command sends mail.
func (s *settings) register(fs *flag.FlagSet, mail bool) {
	fs.StringVar(&s.store, "store", "bolt:mangaalert.db", "where data lives: `dynamodb:TABLE` or bolt:PATH")
	fs.StringVar(&s.logFormat, "log-format", "json", "log format: json or text")
	fs.StringVar(&s.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&s.today, "today", "", "pretend today is this `date` (YYYY-MM-DD, from 10:00 in Rome, then at the clock's pace): to replay saved pages; never in production")
	if !mail {
		return // scrape fills the catalogue: it may make the store
	}
	s.existingStore = true
	fs.BoolVar(&s.createStore, "create-store", false, "with --store bolt:PATH, make an empty store when PATH is not there (default: a missing file is an error, most likely a mistyped path)")
	fs.StringVar(&s.sender, "sender", "outbox:outbox", "how mail leaves: ses, smtp or outbox:`DIR`")
	fs.StringVar(&s.from, "from", "Manga Alert Italia <avvisi@mangaalert.example>", "the alerts' sender `address`")
	fs.StringVar(&s.accountFrom, "account-from", "Manga Alert Italia <account@mangaalert.example>", "the sender `address` of account mail (confirmations); not the alerts' one")
	fs.StringVar(&s.unsubscribe, "unsubscribe-mailto", "", "the `address` of the mailto List-Unsubscribe link (default: unsubscribe@ the alerts' domain)")
	fs.StringVar(&s.baseURL, "base-url", "http://127.0.0.1:8080", "the site's public `URL`, which links in mail point to")
	fs.StringVar(&s.signingKeyARN, "signing-key-arn", "", "the Secrets Manager `secret` (name or ARN; or a Parameter Store parameter's ARN, which keeps no previous version) of the token signing key; its previous version is accepted during a rotation")
	fs.StringVar(&s.signingKeyFile, "signing-key-file", "", "a `file` holding the signing key, made on first use (for a laptop); ignored with --signing-key-arn or "+envSigningKey)
	fs.StringVar(&s.smtpConfig, "smtp-config", "", "with --sender smtp: the JSON `secret` with host, port, username, password (a Secrets Manager name or ARN, or a Parameter Store parameter's ARN)")
	fs.BoolVar(&s.sesNoQuota, "ses-no-quota", false, "with --sender ses: pace by --rate alone, without asking SES for the account's quota (a role without ses:GetAccount, or an emulator)")
	fs.StringVar(&s.sesConfigSet, "ses-configuration-set", "", "with --sender ses: the SES configuration `set` that publishes bounces and complaints")
}

func (s *settings) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(s.logLevel)); err != nil {
		return nil, usagef("--log-level %q: want debug, info, warn or error", s.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch s.logFormat {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, usagef("--log-format %q: want json or text", s.logFormat)
}

// awsConfig reads the AWS configuration from the environment once
// (awsFromEnv; AWS_ENDPOINT_URL points it at an emulator). The calls are
// made by internal/awslite, not the SDK's service clients: those are
// about 5 MB of the image for a handful of JSON requests.
func (s *settings) awsConfig(context.Context) (aws.Config, error) {
	s.awsOnce.Do(func() {
		s.aws = awsFromEnv(os.Getenv)
		if s.aws.Region == "" {
			s.awsErr = usagef("no AWS region: set AWS_REGION")
		}
	})
	return s.aws, s.awsErr
}

// secretReader reads secrets from Secrets Manager, or from Parameter Store
// when the id is a parameter's ARN (the deploy tool's secret_store "ssm").
func (s *settings) secretReader(ctx context.Context) (*secrets.Reader, error) {
	if s.reader == nil {
		cfg, err := s.awsConfig(ctx)
		if err != nil {
			return nil, err
		}
		s.reader = secrets.NewReader(awslite.NewSecrets(awslite.FromAWS(cfg)))
	}
	return s.reader, nil
}

// openStore opens the store the --store flag names.
func (s *settings) openStore(ctx context.Context) (store.Store, error) {
	kind, arg, _ := strings.Cut(s.store, ":")
	switch {
	case kind == "bolt" && arg != "":
		if _, err := os.Stat(arg); errors.Is(err, os.ErrNotExist) && s.existingStore && !s.createStore {
			return nil, usagef("--store %s: there is no database at %s; check the path (scrape makes it), or give --create-store to start an empty one", s.store, arg)
		}
		if err := os.MkdirAll(filepath.Dir(arg), 0o750); err != nil {
			return nil, fmt.Errorf("store %s: %w", s.store, err)
		}
		clock, err := s.clock()
		if err != nil {
			return nil, err
		}
		st, err := bolt.Open(arg, func(o *bolt.Options) { o.Now = clock.Now })
		if err != nil {
			return nil, fmt.Errorf("store %s: %w", s.store, err)
		}
		return st, nil
	case kind == "dynamodb" && arg != "":
		cfg, err := s.awsConfig(ctx)
		if err != nil {
			return nil, err
		}
		clock, err := s.clock()
		if err != nil {
			return nil, err
		}
		return dynamo.New(awslite.NewDynamoDB(awslite.FromAWS(cfg)), arg, func(o *dynamo.Options) { o.Now = clock.Now }), nil
	}
	return nil, usagef("--store %q: want dynamodb:TABLE or bolt:PATH", s.store)
}

// clock is the wall clock, or with --today a clock living on that day.
func (s *settings) clock() (demoClock, error) {
	if s.today == "" {
		return demoClock{}, nil
	}
	d, err := store.ParseDate(s.today)
	if err != nil || d.IsZero() {
		return demoClock{}, usagef("--today %q: want a date such as 2024-09-09", s.today)
	}
	day := d.Time().Add(10 * time.Hour)
	return demoClock{offset: time.Until(day)}, nil
}

// openSender builds the sender the --sender flag names.
func (s *settings) openSender(ctx context.Context) (notifier.Sender, error) {
	kind, arg, _ := strings.Cut(s.sender, ":")
	switch {
	case kind == "outbox" && arg != "":
		return outbox.New(arg)
	case kind == "ses" && arg == "":
		cfg, err := s.awsConfig(ctx)
		if err != nil {
			return nil, err
		}
		return sesmail.New(awslite.NewSES(awslite.FromAWS(cfg)), func(x *sesmail.Sender) {
			x.ConfigurationSet = s.sesConfigSet
			x.NoQuota = s.sesNoQuota
		}), nil
	case kind == "smtp" && arg == "":
		if s.smtpConfig == "" {
			return nil, usagef("--sender smtp needs --smtp-config: the JSON secret (Secrets Manager, or a Parameter Store parameter's ARN) with host, port, username and password")
		}
		r, err := s.secretReader(ctx)
		if err != nil {
			return nil, err
		}
		return smtpmail.FromSecret(ctx, r, s.smtpConfig)
	}
	return nil, usagef("--sender %q: want ses, smtp or outbox:DIR", s.sender)
}

// checkMail refuses addresses that cannot be parsed, before anything runs.
func (s *settings) checkMail() error {
	for flagName, v := range map[string]string{"from": s.from, "account-from": s.accountFrom} {
		if _, err := mail.ParseAddress(v); err != nil {
			return usagef("--%s %q is not an email address such as \"Manga Alert Italia <avvisi@example.it>\"", flagName, v)
		}
	}
	if s.unsubscribe == "" {
		a, _ := mail.ParseAddress(s.from)
		_, domain, _ := strings.Cut(a.Address, "@")
		s.unsubscribe = "unsubscribe@" + domain
	}
	if _, err := mail.ParseAddress(s.unsubscribe); err != nil {
		return usagef("--unsubscribe-mailto %q is not an email address", s.unsubscribe)
	}
	return nil
}

// keys gives the token signing keys: from Secrets Manager (current and
// previous), from the key ECS injected, or from a local file.
func (s *settings) keys(ctx context.Context) (backend.Keys, error) {
	switch {
	case s.signingKeyARN != "":
		r, err := s.secretReader(ctx)
		if err != nil {
			return nil, err
		}
		return secretKeys{r: r, id: s.signingKeyARN}, nil
	case os.Getenv(envSigningKey) != "":
		k := []byte(os.Getenv(envSigningKey))
		if len(k) < backend.MinKeyLen {
			return nil, usagef("%s is %d bytes: a signing key needs at least %d", envSigningKey, len(k), backend.MinKeyLen)
		}
		return backend.StaticKeys{Current: k}, nil
	case s.signingKeyFile != "":
		k, err := keyFile(s.signingKeyFile)
		if err != nil {
			return nil, err
		}
		return backend.StaticKeys{Current: k}, nil
	}
	return nil, usagef("no signing key: give --signing-key-arn (AWS), set %s, or give --signing-key-file (a laptop)", envSigningKey)
}

// keyFile reads a key file, making one with 32 random bytes when absent.
func keyFile(path string) ([]byte, error) {
	k, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		raw := make([]byte, 32)
		_, _ = rand.Read(raw)
		k = []byte(base64.StdEncoding.EncodeToString(raw))
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		// O_EXCL: two processes starting together keep the first key.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			return keyFile(path)
		}
		if err != nil {
			return nil, fmt.Errorf("signing key file: %w", err)
		}
		defer f.Close()
		if _, err := f.Write(k); err != nil {
			return nil, fmt.Errorf("signing key file: %w", err)
		}
		return k, nil
	}
	if err != nil {
		return nil, fmt.Errorf("signing key file: %w", err)
	}
	k = []byte(strings.TrimSpace(string(k)))
	if len(k) < backend.MinKeyLen {
		return nil, usagef("signing key file %s holds %d bytes: at least %d are needed (delete it to make a new one)", path, len(k), backend.MinKeyLen)
	}
	return k, nil
}

// secretKeys adapts the secrets reader to the backend's Keys: the
// AWSCURRENT and AWSPREVIOUS versions of one secret.
type secretKeys struct {
	r  *secrets.Reader
	id string
}

func (k secretKeys) SigningKeys(ctx context.Context) (current, previous []byte, err error) {
	cur, prev, err := k.r.Keys(ctx, k.id)
	if err != nil {
		return nil, nil, err
	}
	if !prev.IsZero() {
		previous = prev.Bytes()
	}
	return cur.Bytes(), previous, nil
}

// FreshSigningKeys reads the keys past the reader's cache: the backend
// asks when a link is signed with a key it does not hold yet (another
// replica, or the notifier, read the rotated secret first).
func (k secretKeys) FreshSigningKeys(ctx context.Context) (current, previous []byte, err error) {
	k.r.Forget(k.id)
	return k.SigningKeys(ctx)
}

// accountMailer sends the backend's account mail (confirmations) through
// the notifier's sender, from the account address, dated by now: the
// clock the notifier dates its alerts by, so that in `local` (which lives
// on the sample pages' day) every mail carries the same simulated time,
// and the outbox's files sort as they were sent.
func accountMailer(sender notifier.Sender, from string, now func() time.Time) backend.Mailer {
	return backend.MailerFunc(func(ctx context.Context, m backend.Mail) error {
		_, err := sender.Send(ctx, &notifier.Message{From: from, To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML, Date: now()})
		return err
	})
}
