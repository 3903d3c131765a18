package main

import (
	"maps"
	"net/url"
	"regexp"
	"strings"

	"github.com/manga-alert-italia/mangaalert/alerts"
	"github.com/manga-alert-italia/mangaalert/iampolicy"
	"github.com/manga-alert-italia/mangaalert/notifier/smtpmail"
	"github.com/manga-alert-italia/mangaalert/resource"
	"github.com/manga-alert-italia/mangaalert/secrets"
	"github.com/manga-alert-italia/mangaalert/stack"
	"github.com/manga-alert-italia/mangaalert/store/dynamo"
)

// The environment the runtime binary (examples/mangaalert) reads in its
// containers. Secrets never go into plain variables: the signing key
// arrives through valueFrom, and the variables ending in _ARN or _CONFIG
// name a secret for the runtime to read itself (the signing key's previous
// version during a rotation, the SMTP account).
const (
	EnvStore         = "MANGAALERT_STORE"
	EnvSender        = "MANGAALERT_SENDER"
	EnvFrom          = "MANGAALERT_FROM"
	EnvAccountFrom   = "MANGAALERT_ACCOUNT_FROM"
	EnvBaseURL       = "MANGAALERT_BASE_URL"
	EnvSigningKey    = "MANGAALERT_SIGNING_KEY"     // valueFrom: the key's current text
	EnvSigningKeyARN = "MANGAALERT_SIGNING_KEY_ARN" // the secret, for current and previous versions
	EnvSMTPConfigARN = "MANGAALERT_SMTP_CONFIG"     // the SMTP JSON secret's ARN (sender smtp)
	EnvACMEHosts     = "MANGAALERT_ACME_HOSTS"      // serve: HTTPS on :443 with certificates for these names
	EnvACMEEmail     = "MANGAALERT_ACME_EMAIL"
	EnvConfigSet     = "MANGAALERT_SES_CONFIGURATION_SET" // every mail goes through the stack's configuration set
	EnvEventTopics   = "MANGAALERT_SES_EVENT_TOPICS"      // serve: the SNS topic of bounces and complaints
	// Telegram (issue 17): the bot's name, and the ARN of the secret
	// holding its token, which serve and notify read themselves (their
	// task roles may read it). No "TOKEN" in the name: the task
	// definition's check refuses a variable named like a secret.
	EnvTelegramBot    = "MANGAALERT_TELEGRAM_BOT"
	EnvPrivacyContact = "MANGAALERT_PRIVACY_CONTACT"
	EnvTelegramBotARN = "MANGAALERT_TELEGRAM_BOT_ARN"
)

