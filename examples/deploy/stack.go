package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"strings"

	"github.com/manga-alert-italia/mangaalert/ecshost"
	"github.com/manga-alert-italia/mangaalert/iampolicy"
	"github.com/manga-alert-italia/mangaalert/schedule"
	"github.com/manga-alert-italia/mangaalert/secrets"
	"github.com/manga-alert-italia/mangaalert/store/dynamo"
)

// The containers of the one image, as ecshost names them by default.
const (
	serveName  = ecshost.DefaultServiceName // "serve"
	scrapeName = "scrape"
	notifyName = "notify"
)

// The environment the runtime binary (examples/mangaalert) reads in its
// containers. Secrets never go into plain variables: the signing key
// arrives through valueFrom, and the variables ending in _ARN or _CONFIG
// name a secret for the runtime to read itself (the signing key's previous
// version during a rotation, the SMTP account).
const (
	EnvRegion         = "AWS_REGION" // the EC2 launch type sets no region in containers
	EnvStore          = "MANGAALERT_STORE"
	EnvSender         = "MANGAALERT_SENDER"
	EnvFrom           = "MANGAALERT_FROM"
	EnvAccountFrom    = "MANGAALERT_ACCOUNT_FROM"
	EnvBaseURL        = "MANGAALERT_BASE_URL"
	EnvSigningKey     = "MANGAALERT_SIGNING_KEY"     // valueFrom: the key's current text
	EnvSigningKeyARN  = "MANGAALERT_SIGNING_KEY_ARN" // the secret, for current and previous versions
	EnvSMTPConfigARN  = "MANGAALERT_SMTP_CONFIG"     // the SMTP JSON secret's ARN (sender smtp)
	EnvACMEHosts      = "MANGAALERT_ACME_HOSTS"      // serve: HTTPS on :443 with certificates for these names
	EnvACMEEmail      = "MANGAALERT_ACME_EMAIL"
	tagStack          = "mangaalert:stack"
	tagComponent      = "mangaalert:component"
	componentStore    = "store"
	componentSecrets  = "secrets"
	planningAccount   = "000000000000" // an obviously made-up account for offline plans
	plannedSecretMark = "xxxxxx"       // stands for the 6 characters AWS appends to a new secret's ARN
)

// names are every name and ARN of a stack that more than one step needs.
// The ecshost ones follow that package's documented naming (cluster =
// stack, family and service = stack-container, roles under the path
// /mangaalert/STACK/); it exports no helper for them.
type names struct {
	stack, region, account, partition, table string
}

func newNames(c Config, account string) names {
	p := "aws"
	switch {
	case strings.HasPrefix(c.Region, "cn-"):
		p = "aws-cn"
	case strings.HasPrefix(c.Region, "us-gov-"):
		p = "aws-us-gov"
	}
	return names{stack: c.Stack, region: c.Region, account: account, partition: p, table: c.Table}
}

func (n names) arn(service, region, resource string) string {
	return fmt.Sprintf("arn:%s:%s:%s:%s:%s", n.partition, service, region, n.account, resource)
}

func (n names) signingKey() string { return n.stack + "/signing-key" }
func (n names) smtpSecret() string { return n.stack + "/smtp" }
func (n names) tableARN() string   { return n.arn("dynamodb", n.region, "table/"+n.table) }
func (n names) cluster() string    { return n.stack }
func (n names) clusterARN() string { return n.arn("ecs", n.region, "cluster/"+n.cluster()) }
func (n names) service() string    { return n.stack + "-" + serveName }
func (n names) group() string      { return n.stack + "-ecs-host" }
func (n names) family(container string) string {
	return n.stack + "-" + container
}
func (n names) roleARN(role string) string {
	return n.arn("iam", "", "role/mangaalert/"+n.stack+"/"+role)
}
func (n names) executionRoleARN() string            { return n.roleARN(n.stack + "-ecs-execution") }
func (n names) taskRoleARN(container string) string { return n.roleARN(n.stack + "-task-" + container) }
func (n names) taskDefARN(container string, revision int32) string {
	return n.arn("ecs", n.region, fmt.Sprintf("task-definition/%s:%d", n.family(container), revision))
}

// scheduleStack names the schedule group of one job. Each job has its own
// group and scheduler role because schedule.Spec passes one task role, and
// the scraper and the notifier run with different ones: this way each
// scheduler role may pass exactly the role its job needs.
func (n names) scheduleStack(job string) string { return n.stack + "-" + job }

// sesIdentityARN is the SES identity mail is sent from: the From domain.
func (n names) sesIdentityARN(from string) string {
	d := domainOf(addressOf(from))
	if d == "" {
		d = "FROM-DOMAIN" // plan without a from address; apply requires one
	}
	return n.arn("ses", n.region, "identity/"+d)
}

