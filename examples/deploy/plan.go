package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/cost"
	"github.com/manga-alert-italia/mangaalert/internal/awsenv"
	"github.com/manga-alert-italia/mangaalert/stack"
)

func (a *app) planCmd(ctx context.Context, args []string) error {
	var o options
	var offline, online, asJSON bool
	c, err := a.command("plan", args, false, &o, func(fs *flag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "print the cost model (lines, total, alternatives, notes) as JSON for scripts")
		fs.BoolVar(&offline, "offline", false, "plan from an empty account without calling AWS, even with credentials")
		fs.BoolVar(&online, "online", false, "read the account even with no credentials in sight (e.g. an EC2 instance role)")
	})
	if err != nil {
		return err
	}
	if offline && online {
		return usagef("--offline and --online exclude each other")
	}
	endpoint := o.endpointOf(a.getenv)
	why := ""
	if offline {
		why = "--offline"
	} else if !online && endpoint == "" && !awsenv.CredentialsConfigured(a.getenv) {
		why = "no AWS credentials found (environment, ~/.aws) and no --endpoint"
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cfg := aws.Config{Region: c.Region}
	if why == "" {
		if cfg, _, err = a.loadAWS(ctx, c.Region, endpoint); err != nil {
			return err
		}
	}
	st := stack.New(cfg, func(so *stack.Options) { so.Offline, so.Logger, so.Now = why != "", o.logger(a), a.now })
	spec := c.spec(a.getenv(SMTPPasswordEnv))
	p, err := st.Plan(ctx, spec)
	if err != nil {
		if why == "" {
			return fmt.Errorf("%w\n(plan --offline plans without reading the account)", err)
		}
		return err
	}
	account, err := st.Account(ctx)
	if err != nil {
		return err
	}
	c.addCost(p)
	p.Notes = append(c.planNotes(p, a.getenv(SMTPPasswordEnv) != ""), p.Notes...)
	if asJSON {
		return stack.WriteCostJSON(a.stdout, spec, p)
	}
	fmt.Fprintf(a.stdout, "Plan for stack %q in %s, account %s\n", c.Stack, c.Region, account)
	if why != "" {
		fmt.Fprintf(a.stdout, "offline (%s): nothing sent to AWS; the account id is a placeholder\n", why)
	}
	fmt.Fprintln(a.stdout)
	return stack.WritePlan(a.stdout, spec, p)
}

// addCost adds what the application pays beyond the stack: the mail.
func (c Config) addCost(p *change.Plan) {
	if c.Sender == SenderSES {
		p.Cost = append(p.Cost, cost.SESMail(1)) // a thousand mails a month
	}
}

// planNotes are what the reader of a plan should know about the
// configuration itself.
func (c Config) planNotes(p *change.Plan, hasPassword bool) []string {
	var out, missing []string
	for what, unset := range map[string]bool{"image (the first apply needs one)": c.Image == "", "base_url or domain": c.BaseURL == "",
		"from (or domain)": c.From == "", "account_from (or domain)": c.AccountFrom == ""} {
		if unset {
			missing = append(missing, what)
		}
	}
	if slices.Sort(missing); len(missing) > 0 {
		out = append(out, "before apply, set: "+strings.Join(missing, ", "))
	}
	if ch, ok := p.Find("secret", c.smtpSecret()); ok && ch.Action == change.Create && !hasPassword {
		out = append(out, fmt.Sprintf("apply needs %s: the SMTP secret does not exist yet", SMTPPasswordEnv))
	}
	if c.Sender == SenderSES {
		d := cmp.Or(domainOf(addressOf(c.From)), "the From domain")
		out = append(out, fmt.Sprintf("SES: verify %s in %s and ask for production access; this tool does not manage SES identities", d, c.Region))
	}
	if h := c.httpsHost(); h != "" && c.Instances > 1 {
		out = append(out, fmt.Sprintf("HTTPS: the load balancer serves %s with an ACM certificate; the service serves plain HTTP behind it (no ACME)", h))
	} else if h != "" {
		out = append(out, fmt.Sprintf("HTTPS: the service gets its certificate for %s from Let's Encrypt (HTTP-01 on port 80) and serves 443 itself: point DNS at the host first (elastic_ip keeps its address)", h))
	} else if c.BaseURL != "" {
		out = append(out, "base_url is http://: the site is served without TLS on port 80")
	}
	if c.NAT && c.NetworkMode == "awsvpc" {
		out = append(out, "nat: the hosts stay in the public subnets; the awsvpc tasks run in the private ones and go out through the one NAT gateway")
	} else if c.NAT {
		out = append(out, "nat: the host stays in the public subnets (it serves the site itself); the NAT serves awsvpc tasks you add")
	}
	return append(out, c.scalingNotes()...)
}
