package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// valid is a configuration apply accepts.
func valid() Config {
	return Config{Image: "ghcr.io/owner/mangaalert:1.0", Domain: "mangaalert.example.it"}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name     string
		change   func(*Config)
		forApply bool
		want     []string // "field: words of the problem"; none means valid
	}{
		{name: "defaults plan", change: func(c *Config) { *c = Config{} }},
		{name: "defaults apply", change: func(*Config) {}, forApply: true},
		{name: "apply needs where links point and who sends", change: func(c *Config) { *c = Config{} }, forApply: true,
			want: []string{"account_from: needed by apply", "base_url: needed by apply", "from: needed by apply"}},
		{name: "stack too short", change: func(c *Config) { c.Stack = "ab" }, want: []string{"stack: \"ab\": use 3-28"}},
		{name: "stack upper case", change: func(c *Config) { c.Stack = "Manga" }, want: []string{"stack: \"Manga\""}},
		{name: "stack too long", change: func(c *Config) { c.Stack = strings.Repeat("a", 29) }, want: []string{"stack: "}},
		{name: "region", change: func(c *Config) { c.Region = "milan" }, want: []string{"region: \"milan\" is not an AWS region: did you mean"}},
		{name: "image", change: func(c *Config) { c.Image = "Bad Image" }, want: []string{"image: \"Bad Image\" is not an image reference"}},
		{name: "instance type", change: func(c *Config) { c.InstanceType = "micro" }, want: []string{"instance_type: \"micro\" is not an EC2 instance type"}},
		{name: "instance type without a price", change: func(c *Config) { c.InstanceType = "t3a.xlarge" },
			want: []string{`instance_type: instance type "t3a.xlarge" is not one this package knows the price and memory of: use one of t4g.nano, t3a.nano`}},
		{name: "image not built for the instance", change: func(c *Config) { c.ImageArch = "amd64" },
			want: []string{"image_arch: instance type t4g.nano is arm64 but the image is built for amd64 only: build the arm64 image too (examples/mangaalert/build-image.sh"}},
		{name: "privacy contact", change: func(c *Config) { c.PrivacyContact = "Mario Rossi, privacy@example.it" }},
		{name: "privacy contact on two lines", change: func(c *Config) { c.PrivacyContact = "Mario Rossi\nprivacy@example.it" },
			want: []string{"privacy_contact: a name and an address on one line"}},
		{name: "secrets in Parameter Store", change: func(c *Config) { c.SecretStore = "ssm" }},
		{name: "secrets in Parameter Store need sender ses", change: func(c *Config) {
			c.SecretStore, c.Sender, c.SMTP = "ssm", SenderSMTP, SMTPConfig{Host: "smtp.example.it", Username: "app"}
		}, want: []string{`secret_store: "ssm": serve, notify read secrets by ARN (MANGAALERT_SMTP_CONFIG), which only Secrets Manager serves`}},
		{name: "unknown secret store", change: func(c *Config) { c.SecretStore = "vault" }, want: []string{`secret_store: "vault": use "secretsmanager" (default) or "ssm"`}},
		{name: "image built for the instance", change: func(c *Config) { c.ImageArch, c.InstanceType = "amd64", "t3.nano" }},
		{name: "domain with scheme", change: func(c *Config) { c.Domain = "https://x.it" }, want: []string{"domain: \"https://x.it\" is not a host name"}},
		{name: "base url scheme", change: func(c *Config) { c.BaseURL = "ftp://x.it" }, want: []string{"base_url: \"ftp://x.it\" must start with https://"}},
		{name: "base url query", change: func(c *Config) { c.BaseURL = "https://x.it/?a=1" }, want: []string{"base_url: \"https://x.it/?a=1\" may not carry a query"}},
		{name: "sender", change: func(c *Config) { c.Sender = "mailgun" }, want: []string{"sender: \"mailgun\": use \"ses\""}},
		{name: "from not an address", change: func(c *Config) { c.From = "avvisi" }, want: []string{"from: \"avvisi\" is not a mail address"}},
		{name: "from and account_from equal", change: func(c *Config) {
			c.From, c.AccountFrom = "A <a@x.it>", "B <a@x.it>"
		}, want: []string{"account_from: a@x.it is also from"}},
		{name: "ses sends from one domain", change: func(c *Config) {
			c.From, c.AccountFrom = "A <a@x.it>", "B <b@y.it>"
		}, want: []string{"account_from: b@y.it is in another domain"}},
		{name: "smtp needs host and user", change: func(c *Config) { c.Sender = SenderSMTP }, forApply: true,
			want: []string{"smtp.host: needed with sender smtp", "smtp.username: needed with sender smtp"}},
		{name: "smtp complete", change: func(c *Config) {
			c.Sender, c.SMTP = SenderSMTP, SMTPConfig{Host: "smtp.example.it", Username: "app"}
		}, forApply: true},
		{name: "smtp port and security", change: func(c *Config) {
			c.Sender, c.SMTP = SenderSMTP, SMTPConfig{Host: "smtp.example.it", Username: "app", Port: 70000, Security: "ssl"}
		}, want: []string{"smtp.port: 70000 is not a TCP port", "smtp.security: \"ssl\""}},
		{name: "smtp without sender smtp", change: func(c *Config) { c.SMTP.Host = "smtp.example.it" }, want: []string{"smtp: is set but sender is \"ses\""}},
		{name: "schedule expression", change: func(c *Config) { c.Schedules.Scrape = "rate(1 hours)" },
			want: []string{"schedules.scrape: schedule expression \"rate(1 hours)\""}},
		{name: "schedule cron", change: func(c *Config) { c.Schedules.Notify = "cron(0 8 * * MON *)" },
			want: []string{"schedules.notify: schedule expression"}},
		{name: "notify cannot follow a rate", change: func(c *Config) { c.Schedules.Scrape = "rate(6 hours)" },
			want: []string{"schedules.scrape: cannot follow scrape 30m later: rate(6 hours) is not a cron() schedule"}},
		{name: "notify on its own", change: func(c *Config) { c.Schedules.Scrape, c.Schedules.Notify = "rate(6 hours)", "cron(0 8 * * ? *)" }},
		{name: "schedule zone", change: func(c *Config) { c.Schedules.Zone = "Rome" }, want: []string{"schedules.zone: time zone \"Rome\""}},
		{name: "table", change: func(c *Config) { c.Table = "a b" }, want: []string{"table: \"a b\""}},
		{name: "log retention", change: func(c *Config) { c.LogRetentionDays = 10 }, want: []string{"log_retention_days: 10: CloudWatch Logs accepts only"}},
		{name: "vpc block too small", change: func(c *Config) { c.CIDR = "10.0.0.0/26" }, want: []string{"cidr: \"10.0.0.0/26\" is too small"}},
		{name: "too many zones", change: func(c *Config) { c.AZs = 9 }, want: []string{"azs: \"9\" is more than 8"}},
		{name: "ssh block", change: func(c *Config) { c.SSHCIDRs = []string{"1.2.3.4"} }, want: []string{"ssh_cidrs: \"1.2.3.4\" is not a block"}},
		{name: "ingress ipv6", change: func(c *Config) { c.IngressCIDRs = []string{"::/0"} }, want: []string{"ingress_cidrs: \"::/0\" is IPv6"}},
		{name: "reserved tag", change: func(c *Config) { c.Tags = map[string]string{"mangaalert:stack": "x"} },
			want: []string{"tags: key \"mangaalert:stack\": the aws: and mangaalert: prefixes are reserved"}},
		{name: "every problem at once", change: func(c *Config) { c.Stack, c.Sender, c.Schedules.Zone = "X", "pigeon", "Mars" },
			want: []string{"sender:", "schedules.zone:", "stack:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.change(&c)
			o := options{overrides: []func(*Config){func(x *Config) { *x = c }}}
			_, err := o.config(tt.forApply)
			if len(tt.want) == 0 {
				require.NoError(t, err)
				return
			}
			ce, got := assertProblems(t, err, tt.want)
			if len(ce.Problems) > 0 && ce.Problems[0].Field != "configuration" {
				assert.Len(t, got, len(tt.want), "exactly the expected problems:\n%s", strings.Join(got, "\n"))
			}
		})
	}
}

