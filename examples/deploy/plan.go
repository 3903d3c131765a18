package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/manga-alert-italia/mangaalert/cost"
	"github.com/manga-alert-italia/mangaalert/ecshost"
	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/network"
	"github.com/manga-alert-italia/mangaalert/schedule"
	"github.com/manga-alert-italia/mangaalert/secrets"
)

const planAbout = `
Shows, per resource, what apply would create, change or leave alone, then
the monthly cost of the stack beside the designs it was chosen over.

With no AWS credentials in sight (environment, ~/.aws) and no --endpoint it
plans offline, from an empty account, without any network call: the first
command to run on a fresh machine. With credentials or an endpoint it reads
the account and compares.`

func (a *app) planCmd(ctx context.Context, args []string) error {
	var o options
	var offline, online bool
	fs := a.newFlagSet("plan", "[flags]", planAbout, &o)
	fs.BoolVar(&offline, "offline", false, "plan from an empty account without calling AWS, even with credentials")
	fs.BoolVar(&online, "online", false, "read the account even with no credentials in sight (e.g. an EC2 instance role)")
	if err := a.parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("plan takes no arguments, got %q", fs.Args())
	}
	if offline && online {
		return usagef("--offline and --online exclude each other")
	}
	c, err := o.config(false)
	if err != nil {
		return err
	}
	endpoint := endpointOf(o.endpoint, a.getenv)
	var cl *clients
	why := ""
	switch {
	case offline:
		why = "--offline"
	case online || endpoint != "" || credentialsConfigured(a.getenv):
		counter := newCallCounter()
		cfg, err := a.loadAWS(ctx, c.Region, endpoint, counter)
		if err != nil {
			return err
		}
		cl = newClients(cfg)
	default:
		why = "no AWS credentials found (environment, ~/.aws) and no --endpoint"
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	p, err := a.makePlan(ctx, c, cl, o.logger(a, nil))
	if err != nil {
		if cl != nil {
			return fmt.Errorf("%w\n(plan --offline plans without reading the account)", err)
		}
		return err
	}
	p.offlineWhy = why
	return p.write(a.stdout)
}

// stackPlan is what apply would do, step by step, and what it costs.
type stackPlan struct {
	c          Config
	n          names
	offline    bool
	offlineWhy string
	rows       []row
	host       *ecshost.Plan
	jobs       []schedule.JobPlan
	policies   int // IAM policies checked: the host's and the schedules'
	cost       cost.Estimate
	alts       []alternative
	notes      []string
}