// telegramBotRE is a bot's username as @BotFather allows it.
var telegramBotRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{3,30}[Bb][Oo][Tt]$`)

// telegramSecret holds the bot's token. The deploy tool refers to it and
// never writes it: the token comes from @BotFather, and the operator
// stores it once (apply says how when it is missing).
func (c Config) telegramSecret() string { return c.Stack + "/telegram-token" }

func (c Config) signingKey() string { return c.Stack + "/signing-key" }
func (c Config) smtpSecret() string { return c.Stack + "/smtp" }

// spec is Manga Alert Italia as a stack: the backend always on, the
// scraper and the notifier on schedules, the signing key (and the SMTP
// account), the store's table. smtpPassword, when set, makes the SMTP
// secret follow the configuration.
func (c Config) spec(smtpPassword string) stack.Spec {
	mail := map[string]string{EnvSender: c.Sender}
	for k, v := range map[string]string{EnvBaseURL: c.BaseURL, EnvFrom: c.From, EnvAccountFrom: c.AccountFrom} {
		if v != "" {
			mail[k] = v
		}
	}
	arns := map[string]string{EnvSigningKeyARN: c.signingKey()}
	if c.SecretStore == stack.StoreSSM { // the key only as ECS injects it: Parameter Store keeps no previous version
		delete(arns, EnvSigningKeyARN)
	}
	if c.Sender == SenderSMTP {
		arns[EnvSMTPConfigARN] = c.smtpSecret()
	}
	if c.TelegramBot != "" { // serve and notify both
		mail[EnvTelegramBot] = c.TelegramBot
		arns[EnvTelegramBotARN] = c.telegramSecret()
	}
	key := map[string]string{EnvSigningKey: c.signingKey()}
	var policy func(stack.Outputs) []iampolicy.Statement
	if c.Sender == SenderSES {
		policy = c.sesPolicy
	}
	serve := stack.Container{Name: "serve", Environment: mail, Secrets: key, SecretARNs: arns, UsesTable: true, Policy: policy,
		EnvironmentFrom: stack.MailEnvironment(EnvConfigSet, EnvEventTopics)}
	al := &stack.Alerts{OperatorEmail: c.OperatorEmail}
	if c.Sender == SenderSES { // bounces and complaints reach the backend's signed hook (once there is a base URL)
		al.MailEvents = &alerts.MailEvents{}
		if c.BaseURL != "" {
			al.MailEvents.Endpoint = strings.TrimSuffix(c.BaseURL, "/") + "/hooks/ses"
		}
	}
	// The site serves its own TLS (no load balancer): with an https base
	// URL the service gets certificates over ACME for its host, answering
	// the challenge on port 80, and publishes 443 too.
	if host := c.httpsHost(); host != "" && c.Instances < 2 {
		serve.Environment = maps.Clone(mail)
		serve.Environment[EnvACMEHosts] = host
		if c.ACMEEmail != "" {
			serve.Environment[EnvACMEEmail] = c.ACMEEmail
		}
		serve.PortMappings = []stack.PortMapping{{ContainerPort: stack.DefaultAppPort, HostPort: 80}, {ContainerPort: 443, HostPort: 443}}
	}
	if c.PrivacyContact != "" {
		serve.Environment = maps.Clone(serve.Environment)
		serve.Environment[EnvPrivacyContact] = c.PrivacyContact
	}
	c.trustProxies(&serve)                                                 // scaling.go
	job := func(name, expr, after string, ctr stack.Container) stack.Job { // after: "" or, with no expr, the job this one follows
		ctr.Name, ctr.UsesTable = name, true
		return stack.Job{Container: ctr, Schedule: expr, After: after, Zone: c.Schedules.Zone, Description: "mangaalert " + c.Stack + ": run " + name}
	}
	return stack.Spec{
		Stack:       c.Stack,
		Image:       c.Image,
		Environment: map[string]string{EnvStore: "dynamodb:" + c.Table},
		Service:     serve,
		Jobs: []stack.Job{
			job("scrape", c.Schedules.Scrape, "", stack.Container{}),
			job("notify", c.Schedules.Notify, map[bool]string{true: "scrape"}[c.Schedules.Notify == ""], stack.Container{Environment: mail, Secrets: key, SecretARNs: arns, Policy: policy,
				EnvironmentFrom: stack.MailEnvironment(EnvConfigSet, "")}),
		},
		Secrets: c.secrets(smtpPassword), SecretStore: c.SecretStore,
		Table:   &stack.Table{Name: c.Table, Definition: dynamo.TableDefinition(c.Table), TTLAttribute: dynamo.TTLAttribute},
		Network: stack.Network{CIDR: c.CIDR, AZs: c.AZs, NAT: c.NAT, IngressCIDRs: c.IngressCIDRs, SSHCIDRs: c.SSHCIDRs, Mode: c.NetworkMode},
		JobsOn:  c.JobsOn,
		Host: stack.Host{InstanceType: c.InstanceType, ElasticIP: c.ElasticIP, SessionManager: c.SessionManager, Spot: c.Spot,
			LogRetentionDays: c.LogRetentionDays, RefreshAMI: c.RefreshAMI, ECSOptimizedAMI: c.ECSOptimizedAMI, ImageArch: strings.Split(c.ImageArch, ","),
			Instances: c.Instances},
		Alerts:       al,
		Tags:         c.Tags,
		LoadBalancer: c.loadBalancer(),
		Scaling:      c.scaling(),
	}
}

// secrets are the signing key, generated once as 32 random bytes, and
// with sender smtp the relay's JSON account: written from the
// configuration when the password is at hand, else it must exist.
func (c Config) secrets(smtpPassword string) []stack.Secret {
	out := []stack.Secret{{Name: c.signingKey(), Generate: secrets.RandomBytes(32),
		Description: "HMAC key signing the readers' links and tokens (mangaalert " + c.Stack + ")"}}
	if c.TelegramBot != "" { // must exist: see telegramSecret
		out = append(out, stack.Secret{Name: c.telegramSecret(),
			Description: "Telegram bot token of @" + c.TelegramBot + " (mangaalert " + c.Stack + ")"})
	}
	if c.Sender != SenderSMTP {
		return out
	}
	smtp := stack.Secret{Name: c.smtpSecret(),
		Description: "SMTP relay account {host, port, username, password, security} (mangaalert " + c.Stack + ")"}
	if smtpPassword != "" {
		// The JSON the runtime's SMTP sender reads.
		v, err := secrets.JSON(smtpmail.Config{Host: c.SMTP.Host, Port: c.SMTP.Port, Username: c.SMTP.Username,
			Password: smtpPassword, Security: smtpmail.Security(c.SMTP.Security)})()
		if err == nil {
			smtp.Value, smtp.Overwrite = v, true
		}
	}
	return append(out, smtp)
}

// sesPolicy lets a container send mail from the From domain's SES
// identity, and read the account's send rate (an action with no resource
// type: iampolicy.NoResourceActions).
func (c Config) sesPolicy(o stack.Outputs) []iampolicy.Statement {
	d := domainOf(addressOf(c.From))
	if d == "" {
		d = "FROM-DOMAIN" // plan without a from address; apply requires one
	}
	return []iampolicy.Statement{
		{Sid: "SendMail", Effect: iampolicy.Allow, Action: iampolicy.Strings{"ses:SendEmail", "ses:SendRawEmail"},
			Resource: iampolicy.Strings{resource.ARNIn(o.Partition, "ses", o.Region, o.Account, "identity/"+d)}},
		{Sid: "SendRate", Effect: iampolicy.Allow, Action: iampolicy.Strings{"ses:GetAccount"}, Resource: iampolicy.Strings{"*"}},
	}
}

// httpsHost is the host the site serves HTTPS for: base_url's, when its
// scheme is https ("" otherwise).
func (c Config) httpsHost() string {
	u, err := url.Parse(c.BaseURL)
	if err != nil || u.Scheme != "https" {
		return ""
	}
	return u.Hostname()
}

func addressOf(s string) string {
	if i, j := strings.LastIndex(s, "<"), strings.LastIndex(s, ">"); i >= 0 && j > i {
		return s[i+1 : j]
	}
	return s
}

// loadBalancer is the load balancer of 2 or more instances: TLS ends
// there with an ACM certificate for the site's host, so the service
// serves plain HTTP on a dynamic host port, with no ACME.
func (c Config) loadBalancer() *stack.LoadBalancer {
	if c.Instances < 2 {
		return nil
	}
	return &stack.LoadBalancer{Domain: c.siteHost()}
}

// siteHost is the host the certificate is for: base_url's when https,
// else domain.
func (c Config) siteHost() string {
	if h := c.httpsHost(); h != "" {
		return h
	}
	return c.Domain
}
