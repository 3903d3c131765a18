package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/manga-alert-italia/mangaalert/ecshost"
	"github.com/manga-alert-italia/mangaalert/stack"
)

// Defaults of the cheap design: one t3.micro in public subnets, no NAT, no
// load balancer, in Milan.
const (
	DefaultStack        = "mangaalert"
	DefaultRegion       = "eu-south-1"
	DefaultInstanceType = ecshost.DefaultInstanceType
	DefaultSender       = SenderSES
)

// The two ways the runtime sends mail.
const (
	SenderSES  = "ses"
	SenderSMTP = "smtp"
)

// SMTPPasswordEnv is where the SMTP password comes from: never the config
// file (it is often committed) nor a flag (visible in ps).
const SMTPPasswordEnv = "MANGAALERT_SMTP_PASSWORD"

// Config is the deployment, as the JSON file (--config) and the flags
// give it. Zero fields mean defaults: configHelp (deploy COMMAND --help)
// says each field's meaning and default, deploy.example.json sets each.
type Config struct {
	Stack            string            `json:"stack"`
	Region           string            `json:"region"`
	Image            string            `json:"image"`
	InstanceType     string            `json:"instance_type"`
	Domain           string            `json:"domain"`
	BaseURL          string            `json:"base_url"`
	Sender           string            `json:"sender"`
	From             string            `json:"from"`
	AccountFrom      string            `json:"account_from"`
	ACMEEmail        string            `json:"acme_email"`
	SMTP             SMTPConfig        `json:"smtp"`
	Schedules        Schedules         `json:"schedules"`
	IngressCIDRs     []string          `json:"ingress_cidrs"`
	SSHCIDRs         []string          `json:"ssh_cidrs"`
	ElasticIP        bool              `json:"elastic_ip"`
	NAT              bool              `json:"nat"`
	Table            string            `json:"table"`
	CIDR             string            `json:"cidr"`
	AZs              int               `json:"azs"`
	LogRetentionDays int32             `json:"log_retention_days"`
	SessionManager   bool              `json:"session_manager"`
	OperatorEmail    string            `json:"operator_email"`
	RefreshAMI       bool              `json:"refresh_ami"`
	ImageArch        string            `json:"image_arch"` // "arm64,amd64": what the image is built for
	Spot             bool              `json:"spot"`
	ECSOptimizedAMI  bool              `json:"ecs_optimized_ami"`
	Instances        int32             `json:"instances"`
	MaxTasks         int32             `json:"max_tasks"`         // autoscaling (scaling.go): the service's tasks up to this
	CapacityProvider bool              `json:"capacity_provider"` // autoscaling: an ECS capacity provider for the hosts
	MaxInstances     int32             `json:"max_instances"`     // autoscaling: the hosts up to this
	SecretStore      string            `json:"secret_store"`      // "secretsmanager" or "ssm"
	Tags             map[string]string `json:"tags"`
	// Issue 16 (awsvpc.go): "bridge" or "awsvpc"; "ec2", "fargate" or "fargate-spot".
	NetworkMode string `json:"network_mode"`
	JobsOn      string `json:"jobs_on"`
	// TelegramBot (issue 17) sends alerts on Telegram too, as this bot;
	// its token is the secret STACK/telegram-token (spec.go).
	TelegramBot string `json:"telegram_bot"`
	// PrivacyContact names who answers for the readers' data and how to
	// reach them, shown on the site's /privacy as the GDPR asks
	// ("Mario Rossi, privacy@example.it"): serve --privacy-contact.
	PrivacyContact string `json:"privacy_contact"`
}