// makePlan runs every package's Plan in order, feeding each the outputs
// the earlier ones would produce (real IDs where resources exist,
// placeholders where they would be created). cl nil plans offline: the
// packages' own offline modes, or their Plan over an empty account.
func (a *app) makePlan(ctx context.Context, c Config, cl *clients, log *slog.Logger) (*stackPlan, error) {
	p := &stackPlan{c: c, offline: cl == nil}
	account := planningAccount
	var net *network.Network
	host := ecshost.New(ecshost.Clients{}, ecshost.WithRegion(c.Region), ecshost.WithAccount(planningAccount), ecshost.WithLogger(log))
	if cl == nil {
		cl = newClients(emptyAccount(c.Region))
		net = network.New(nil, network.WithLogger(log))
	} else {
		var err error
		if account, err = cl.account(ctx); err != nil {
			return nil, err
		}
		net = network.New(cl.ec2, network.WithLogger(log))
		host = ecshost.NewFromConfig(cl.cfg, ecshost.WithAccount(account), ecshost.WithLogger(log))
	}
	n := newNames(c, account)
	p.n = n

	np, err := net.Plan(ctx, c.networkSpec())
	if err != nil {
		return nil, fmt.Errorf("plan the network: %w", err)
	}
	p.rows = append(p.rows, networkRows(np)...)
	o := outputsFromNetworkPlan(np)

	spec := c.secretsSpec(n, a.getenv(SMTPPasswordEnv))
	sp, err := secrets.New(cl.secrets, func(so *secrets.Options) { so.Logger = log }).Plan(ctx, spec)
	if err != nil {
		return nil, fmt.Errorf("plan the secrets: %w", err)
	}
	p.rows = append(p.rows, secretsRows(spec, sp)...)
	if o.SigningKeyARN, err = secretARN(ctx, cl.secrets, n, n.signingKey()); err != nil {
		return nil, err
	}
	if c.Sender == SenderSMTP {
		if o.SMTPARN, err = secretARN(ctx, cl.secrets, n, n.smtpSecret()); err != nil {
			return nil, err
		}
		if a.getenv(SMTPPasswordEnv) == "" && strings.HasSuffix(o.SMTPARN, plannedSecretMark) {
			p.notes = append(p.notes, fmt.Sprintf("apply needs %s: the SMTP secret does not exist yet", SMTPPasswordEnv))
		}
	}

	tr, err := tableRow(ctx, cl.dynamo, c)
	if err != nil {
		return nil, err
	}
	p.rows = append(p.rows, tr)

	hs, err := c.hostSpec(n, o)
	if err != nil {
		return nil, err
	}
	hp, err := host.Plan(ctx, hs)
	if err != nil {
		return nil, fmt.Errorf("plan the host: %w", err)
	}
	p.host = hp
	p.rows = append(p.rows, hostRows(hp.Actions)...)

	for _, j := range c.jobs() {
		td, err := plannedTaskDef(ctx, cl.ecs, n, j.name, hp.Actions)
		if err != nil {
			return nil, err
		}
		sc := schedule.New(cl.scheduler, cl.iam, nil, func(sc *schedule.Client) { sc.Now = a.now; sc.Logger = log })
		jp, err := sc.Plan(ctx, c.scheduleSpec(n, j, td))
		if err != nil {
			return nil, fmt.Errorf("plan the %s schedule: %w", j.name, err)
		}
		p.rows = append(p.rows, scheduleRows(jp)...)
		p.jobs = append(p.jobs, jp.Jobs...)
		p.policies += len(jp.Policies) // schedule.Plan refuses a policy that fails the check
	}

	p.cost = c.stackCost(np, hp.Cost, a.now())
	p.alts = c.alternatives(p.cost, a.now())
	p.notes = append(p.notes, c.planNotes()...)
	p.notes = append(p.notes, hp.Notes...)
	return p, nil
}

// outputsFromNetworkPlan takes the subnet and security group IDs from the
// network plan; resources still to be created get placeholders.
func outputsFromNetworkPlan(np *network.Plan) outputs {
	var o outputs
	for i := 0; ; i++ {
		ch, ok := np.Change(fmt.Sprintf("subnet/public/%d", i))
		if !ok {
			break
		}
		id := ch.ID
		if id == "" || ch.Action == network.Create {
			id = fmt.Sprintf("subnet-planned%d", i)
		}
		o.SubnetIDs = append(o.SubnetIDs, id)
	}
	o.SecurityGroupID = "sg-planned"
	if ch, ok := np.Change("sg/host"); ok && ch.ID != "" {
		o.SecurityGroupID = ch.ID
	}
	return o
}

// secretARN is the full ARN of a secret, or a placeholder for one that
// does not exist yet.
func secretARN(ctx context.Context, sm *secretsmanager.Client, n names, name string) (string, error) {
	out, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)})
	switch {
	case awserr.Is(err, "ResourceNotFoundException"):
		return n.plannedSecretARN(name), nil
	case err != nil:
		return "", fmt.Errorf("describe secret %q: %w", name, err)
	}
	return aws.ToString(out.ARN), nil
}

// tableRow plans the store's table: created, or left alone when it is ours.
func tableRow(ctx context.Context, db *dynamodb.Client, c Config) (row, error) {
	r := row{Step: stepStore, Op: opCreate, Resource: "dynamodb table", Name: c.Table,
		Detail: "on-demand, pk/sk with indexes gsi1 and gsi2, TTL on ttl"}
	d, err := describeTable(ctx, db, c.Table)
	if err != nil || d == nil {
		return r, err
	}
	if err := checkTableOwner(ctx, db, c, d); err != nil {
		return r, err
	}
	r.Op = opKeep
	r.Detail = fmt.Sprintf("%s, %d items", d.TableStatus, aws.ToInt64(d.ItemCount))
	return r, nil
}

