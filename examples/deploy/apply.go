package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/manga-alert-italia/mangaalert/ecshost"
	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/network"
	"github.com/manga-alert-italia/mangaalert/secrets"
	"github.com/manga-alert-italia/mangaalert/store/dynamo"
)

const applyAbout = `
Creates what is missing and updates what drifted, step by step: network,
secrets, store table, ECS host (cluster, roles, launch template, Auto
Scaling group, task definitions, backend service), schedules. Each step's
outputs feed the next. A line per resource says what happened and how long
it took.

A second apply changes nothing (its last line counts the AWS calls that
wrote: 0). After a failure, run it again: it picks up where it stopped.`

func (a *app) applyCmd(ctx context.Context, args []string) error {
	var o options
	fs := a.newFlagSet("apply", "[flags]", applyAbout, &o)
	if err := a.parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("apply takes no arguments, got %q", fs.Args())
	}
	c, err := o.config(true)
	if err != nil {
		return err
	}
	s, err := a.session(ctx, c, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "Applying stack %q in %s, account %s\n", c.Stack, c.Region, s.n.account)
	if err := s.preflight(ctx); err != nil {
		return err
	}
	st, err := s.apply(ctx)
	s.summary("apply", err)
	if err != nil {
		return err
	}
	if st != nil {
		s.afterApply(st)
	}
	return nil
}

// preflight checks, with reads only, what would otherwise fail halfway:
// a first apply needs an image, and the SMTP secret needs its password
// when it does not exist yet. It also warns when SES will refuse the mail.
func (s *session) preflight(ctx context.Context) error {
	if s.c.Image == "" {
		_, err := s.cl.ecs.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(s.n.family(serveName))})
		switch {
		case awserr.Is(err, "ClientException"):
			return &ConfigError{Problems: []FieldProblem{{Field: "image",
				Problem: "needed by the first apply: nothing runs yet whose image could be kept; set image (or --image)"}}}
		case err != nil:
			return fmt.Errorf("describe task definition %s: %w", s.n.family(serveName), err)
		}
	}
	if s.c.Sender == SenderSMTP && s.a.getenv(SMTPPasswordEnv) == "" {
		_, err := s.cl.secrets.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(s.n.smtpSecret())})
		switch {
		case awserr.Is(err, "ResourceNotFoundException"):
			return &ConfigError{Problems: []FieldProblem{{Field: SMTPPasswordEnv,
				Problem: fmt.Sprintf("is not set, and the SMTP secret %s does not exist yet: export the relay's password in it", s.n.smtpSecret())}}}
		case err != nil:
			return fmt.Errorf("describe secret %s: %w", s.n.smtpSecret(), err)
		}
	}
	if s.c.Sender == SenderSES {
		s.warnSES(ctx)
	}
	return nil
}

// warnSES says when SES would refuse the mail: the From domain not
// verified, or the account still in the sandbox. The stack deploys
// anyway; the reader of the warning has something to do.
func (s *session) warnSES(ctx context.Context) {
	domain := domainOf(addressOf(s.c.From))
	api := sesv2.NewFromConfig(s.cl.cfg)
	id, err := api.GetEmailIdentity(ctx, &sesv2.GetEmailIdentityInput{EmailIdentity: aws.String(domain)})
	switch {
	case awserr.Is(err, "NotFoundException"):
		fmt.Fprintf(s.a.stdout, "warning: SES has no identity %s in %s: verify the domain (DKIM records) or no mail leaves\n", domain, s.c.Region)
	case err == nil && !id.VerifiedForSendingStatus:
		fmt.Fprintf(s.a.stdout, "warning: SES identity %s is not verified yet in %s: no mail leaves until it is\n", domain, s.c.Region)
	}
	acct, err := api.GetAccount(ctx, &sesv2.GetAccountInput{})
	if err == nil && !acct.ProductionAccessEnabled {
		fmt.Fprintf(s.a.stdout, "warning: the SES account in %s is in the sandbox: it mails only verified addresses until production access is granted\n", s.c.Region)
	}
}