// SMTPConfig is the relay's address and account; the password is taken
// from MANGAALERT_SMTP_PASSWORD.
type SMTPConfig struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`     // default 587
	Username string `json:"username"` // required with a password
	Security string `json:"security"` // "starttls" or "tls"; default tls on 465, starttls elsewhere
}

// Schedules are EventBridge Scheduler expressions: rate(...), cron(...)
// or at(...), read in Zone.
type Schedules struct {
	Scrape string `json:"scrape"` // default cron(0 0/6 * * ? *); a cron() one when notify follows it
	Notify string `json:"notify"` // default "": scrape's schedule 30 minutes later (cron(30 0/6 * * ? *))
	Zone   string `json:"zone"`   // default Europe/Rome
}

// ConfigError lists every problem of a configuration, field by field.
// Nothing has been sent to AWS when it is returned.
type ConfigError struct {
	Problems []FieldProblem
}

// FieldProblem is one field, by its JSON name ("schedules.scrape"), and
// what is wrong with it: a stack.Problem of the configuration.
type FieldProblem = stack.Problem

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString("bad configuration:")
	for _, p := range e.Problems {
		fmt.Fprintf(&b, "\n  %s: %s", p.Field, p.Problem)
	}
	return b.String()
}

// LoadConfig reads a JSON configuration; unknown fields are errors, so a
// misspelt field is not silently ignored.
func LoadConfig(path string) (Config, error) {
	var c Config
	b, err := os.ReadFile(path)
	if err != nil {
		return c, &ConfigError{Problems: []FieldProblem{{Field: "--config", Problem: err.Error()}}}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, &ConfigError{Problems: []FieldProblem{{Field: path, Problem: jsonProblem(b, err)}}}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return c, &ConfigError{Problems: []FieldProblem{{Field: path, Problem: "more than one JSON object"}}}
	}
	return c, nil
}

// jsonProblem turns a decoding error into a message with a line number.
func jsonProblem(b []byte, err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("line %d: %v", lineOf(b, syn.Offset), err)
	case errors.As(err, &typ):
		return fmt.Sprintf("line %d: field %q wants a %s, not a JSON %s", lineOf(b, typ.Offset), typ.Field, typ.Type, typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return strings.TrimPrefix(err.Error(), "json: ") + ": see deploy.example.json or `deploy plan --help` for the fields"
	}
	return err.Error()
}

func lineOf(b []byte, offset int64) int {
	return bytes.Count(b[:min(int(offset), len(b))], []byte("\n")) + 1
}

// WithDefaults fills the zero fields.
func (c Config) WithDefaults() Config {
	c.Stack, c.Region = cmp.Or(c.Stack, DefaultStack), cmp.Or(c.Region, DefaultRegion)
	c.InstanceType = cmp.Or(c.InstanceType, DefaultInstanceType)
	c.Sender, c.ImageArch = cmp.Or(c.Sender, DefaultSender), cmp.Or(c.ImageArch, strings.Join(ecshost.DefaultImageArch, ","))
	c.Table = cmp.Or(c.Table, c.Stack)
	c.Schedules.Scrape = cmp.Or(c.Schedules.Scrape, stack.DefaultSchedule)
	c.Schedules.Zone = cmp.Or(c.Schedules.Zone, stack.DefaultZone)
	if hostRE.MatchString(c.Domain) { // a bad domain is reported as itself, not as addresses made of it
		c.BaseURL = cmp.Or(c.BaseURL, "https://"+c.Domain)
		c.From = cmp.Or(c.From, "Manga Alert Italia <avvisi@"+c.Domain+">")
		c.AccountFrom = cmp.Or(c.AccountFrom, "Manga Alert Italia <account@"+c.Domain+">")
	}
	if c.Sender == SenderSMTP && c.SMTP.Port == 0 {
		c.SMTP.Port = 587
	}
	return c
}

var hostRE = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)

// Validate checks the configuration (after WithDefaults) without calling
// AWS and reports every problem at once. forApply adds what only apply
// needs: where links point and who mail comes from.
func (c Config) Validate(forApply bool) error {
	var ps []FieldProblem
	bad := func(field, format string, args ...any) {
		if p := (FieldProblem{Field: field, Problem: fmt.Sprintf(format, args...)}); !slices.Contains(ps, p) {
			ps = append(ps, p)
		}
	}
	if p := stack.RegionProblem(c.Region); p != "" {
		bad("region", "%s", p)
	}
	if c.Domain != "" && !hostRE.MatchString(c.Domain) {
		bad("domain", "%q is not a host name such as mangaalert.example.it (lower case, no scheme, no path)", c.Domain)
	}
	if c.BaseURL != "" {
		if p := baseURLProblem(c.BaseURL); p != "" {
			bad("base_url", "%q %s", c.BaseURL, p)
		} else if h := c.httpsHost(); h != "" && !hostRE.MatchString(h) {
			bad("base_url", "%q: HTTPS needs a certificate for a host name, not %q: use http:// for an address", c.BaseURL, h)
		}
	} else if forApply {
		bad("base_url", "needed by apply: links in mails start with it; set base_url (https://your.domain) or domain")
	}

	switch c.Sender {
	case SenderSES, SenderSMTP:
	default:
		bad("sender", "%q: use %q (Amazon SES in the stack's region) or %q (a relay, see smtp)", c.Sender, SenderSES, SenderSMTP)
	}
	from := c.checkAddress(bad, "from", c.From, forApply)
	account := c.checkAddress(bad, "account_from", c.AccountFrom, forApply)
	if from != nil && account != nil && strings.EqualFold(from.Address, account.Address) {
		bad("account_from", "%s is also from: send alerts and account mail from two addresses (avvisi@..., account@...)", account.Address)
	}
	if c.Sender == SenderSES && from != nil && account != nil && domainOf(from.Address) != domainOf(account.Address) {
		bad("account_from", "%s is in another domain than from (%s): SES sends from one verified domain here", account.Address, from.Address)
	}
	if a, err := mail.ParseAddress(c.ACMEEmail); c.ACMEEmail != "" && (err != nil || a.Name != "") {
		bad("acme_email", "%q is not a bare mail address such as admin@example.it", c.ACMEEmail)
	}
	if c.Instances > 1 && c.siteHost() == "" {
		bad("instances", "%d hosts sit behind a load balancer whose HTTPS certificate needs the site's name: set domain (or an https base_url)", c.Instances)
	}
	c.checkAwsvpc(bad)
	if len(c.PrivacyContact) > 200 || strings.ContainsFunc(c.PrivacyContact, unicode.IsControl) {
		bad("privacy_contact", "a name and an address on one line of at most 200 characters, such as \"Mario Rossi, privacy@example.it\"")
	}
	if c.TelegramBot != "" && !telegramBotRE.MatchString(c.TelegramBot) {
		bad("telegram_bot", "%q is not a bot's username: the name @BotFather gave, without @, ending in bot (MangaAlertBot)", c.TelegramBot)
	}
	if c.Sender == SenderSMTP {
		c.SMTP.check(bad)
	} else if c.SMTP != (SMTPConfig{}) {
		bad("smtp", "is set but sender is %q: set sender to %q, or remove smtp", c.Sender, SenderSMTP)
	}

	// The stack knows its own rules (names, image, schedules, tags, CIDR
	// sizes, zones, memory, policies): its problems are reported under
	// this file's field names, the others as the configuration's.
	var se *stack.SpecError
	if err := stack.Validate(context.Background(), c.spec(""), c.Region); errors.As(err, &se) {
		for _, p := range se.Problems {
			if awsvpcFields[p.Field] { // said above in this file's words
				continue
			}
			bad(cmp.Or(specField[p.Field], "configuration"), "%s", p.Problem)
		}
	} else if err != nil && len(ps) == 0 {
		bad("configuration", "%v", err)
	}
	if len(ps) == 0 {
		return nil
	}
	slices.SortStableFunc(ps, func(a, b FieldProblem) int { return strings.Compare(a.Field, b.Field) })
	return &ConfigError{Problems: ps}
}

// specField names the stack.Spec fields as this file does.
var specField = map[string]string{"Stack": "stack", "Image": "image", "Host.InstanceType": "instance_type", "Table.Name": "table",
	"Host.LogRetentionDays": "log_retention_days", "Tags": "tags", "Jobs.scrape.Zone": "schedules.zone", "Jobs.notify.Zone": "schedules.zone",
	"Jobs.scrape.Schedule": "schedules.scrape", "Jobs.notify.Schedule": "schedules.notify", "Jobs.notify.After": "schedules.scrape", "Network.CIDR": "cidr", "Network.AZs": "azs",
	"Network.Topology": "nat", "Network.Ports": "ingress_cidrs", "Network.IngressCIDRs": "ingress_cidrs", "Network.SSHCIDRs": "ssh_cidrs",
	"Alerts.OperatorEmail": "operator_email", "Host.ImageArch": "image_arch", "SecretStore": "secret_store",
	"Host.Instances": "instances", "Host.ElasticIP": "elastic_ip", "LoadBalancer.Domain": "domain"}

func (c Config) checkAddress(bad func(string, string, ...any), field, v string, forApply bool) *mail.Address {
	if v == "" {
		if forApply {
			bad(field, "needed by apply: the sender of the mails, like \"Manga Alert Italia <avvisi@example.it>\"; set it, or set domain")
		}
		return nil
	}
	a, err := mail.ParseAddress(v)
	if err != nil || !strings.Contains(a.Address, "@") || !hostRE.MatchString(strings.ToLower(domainOf(a.Address))) {
		bad(field, "%q is not a mail address such as \"Manga Alert Italia <avvisi@example.it>\"", v)
		return nil
	}
	return a
}

func domainOf(address string) string {
	_, d, _ := strings.Cut(address, "@")
	return strings.ToLower(d)
}

func baseURLProblem(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "is not a URL"
	case u.Scheme != "https" && u.Scheme != "http":
		return "must start with https:// (or http:// while there is no certificate)"
	case u.Host == "" || u.User != nil:
		return "needs a host and no user, like https://mangaalert.example.it"
	case u.RawQuery != "" || u.Fragment != "":
		return "may not carry a query or a fragment"
	}
	return ""
}

func (s SMTPConfig) check(bad func(string, string, ...any)) {
	if s.Host == "" {
		bad("smtp.host", "needed with sender smtp: the relay's host name, such as smtp.sendgrid.net")
	} else if net.ParseIP(s.Host) == nil && !hostRE.MatchString(strings.ToLower(s.Host)) {
		bad("smtp.host", "%q is not a host name", s.Host)
	}
	if s.Port < 1 || s.Port > 65535 {
		bad("smtp.port", "%d is not a TCP port: 587 for STARTTLS, 465 for TLS", s.Port)
	}
	switch s.Security {
	case "", "starttls", "tls":
	default:
		bad("smtp.security", "%q: use \"starttls\" or \"tls\" (or leave it out: tls on port 465, starttls elsewhere)", s.Security)
	}
	if s.Username == "" {
		bad("smtp.username", "needed with sender smtp: the relay's account name (the password comes from %s)", SMTPPasswordEnv)
	}
}
