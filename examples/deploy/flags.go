package main

import (
	"cmp"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/manga-alert-italia/mangaalert/stack"
)

// options are the flags every command shares, and the configuration they
// amount to once the file and the overriding flags are merged.
type options struct {
	configFile string
	endpoint   string
	poll       time.Duration
	countCalls bool
	verbose    bool

	overrides []func(*Config) // in command-line order, applied over the file
}

// newFlagSet returns a command's flag set with the shared flags and the
// configuration overrides registered.
func (a *app) newFlagSet(name, synopsis, about string, o *options) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported once, by exit
	fs.StringVar(&o.configFile, "config", "", "read the configuration from this JSON `file` (fields below; flags override it)")
	fs.StringVar(&o.endpoint, "endpoint", "", "send every AWS call to this `URL` (an emulator such as moto or LocalStack); default $AWS_ENDPOINT_URL")
	fs.DurationVar(&o.poll, "poll", 2*time.Second, "how often to look again while waiting for AWS (an emulator answers at once: 50ms)")
	fs.BoolVar(&o.countCalls, "count-calls", false, "list the AWS calls that wrote, by operation, at the end")
	fs.BoolVar(&o.verbose, "verbose", false, "print the packages' debug log to stderr")

	str := func(flagName, usage string, set func(*Config, string)) {
		fs.Func(flagName, usage, func(v string) error {
			o.overrides = append(o.overrides, func(c *Config) { set(c, v) })
			return nil
		})
	}
	boolean := func(flagName, usage string, set func(*Config, bool)) {
		fs.BoolFunc(flagName, usage, func(v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("--%s=%s: want true or false", flagName, v)
			}
			o.overrides = append(o.overrides, func(c *Config) { set(c, b) })
			return nil
		})
	}
	// With no region in the file, AWS_REGION or the profile's, as the AWS tools do; flags come after.
	o.overrides = append(o.overrides, func(c *Config) { c.Region = cmp.Or(c.Region, stack.RegionFromEnvironment(a.getenv)) })
	str("stack", "stack `name` (config: stack)", func(c *Config, v string) { c.Stack = v })
	str("region", "AWS `region` (config: region)", func(c *Config, v string) { c.Region = v })
	str("image", "container `image` (config: image)", func(c *Config, v string) { c.Image = v })
	str("instance-type", "EC2 instance `type` (config: instance_type)", func(c *Config, v string) { c.InstanceType = v })
	str("domain", "the site's host `name` (config: domain)", func(c *Config, v string) { c.Domain = v })
	str("base-url", "public `URL` of the site (config: base_url)", func(c *Config, v string) { c.BaseURL = v })
	str("sender", "`ses` or smtp (config: sender)", func(c *Config, v string) { c.Sender = v })
	str("from", "alerts' sender `address` (config: from)", func(c *Config, v string) { c.From = v })
	str("account-from", "account mail's sender `address` (config: account_from)", func(c *Config, v string) { c.AccountFrom = v })
	str("smtp-host", "SMTP relay `host` (config: smtp.host)", func(c *Config, v string) { c.SMTP.Host = v })
	str("smtp-username", "SMTP `user` (config: smtp.username)", func(c *Config, v string) { c.SMTP.Username = v })
	fs.Func("smtp-port", "SMTP `port` (config: smtp.port)", func(v string) error {
		p, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("--smtp-port=%s: want a number such as 587", v)
		}
		o.overrides = append(o.overrides, func(c *Config) { c.SMTP.Port = p })
		return nil
	})
	str("scrape-schedule", "scraper's schedule `expression` (config: schedules.scrape)", func(c *Config, v string) { c.Schedules.Scrape = v })
	str("notify-schedule", "notifier's schedule `expression` (config: schedules.notify)", func(c *Config, v string) { c.Schedules.Notify = v })
	str("schedule-zone", "time `zone` of cron and at schedules (config: schedules.zone)", func(c *Config, v string) { c.Schedules.Zone = v })
	str("table", "DynamoDB table `name` (config: table)", func(c *Config, v string) { c.Table = v })
	str("operator-email", "mail failed runs, dead letters and the budget's alerts to this `address` (config: operator_email)", func(c *Config, v string) { c.OperatorEmail = v })
	str("ssh-cidr", "open SSH to these comma-separated `blocks` (config: ssh_cidrs)", func(c *Config, v string) { c.SSHCIDRs = items(v) })
	str("ingress-cidr", "let these comma-separated `blocks` reach ports 80 and 443 (config: ingress_cidrs)", func(c *Config, v string) { c.IngressCIDRs = items(v) })
	boolean("eip", "keep one Elastic IP across instance replacements (config: elastic_ip)", func(c *Config, b bool) { c.ElasticIP = b })
	boolean("refresh-ami", "read the newest ECS-optimized AMI at this apply: a new one replaces the host (config: refresh_ami)", func(c *Config, b bool) { c.RefreshAMI = b })
	boolean("nat", "add private subnets and one NAT gateway (config: nat)", func(c *Config, b bool) { c.NAT = b })
	awsvpcFlags(str) // issue 16
	fs.Func("instances", "run `N` hosts; 2 or more behind a load balancer (config: instances)", func(v string) error {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return fmt.Errorf("--instances=%s: want a number such as 3", v)
		}
		o.overrides = append(o.overrides, func(c *Config) { c.Instances = int32(n) })
		return nil
	})

	scalingFlags(fs, o) // scaling.go

	// The flag package calls Usage on every error: parse prints the help
	// only when it was asked for, and errors in one line.
	fs.Usage = func() {}
	a.help = func() { // the command ends after it
		fmt.Fprintf(a.stdout, "Usage: deploy %s %s\n\n%s\n\nFlags:\n", name, synopsis, strings.TrimSpace(about))
		fs.SetOutput(a.stdout)
		fs.PrintDefaults()
		fmt.Fprint(a.stdout, "\n"+helpText("config"))
	}
	return fs
}

// items splits a comma-separated list.
func items(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' })
}

// command parses a command that takes no arguments (flags adds its own
// flags) and returns its configuration.
func (a *app) command(name string, args []string, forApply bool, o *options, flags func(*flag.FlagSet)) (Config, error) {
	fs := a.newFlagSet(name, "[flags]", helpText(name), o)
	if flags != nil {
		flags(fs)
	}
	if err := a.parse(fs, args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, usagef("%s takes no arguments, got %q", name, fs.Args())
	}
	return o.config(forApply)
}

// parse parses args; --help prints the usage and ends the command.
func (a *app) parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			a.help()
			return err
		}
		return usagef("%s: %v", fs.Name(), err)
	}
	return nil
}

// config merges the file, the flags and the defaults, and validates the
// result (forApply: with what apply needs). No AWS call happens before it
// succeeds.
func (o *options) config(forApply bool) (Config, error) {
	var c Config
	if o.configFile != "" {
		var err error
		if c, err = LoadConfig(o.configFile); err != nil {
			return c, err
		}
	}
	for _, set := range o.overrides {
		set(&c)
	}
	c = c.WithDefaults()
	if err := c.Validate(forApply); err != nil {
		return c, err
	}
	return c, nil
}

// logger is the packages' logger: with --verbose their Debug records on
// stderr, else nothing.
func (o *options) logger(a *app) *slog.Logger {
	if o.verbose {
		return slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}