// plannedTaskDef is the task definition ARN a job's schedule would target:
// the family's current revision, or the next one when the host plan
// registers a new revision.
func plannedTaskDef(ctx context.Context, api *ecs.Client, n names, container string, actions []ecshost.Action) (string, error) {
	rev := int32(0)
	out, err := api.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(n.family(container))})
	switch {
	case err == nil && out.TaskDefinition != nil:
		rev = out.TaskDefinition.Revision
	case err != nil && !awserr.Is(err, "ClientException", "ResourceNotFoundException") && !errors.Is(err, errOffline):
		return "", fmt.Errorf("describe task definition %s: %w", n.family(container), err)
	}
	i := slices.IndexFunc(actions, func(a ecshost.Action) bool {
		return a.Resource == "task definition" && a.Name == n.family(container)
	})
	if i < 0 || actions[i].Op != ecshost.Keep || rev == 0 {
		rev++
	}
	return n.taskDefARN(container, rev), nil
}

// planNotes are what the reader of a plan should know about the
// configuration itself.
func (c Config) planNotes() []string {
	var out []string
	var missing []string
	if c.Image == "" {
		missing = append(missing, "image (the first apply needs one)")
	}
	if c.BaseURL == "" {
		missing = append(missing, "base_url or domain")
	}
	if c.From == "" {
		missing = append(missing, "from (or domain)")
	}
	if c.AccountFrom == "" {
		missing = append(missing, "account_from (or domain)")
	}
	if len(missing) > 0 {
		out = append(out, "before apply, set: "+strings.Join(missing, ", "))
	}
	if c.Sender == SenderSES {
		d := "the From domain"
		if c.From != "" {
			d = domainOf(addressOf(c.From))
		}
		out = append(out, fmt.Sprintf("SES: verify %s in %s and ask for production access; this tool does not manage SES identities", d, c.Region))
	}
	if h := c.httpsHost(); h != "" {
		out = append(out, fmt.Sprintf("HTTPS: the service gets its certificate for %s from Let's Encrypt (HTTP-01 on port 80) and serves 443 itself: point DNS at the host first (elastic_ip keeps its address)", h))
	} else if c.BaseURL != "" {
		out = append(out, "base_url is http://: the site is served without TLS on port 80")
	}
	if c.NAT {
		out = append(out, "nat: the host stays in the public subnets (it serves the site itself); the NAT serves awsvpc tasks you add")
	}
	return out
}

func (p *stackPlan) write(w io.Writer) error {
	c := p.c
	var b strings.Builder
	fmt.Fprintf(&b, "Plan for stack %q in %s, account %s", c.Stack, c.Region, p.n.account)
	if p.offline {
		fmt.Fprintf(&b, "\noffline (%s): planned from an empty account, nothing sent to AWS; the account id is a placeholder", p.offlineWhy)
	}
	b.WriteString("\n\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	if err := writeRows(w, p.rows); err != nil {
		return err
	}
	b.Reset()
	fmt.Fprintf(&b, "\n%s\n", tallyOf(p.rows))

	hp := p.host
	fmt.Fprintf(&b, "\nLeast privilege: %d IAM policies checked", len(hp.Policies)+p.policies)
	if len(hp.Findings) == 0 {
		b.WriteString(", no findings (no \"*\" resource where AWS allows a narrower one; no dynamodb:* or ses:*)\n")
	} else {
		fmt.Fprintf(&b, ", %d findings; apply would refuse:\n", len(hp.Findings))
		for _, f := range hp.Findings {
			fmt.Fprintf(&b, "  %s\n", f)
		}
	}
	fmt.Fprintf(&b, "Rolling deployments of the backend: %s\n", hp.Deployment)
	b.WriteString("Scheduled jobs:\n")
	for _, j := range p.jobs {
		var next []string
		for _, t := range j.Next {
			next = append(next, t.Format("Mon 2006-01-02 15:04 MST"))
		}
		fmt.Fprintf(&b, "  %-7s %s in %s; next %s\n", j.Name, j.Expression, j.Zone, strings.Join(next, ", "))
	}
	b.WriteString("\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	return writeCost(w, "this stack", p.cost, p.alts, p.notes)
}