// apply runs the steps in order; it returns the host's state for the
// closing lines.
func (s *session) apply(ctx context.Context) (*ecshost.State, error) {
	c, n := s.c, s.n
	var o outputs
	err := s.step(ctx, stepNetwork, "reading the VPC", func(ctx context.Context) ([]row, error) {
		net := network.New(s.cl.ec2, network.WithLogger(s.log), network.WithDelays(s.delays().Min, s.delays().Max))
		np, err := net.Plan(ctx, c.networkSpec())
		if err != nil {
			return nil, err
		}
		st, err := net.Ensure(ctx, c.networkSpec())
		if err != nil {
			return networkRows(np), err
		}
		// Bridge mode on EC2 needs no NAT; Preflight says so, or why not.
		if err := network.Preflight(st, "bridge", "EC2"); err != nil {
			return networkRows(np), err
		}
		o.SubnetIDs, o.SecurityGroupID = st.PublicSubnetIDs, st.HostSecurityGroupID
		return networkRows(np), nil
	})
	if err != nil {
		return nil, err
	}

	err = s.step(ctx, stepSecrets, "reading the secrets", func(ctx context.Context) ([]row, error) {
		spec := c.secretsSpec(n, s.a.getenv(SMTPPasswordEnv))
		sec := secrets.New(s.cl.secrets, func(so *secrets.Options) { so.Logger = s.log })
		sp, err := sec.Plan(ctx, spec)
		if err != nil {
			return nil, err
		}
		st, err := sec.Ensure(ctx, spec)
		if err != nil {
			return secretsRows(spec, sp), err
		}
		o.SigningKeyARN = st.ARN(n.signingKey())
		o.SMTPARN = st.ARN(n.smtpSecret())
		return secretsRows(spec, sp), nil
	})
	if err != nil {
		return nil, err
	}

	err = s.step(ctx, stepStore, "reading the table", func(ctx context.Context) ([]row, error) {
		r, err := tableRow(ctx, s.cl.dynamo, c)
		if err != nil {
			return nil, err
		}
		if r.Op == opCreate {
			s.prog.activity("create table " + c.Table + " (on-demand) and wait until ACTIVE")
		}
		err = dynamo.EnsureTable(ctx, s.cl.dynamo, c.Table, func(o *dynamo.TableOptions) {
			o.Tags, o.MinDelay, o.MaxDelay = c.tableTags(), s.delays().Min, s.delays().Max
		})
		return []row{r}, err
	})
	if err != nil {
		return nil, err
	}

	var hostState *ecshost.State
	err = s.step(ctx, stepHost, "reading the ECS host", func(ctx context.Context) ([]row, error) {
		spec, err := c.hostSpec(n, o)
		if err != nil {
			return nil, err
		}
		h := ecshost.NewFromConfig(s.cl.cfg, ecshost.WithAccount(n.account), ecshost.WithLogger(s.log),
			ecshost.WithPollInterval(s.delays().Min, s.delays().Max))
		st, err := h.Ensure(ctx, spec)
		if st == nil {
			return nil, err
		}
		hostState = st
		return hostRows(st.Actions), err
	})
	if err != nil {
		return nil, err
	}

	err = s.step(ctx, stepSchedule, "reading the schedules", func(ctx context.Context) ([]row, error) {
		return s.ensureSchedules(ctx, n, hostState.TaskDefinitions)
	})
	return hostState, err
}

// afterApply tells where the site is and what to do next.
func (s *session) afterApply(st *ecshost.State) {
	w := s.a.stdout
	if st.ElasticIP != "" {
		fmt.Fprintf(w, "\nThe host's address: %s (Elastic IP): point %s at it.\n", st.ElasticIP, s.c.BaseURL)
	} else {
		fmt.Fprintf(w, "\nThe site %s is served by the host's public address (`deploy status` shows it; it changes when the instance is replaced: elastic_ip keeps one).\n", s.c.BaseURL)
	}
	if st.InstanceRefreshID != "" {
		fmt.Fprintf(w, "The launch template changed: instance refresh %s replaces the host (a few minutes without the site).\n", st.InstanceRefreshID)
	}
}