// assertProblems checks that err is a *ConfigError with, for each of
// want, a "field: problem" line starting with it; it returns the error
// and all its lines.
func assertProblems(t *testing.T, err error, want []string) (*ConfigError, []string) {
	t.Helper()
	var ce *ConfigError
	require.ErrorAs(t, err, &ce)
	var got []string
	for _, p := range ce.Problems {
		got = append(got, p.Field+": "+p.Problem)
	}
	for _, w := range want {
		assert.True(t, containsPrefix(got, w), "want a problem starting %q in:\n%s", w, strings.Join(got, "\n"))
	}
	return ce, got
}

func containsPrefix(ss []string, prefix string) bool {
	for _, s := range ss {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

func TestDefaults(t *testing.T) {
	c := Config{Domain: "manga.example.it", Sender: SenderSMTP}.WithDefaults()
	assert.Equal(t, "mangaalert", c.Stack)
	assert.Equal(t, "eu-south-1", c.Region)
	assert.Equal(t, "t4g.nano", c.InstanceType)
	assert.Equal(t, "arm64,amd64", c.ImageArch)
	assert.Equal(t, "mangaalert", c.Table)
	assert.Equal(t, "https://manga.example.it", c.BaseURL)
	assert.Equal(t, "Manga Alert Italia <avvisi@manga.example.it>", c.From)
	assert.Equal(t, "Manga Alert Italia <account@manga.example.it>", c.AccountFrom)
	assert.Equal(t, Schedules{Scrape: "cron(0 0/6 * * ? *)", Notify: "", Zone: "Europe/Rome"}, c.Schedules)
	jobs := c.spec("").WithDefaults().Jobs
	assert.Equal(t, "cron(30 0/6 * * ? *)", jobs[1].Schedule, "notify follows scrape, 30 minutes later")
	assert.Equal(t, "scrape", jobs[1].After)
	assert.Equal(t, 587, c.SMTP.Port)
	assert.False(t, c.NAT || c.ElasticIP, "no NAT, no Elastic IP")
	assert.Equal(t, "mangaalert", Config{}.WithDefaults().spec("").Stack)
}

func TestLoadConfigErrors(t *testing.T) {
	tests := []struct{ name, json, want string }{
		{"unknown field", `{"stack": "abc", "instance": "t3.micro"}`, `unknown field "instance": see deploy.example.json`},
		{"syntax", "{\n  \"stack\": \"abc\",\n}", "line 3: invalid character '}'"},
		{"type", "{\n\"nat\": \"yes\"}", `line 2: field "nat" wants a bool, not a JSON string`},
		{"two objects", `{} {}`, "more than one JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "deploy.json")
			require.NoError(t, os.WriteFile(path, []byte(tt.json), 0o600))
			_, err := LoadConfig(path)
			var ce *ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	_, err := LoadConfig(filepath.Join(t.TempDir(), "missing.json"))
	var ce *ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "--config", ce.Problems[0].Field)
}

// The privacy page's contact reaches the site's task, and only it.
func TestPrivacyContactReachesServe(t *testing.T) {
	c := Config{PrivacyContact: "Mario Rossi, privacy@example.it"}.WithDefaults()
	spec := c.spec("")
	assert.Equal(t, "Mario Rossi, privacy@example.it", spec.Service.Environment[EnvPrivacyContact])
	for _, j := range spec.Jobs {
		assert.NotContains(t, j.Container.Environment, EnvPrivacyContact, j.Container.Name)
	}
	assert.NotContains(t, Config{}.WithDefaults().spec("").Service.Environment, EnvPrivacyContact, "unset: the page says so and serve warns")
}

// The sample file is valid for apply and sets every field, and the help
// names every field: together they document the configuration.
func TestExampleConfigDocumentsEveryField(t *testing.T) {
	c, err := LoadConfig("deploy.example.json")
	require.NoError(t, err)
	require.NoError(t, c.WithDefaults().Validate(true))

	b, err := os.ReadFile("deploy.example.json")
	require.NoError(t, err)
	var raw map[string]any
	require.NoError(t, json.Unmarshal(b, &raw))
	for _, f := range jsonFields(reflect.TypeFor[Config](), "") {
		top, sub, nested := strings.Cut(f, ".")
		v, ok := raw[top]
		if nested {
			m, _ := v.(map[string]any)
			_, ok = m[sub]
		}
		assert.True(t, ok, "deploy.example.json lacks %s", f)
		assert.Contains(t, helpText("config"), "\n  "+top+" ", "--help does not document %s", top)
	}
}

func jsonFields(t reflect.Type, prefix string) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Type.Kind() == reflect.Struct {
			out = append(out, jsonFields(f.Type, prefix+name+".")...)
			continue
		}
		out = append(out, prefix+name)
	}
	return out
}

func TestFlagsOverrideTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "deploy.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"stack": "from-file", "instance_type": "t3.small", "nat": true, "ssh_cidrs": ["10.1.0.0/16"]}`), 0o600))
	a := &app{stdout: new(strings.Builder), stderr: new(strings.Builder), getenv: func(string) string { return "" }}
	var o options
	fs := a.newFlagSet("plan", "", "", &o)
	require.NoError(t, fs.Parse([]string{"--config", path, "--stack", "from-flag", "--nat=false", "--ssh-cidr", "192.0.2.0/24, 198.51.100.0/24", "--eip"}))
	c, err := o.config(false)
	require.NoError(t, err)
	assert.Equal(t, "from-flag", c.Stack, "a flag wins over the file")
	assert.Equal(t, "t3.small", c.InstanceType, "the file wins over the default")
	assert.False(t, c.NAT)
	assert.True(t, c.ElasticIP)
	assert.Equal(t, []string{"192.0.2.0/24", "198.51.100.0/24"}, c.SSHCIDRs)
	assert.Equal(t, "from-flag", c.Table, "the table follows the stack")

	err = fs.Parse([]string{"--nat=perhaps"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "want true or false")
}

// TestRegionFromTheEnvironment: with no region in the file, AWS_REGION
// (then the profile's) is used, as the AWS tools do; the file and the
// flag still win. A mistyped region is refused before any call, naming
// the nearest.
func TestRegionFromTheEnvironment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "deploy.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"region": "eu-west-3"}`), 0o600))
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"AWS_REGION", nil, "us-east-2"},
		{"the file wins", []string{"--config", path}, "eu-west-3"},
		{"the flag wins", []string{"--config", path, "--region", "eu-north-1"}, "eu-north-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &app{stdout: new(strings.Builder), stderr: new(strings.Builder), getenv: func(k string) string {
				return map[string]string{"AWS_REGION": "us-east-2"}[k]
			}}
			var o options
			require.NoError(t, a.newFlagSet("plan", "", "", &o).Parse(tc.args))
			c, err := o.config(false)
			require.NoError(t, err)
			assert.Equal(t, tc.want, c.Region)
		})
	}
	var out strings.Builder
	a := &app{stdout: &out, stderr: &out, getenv: func(string) string { return "" }, now: time.Now}
	assert.Equal(t, exitUsage, a.run(context.Background(), []string{"plan", "--region", "eu-sout-1"}))
	assert.Contains(t, out.String(), `region: "eu-sout-1" is not an AWS region: did you mean "eu-south-1"?`)
	assert.Contains(t, out.String(), "Nothing was sent to AWS.")
}
