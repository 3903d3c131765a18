package integration_test

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/integration"
	"github.com/manga-alert-italia/mangaalert/scraper/sample"
	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/dynamo"
)

// deployE2ERuntime is the runtime half of the end-to-end test, run between
// the first apply and the second: the runtime binary runs the scrape and
// notify tasks as ECS would start them (the command and environment of the
// task definitions the deploy tool registered, secrets resolved from
// Secrets Manager as the agent resolves valueFrom), against the emulator's
// DynamoDB, Secrets Manager and SES. Scrape reads the saved publisher
// pages served on loopback on their day; notify mails a reader who follows
// a series, through SES, with the one-click unsubscribe headers; a second
// notify sends nothing.
func deployE2ERuntime(t *testing.T, st *deployedStack) {
	t.Helper()
	st.Emulator.Require(t, integration.SESv2)
	ctx := context.Background()
	bin := buildRuntime(t)

	var sites []string
	for _, s := range sample.Sites() {
		srv := httptest.NewServer(s)
		t.Cleanup(srv.Close)
		sites = append(sites, s.Source+"="+srv.URL)
	}
	// Where ECS is not, these stand for it: the endpoint, the task's role
	// (static test credentials), and the day of the saved pages.
	local := []string{
		"AWS_ENDPOINT_URL=" + st.Emulator.Endpoint,
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"MANGAALERT_TODAY=2024-09-09",
		"MANGAALERT_LOG_FORMAT=json",
	}

	scrape := taskEnv(t, ctx, st, "scrape")
	out := runTask(t, bin, append(scrape.env, local...), append(scrape.command,
		"--sites", strings.Join(sites, ","), "--delay", "1ms", "--weeks", "2")...)
	assert.Contains(t, out, `"msg":"scrape done"`)

	// A reader who followed, before they were announced, every series with
	// a first edition still to come; the address is this test's alone (moto
	// keeps one mailbox for every account).
	db := dynamo.New(dynamodb.NewFromConfig(st.AWS), st.Table)
	reader := store.Subscriber{ID: "e2e-" + integration.NewAccountID(), Status: store.Active,
		CreatedAt: time.Date(2024, 9, 1, 9, 0, 0, 0, time.UTC)}
	reader.Email = reader.ID + "@example.it"
	require.NoError(t, db.CreateSubscriber(ctx, reader))
	vols, err := db.UpcomingVolumes(ctx, store.NewDate(2024, 9, 9))
	require.NoError(t, err)
	var followed []string
	for _, v := range vols {
		if v.Edition == store.First && !slices.Contains(followed, v.SeriesID) {
			followed = append(followed, v.SeriesID)
			require.NoError(t, db.Follow(ctx, store.Follow{SubscriberID: reader.ID, SeriesID: v.SeriesID, CreatedAt: reader.CreatedAt}))
		}
	}
	require.NotEmpty(t, followed, "the saved pages announce first editions after 9 September 2024")

	// SES sends only from a verified identity; the deploy tool leaves
	// identities to the operator (its plan says so).
	_, err = sesv2.NewFromConfig(st.AWS).CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String(e2eDomain)})
	require.NoError(t, err)

	notify := taskEnv(t, ctx, st, "notify")
	// moto has no SES GetAccount: pace by --rate alone.
	notifyArgs := append(notify.command, "--ses-no-quota", "--rate", "20")
	out = runTask(t, bin, append(notify.env, local...), notifyArgs...)
	assert.Regexp(t, `notify: [1-9]\d* emails sent, 0 failed, 0 uncertain`, out)

	got, err := st.Emulator.SentMail(ctx, reader.Email)
	require.NoError(t, err)
	require.Len(t, got, 1, "all that is due for one reader in one run is one email")
	m := got[0]
	assert.Equal(t, "List-Unsubscribe=One-Click", m.Header.Get("List-Unsubscribe-Post"))
	assert.Regexp(t, `^<https://`+e2eDomain+`/\S+>, <mailto:unsubscribe@`+e2eDomain+`\?subject=\S+>$`, m.Header.Get("List-Unsubscribe"))
	assert.Contains(t, m.Header.Get("From"), "avvisi@"+e2eDomain)
	assert.NotEmpty(t, m.Header.Get("List-Id"))
	assert.Contains(t, m.Body, "Nuovi volumi annunciati", "the announcements of the followed series")
	assert.Contains(t, m.Body, "https://"+e2eDomain+"/disiscriviti/", "a visible unsubscribe link on the site")

	out = runTask(t, bin, append(notify.env, local...), notifyArgs...)
	assert.Contains(t, out, "notify: 0 emails sent")
	got, err = st.Emulator.SentMail(ctx, reader.Email)
	require.NoError(t, err)
	assert.Len(t, got, 1, "a second run sends nothing twice")
}

// task is what ECS would start for one container: its command and its
// environment, secrets included.
type task struct {
	command []string
	env     []string
}

// taskEnv reads the task definition the deploy tool registered for a
// container and resolves its secrets as the ECS agent does (valueFrom:
// a secret ARN, optionally with :json-key:stage:version).
func taskEnv(t *testing.T, ctx context.Context, st *deployedStack, container string) task {
	t.Helper()
	arn, ok := st.TaskDefs[container]
	require.True(t, ok, "task definition of %s", container)
	out, err := ecs.NewFromConfig(st.AWS).DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
	require.NoError(t, err)
	require.Len(t, out.TaskDefinition.ContainerDefinitions, 1)
	c := out.TaskDefinition.ContainerDefinitions[0]
	var tk task
	tk.command = c.Command
	for _, kv := range c.Environment {
		tk.env = append(tk.env, aws.ToString(kv.Name)+"="+aws.ToString(kv.Value))
	}
	sm := secretsmanager.NewFromConfig(st.AWS)
	for _, s := range c.Secrets {
		from := aws.ToString(s.ValueFrom)
		require.NotContains(t, from, ":json-key", "the runtime's secrets are whole values")
		v, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(from)})
		require.NoError(t, err, "the agent resolves %s", from)
		tk.env = append(tk.env, aws.ToString(s.Name)+"="+aws.ToString(v.SecretString))
	}
	require.NotEmpty(t, tk.command, "the task definition of %s names its command", container)
	return tk
}

// runTask runs the runtime binary with only env (no inherited AWS or
// MANGAALERT settings) and returns what it printed; it must exit 0.
func runTask(t *testing.T, bin string, env []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "mangaalert %s:\n%s", strings.Join(args, " "), out)
	return string(out)
}

// buildRuntime builds the runtime binary once for the test.
func buildRuntime(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "mangaalert")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/manga-alert-italia/mangaalert/examples/mangaalert").CombinedOutput()
	require.NoError(t, err, "build the runtime binary:\n%s", out)
	return bin
}