// plannedSecretARN stands for the ARN of a secret not yet created.
func (n names) plannedSecretARN(name string) string {
	return n.arn("secretsmanager", n.region, "secret:"+name+"-"+plannedSecretMark)
}

func addressOf(s string) string {
	if i, j := strings.LastIndex(s, "<"), strings.LastIndex(s, ">"); i >= 0 && j > i {
		return s[i+1 : j]
	}
	return s
}

// outputs are what the steps hand on, as plain values.
type outputs struct {
	SubnetIDs       []string
	SecurityGroupID string
	SigningKeyARN   string
	SMTPARN         string // "" unless the sender is smtp
	TaskDefs        map[string]string
}

// secretsSpec is the secrets step: the signing key, generated once as 32
// random bytes, and with sender smtp the relay's JSON account.
func (c Config) secretsSpec(n names, smtpPassword string) secrets.Spec {
	s := secrets.Spec{Stack: c.Stack, Component: componentSecrets, Secrets: []secrets.Secret{{
		Name:        n.signingKey(),
		Description: "HMAC key signing the readers' links and tokens (mangaalert " + c.Stack + ")",
		Generate:    secrets.RandomBytes(32),
		Tags:        c.Tags,
	}}}
	if c.Sender == SenderSMTP {
		smtp := secrets.Secret{
			Name:        n.smtpSecret(),
			Description: "SMTP relay account {host, port, username, password, security} (mangaalert " + c.Stack + ")",
			Tags:        c.Tags,
		}
		if smtpPassword != "" {
			v, err := secrets.JSON(smtpAccount{Host: c.SMTP.Host, Port: c.SMTP.Port, Username: c.SMTP.Username,
				Password: smtpPassword, Security: c.SMTP.Security})()
			if err == nil {
				// With the password at hand the secret follows the config:
				// a changed host or password makes a new version.
				smtp.Value, smtp.Overwrite = v, true
			}
		}
		if smtp.Value.IsZero() {
			smtp.Generate = func() (secrets.Value, error) {
				return secrets.Value{}, errors.New(SMTPPasswordEnv + " is not set: the SMTP secret does not exist yet and needs the relay's password")
			}
		}
		s.Secrets = append(s.Secrets, smtp)
	}
	return s
}

// smtpAccount is the JSON the runtime's SMTP sender reads (smtpmail.Config).
type smtpAccount struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Username string `json:"username"`
	Password string `json:"password"`
	Security string `json:"security,omitempty"`
}

// taskPolicies are the least-privilege policies of the three task roles:
// the store's item actions on the table and its indexes (never
// dynamodb:*), sending mail from the SES identity or reading the SMTP
// secret, and reading the signing key for the service and the notifier.
func (c Config) taskPolicies(n names, o outputs) map[string]iampolicy.Document {
	store := iampolicy.Statement{
		Sid:      "Store",
		Effect:   iampolicy.Allow,
		Action:   iampolicy.Strings(dynamo.Actions),
		Resource: iampolicy.Strings(dynamo.Resources(n.tableARN())),
	}
	readable := iampolicy.Strings{o.SigningKeyARN}
	if c.Sender == SenderSMTP {
		readable = append(readable, o.SMTPARN)
	}
	mailing := []iampolicy.Statement{{
		Sid:      "ReadSecrets",
		Effect:   iampolicy.Allow,
		Action:   iampolicy.Strings{"secretsmanager:GetSecretValue"},
		Resource: readable,
	}}
	if c.Sender == SenderSES {
		mailing = append(mailing,
			iampolicy.Statement{
				Sid:      "SendMail",
				Effect:   iampolicy.Allow,
				Action:   iampolicy.Strings{"ses:SendEmail", "ses:SendRawEmail"},
				Resource: iampolicy.Strings{n.sesIdentityARN(c.From)},
			},
			iampolicy.Statement{
				// The sender paces itself by the account's send rate; the
				// action has no resource type (iampolicy.NoResourceActions).
				Sid:      "SendRate",
				Effect:   iampolicy.Allow,
				Action:   iampolicy.Strings{"ses:GetAccount"},
				Resource: iampolicy.Strings{"*"},
			})
	}
	withMail := iampolicy.New(append([]iampolicy.Statement{store}, mailing...)...)
	return map[string]iampolicy.Document{
		serveName:  withMail,
		notifyName: withMail,
		scrapeName: iampolicy.New(store),
	}
}

// checkPolicies runs iampolicy's least-privilege check over the task
// policies: the tool refuses to apply one that fails.
func checkPolicies(policies map[string]iampolicy.Document) error {
	var findings []iampolicy.Finding
	for _, name := range []string{serveName, scrapeName, notifyName} {
		findings = append(findings, iampolicy.Check("task role "+name, policies[name])...)
	}
	return iampolicy.Err(findings)
}

// hostSpec is the ecshost step, from the earlier steps' outputs.
func (c Config) hostSpec(n names, o outputs) (ecshost.Spec, error) {
	policies := c.taskPolicies(n, o)
	if err := checkPolicies(policies); err != nil {
		return ecshost.Spec{}, err
	}
	common := map[string]string{
		EnvRegion: c.Region,
		EnvStore:  "dynamodb:" + c.Table,
	}
	mail := map[string]string{
		EnvSender:        c.Sender,
		EnvSigningKeyARN: o.SigningKeyARN,
	}
	for k, v := range map[string]string{EnvBaseURL: c.BaseURL, EnvFrom: c.From, EnvAccountFrom: c.AccountFrom, EnvSMTPConfigARN: o.SMTPARN} {
		if v != "" {
			mail[k] = v
		}
	}
	key := []ecshost.Secret{{Name: EnvSigningKey, ValueFrom: o.SigningKeyARN}}
	// The site serves its own TLS (no load balancer): with an https base
	// URL the service gets certificates over ACME for its host, answering
	// the challenge on port 80, and publishes 443 too.
	serveEnv, ports := mail, []ecshost.PortMapping(nil)
	if host := c.httpsHost(); host != "" {
		serveEnv = maps.Clone(mail)
		serveEnv[EnvACMEHosts] = host
		if c.ACMEEmail != "" {
			serveEnv[EnvACMEEmail] = c.ACMEEmail
		}
		ports = []ecshost.PortMapping{{ContainerPort: ecshost.DefaultContainerPort, HostPort: 80}, {ContainerPort: 443, HostPort: 443}}
	}
	return ecshost.Spec{
		Stack:            c.Stack,
		SubnetIDs:        o.SubnetIDs,
		SecurityGroupID:  o.SecurityGroupID,
		InstanceType:     c.InstanceType,
		ElasticIP:        c.ElasticIP,
		SessionManager:   c.SessionManager,
		LogRetentionDays: c.LogRetentionDays,
		Image:            c.Image,
		Environment:      common,
		Tags:             c.Tags,
		Service: ecshost.Container{Name: serveName, Environment: serveEnv, Secrets: key, TaskPolicy: policies[serveName],
			PortMappings: ports},
		Tasks: []ecshost.Container{
			{Name: scrapeName, TaskPolicy: policies[scrapeName]},
			{Name: notifyName, Environment: mail, Secrets: key, TaskPolicy: policies[notifyName]},
		},
	}, nil
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

// job is one scheduled command.
type job struct {
	name, expression string
}

func (c Config) jobs() []job {
	return []job{{scrapeName, c.Schedules.Scrape}, {notifyName, c.Schedules.Notify}}
}

// scheduleSpec is the schedule step of one job: its own group and
// scheduler role, running the job's task definition revision in the
// stack's cluster.
func (c Config) scheduleSpec(n names, j job, taskDefARN string) schedule.Spec {
	return schedule.Spec{
		Stack:            n.scheduleStack(j.name),
		ClusterARN:       n.clusterARN(),
		ExecutionRoleARN: n.executionRoleARN(),
		TaskRoleARN:      n.taskRoleARN(j.name),
		Tags:             c.Tags,
		Jobs: []schedule.Job{{
			Name:              j.name,
			TaskDefinitionARN: taskDefARN,
			Expression:        j.expression,
			Zone:              c.Schedules.Zone,
			Description:       fmt.Sprintf("mangaalert %s: run %s", c.Stack, j.name),
		}},
	}
}

// checkSpecs builds every step's Spec from placeholder outputs and has
// each package check it, so that a configuration the packages would refuse
// fails before any AWS call.
func (c Config) checkSpecs() error {
	n := newNames(c, planningAccount)
	o := outputs{SubnetIDs: []string{"subnet-planned"}, SecurityGroupID: "sg-planned",
		SigningKeyARN: n.plannedSecretARN(n.signingKey())}
	if c.Sender == SenderSMTP {
		o.SMTPARN = n.plannedSecretARN(n.smtpSecret())
	}
	var errs []error
	hs, err := c.hostSpec(n, o)
	if err != nil {
		errs = append(errs, err)
	} else {
		// Offline, ecshost's Plan is its whole validation and no AWS call.
		h := ecshost.New(ecshost.Clients{}, ecshost.WithRegion(c.Region), ecshost.WithAccount(planningAccount),
			ecshost.WithLogger(slog.New(slog.DiscardHandler)))
		if _, err := h.Plan(context.Background(), hs); err != nil {
			errs = append(errs, err)
		}
	}
	for _, j := range c.jobs() {
		if err := c.scheduleSpec(n, j, n.taskDefARN(j.name, 1)).Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
