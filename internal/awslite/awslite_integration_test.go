package awslite_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dynamodbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/integration"
	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/internal/awslite"
	"github.com/manga-alert-italia/mangaalert/notifier"
	"github.com/manga-alert-italia/mangaalert/notifier/sesmail"
	"github.com/manga-alert-italia/mangaalert/secrets"
	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/dynamo"
	"github.com/manga-alert-italia/mangaalert/store/storetest"
)

func TestMain(m *testing.M) { integration.Main(m) }

// Each type takes the place of the SDK client in the library package that
// uses it.
var (
	_ sesmail.API     = (*awslite.SES)(nil)
	_ secrets.ReadAPI = (*awslite.SecretsManager)(nil)
	_ secrets.ReadAPI = (*awslite.Secrets)(nil)
	_ dynamo.API      = (*awslite.DynamoDB)(nil)
)

// account sends moto's account header on every request (the harness adds
// it to SDK clients through their middleware, which awslite has not).
// With serial set it also hands moto one request at a time: moto 5.2.1
// has no lock around a DynamoDB table, so concurrent conditional writes
// may both pass (see store/dynamo's tests); DynamoDB itself needs none.
type account struct {
	id     string
	serial bool
	mu     sync.Mutex
}

func (a *account) Do(r *http.Request) (*http.Response, error) {
	if a.serial {
		a.mu.Lock()
		defer a.mu.Unlock()
	}
	r.Header.Set(integration.AccountHeader, a.id)
	return http.DefaultClient.Do(r)
}

// configs returns an SDK config for a fresh emulator account (to set up
// and check with the SDK's clients) and the awslite config of the same
// account.
func configs(t *testing.T, serial bool, services ...integration.Service) (aws.Config, awslite.Config) {
	t.Helper()
	cfg := integration.Config(t, services...)
	id, err := integration.AccountOf(cfg)
	require.NoError(t, err)
	lite := awslite.FromAWS(cfg)
	lite.HTTPClient = &account{id: id, serial: serial}
	lite.MaxAttempts = 1 // moto's 500s fail fast
	return cfg, lite
}

// TestDynamoDBContract runs the store's whole contract suite on the
// DynamoDB store with awslite in place of the SDK client: every item call
// the store makes, with every attribute type it writes, through moto's
// wire format. Seven items a page, so every list spans pages.
func TestDynamoDBContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store {
		cfg, lite := configs(t, true, integration.DynamoDB)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		require.NoError(t, dynamo.EnsureTable(ctx, dynamodb.NewFromConfig(cfg), "mangaalert", func(o *dynamo.TableOptions) {
			o.MinDelay, o.MaxDelay = 10*time.Millisecond, 100*time.Millisecond
		}))
		return dynamo.New(awslite.NewDynamoDB(lite), "mangaalert", func(o *dynamo.Options) { o.PageLimit = 7 })
	})
}

// TestDynamoDBErrors: a missing table and a failed condition come back as
// the store's errors, read from moto's answers.
func TestDynamoDBErrors(t *testing.T) {
	t.Parallel()
	_, lite := configs(t, true, integration.DynamoDB)
	ctx := context.Background()
	d := awslite.NewDynamoDB(lite)
	_, err := d.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("missing"),
		Key: map[string]dynamodbtypes.AttributeValue{"pk": &dynamodbtypes.AttributeValueMemberS{Value: "x"}}})
	require.Error(t, err)
	assert.True(t, awserr.Is(err, "ResourceNotFoundException"), "%v", err)

	st := dynamo.New(d, "missing")
	_, err = st.Subscriber(ctx, "s1")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "table missing does not exist")
}

// TestSES sends through sesmail with awslite's SendEmail to moto and reads
// the raw message back; an unverified sender is refused and stops a run.
func TestSES(t *testing.T) {
	t.Parallel()
	cfg, lite := configs(t, false, integration.SESv2)
	ctx := context.Background()
	_, err := sesv2.NewFromConfig(cfg).CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String("mangaalert.example")})
	require.NoError(t, err)

	s := sesmail.New(awslite.NewSES(lite), func(s *sesmail.Sender) { s.NoQuota = true })
	to := fmt.Sprintf("lettore-%d@lettori.example", time.Now().UnixNano())
	m := &notifier.Message{
		From: "Manga Alert Italia <avvisi@mangaalert.example>", To: to,
		Subject: "Domani in fumetteria: SOLO LEVELING n. 19", Text: "Esce domani, 5,90 €.", HTML: "<p>Esce domani, 5,90 €.</p>",
		Header: map[string][]string{"List-Unsubscribe-Post": {"List-Unsubscribe=One-Click"}},
	}
	id, err := s.Send(ctx, m)
	require.NoError(t, err)
	assert.NotEmpty(t, id)
	mails, err := integration.Env(t).SentMail(ctx, to)
	require.NoError(t, err)
	require.Len(t, mails, 1)
	assert.Equal(t, m.Subject, mails[0].Subject)
	assert.Equal(t, "List-Unsubscribe=One-Click", mails[0].Header.Get("List-Unsubscribe-Post"))

	bad := *m
	bad.From = "avvisi@unverified.example"
	_, err = s.Send(ctx, &bad)
	require.ErrorIs(t, err, notifier.ErrStopped)
	assert.Contains(t, err.Error(), "MessageRejected")
}

// TestSecrets reads a rotated secret's two versions through secrets.Reader
// with awslite's GetSecretValue; a missing secret is ErrNotFound.
func TestSecrets(t *testing.T) {
	t.Parallel()
	cfg, lite := configs(t, false, integration.SecretsManager)
	ctx := context.Background()
	sm := secretsmanager.NewFromConfig(cfg)
	_, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("signing-key"), SecretString: aws.String("first-key-0123456789abcdef0123456789")})
	require.NoError(t, err)
	r := secrets.NewReader(awslite.NewSecretsManager(lite))

	cur, prev, err := r.Keys(ctx, "signing-key")
	require.NoError(t, err)
	assert.True(t, cur.Equal(secrets.NewValue("first-key-0123456789abcdef0123456789")))
	assert.True(t, prev.IsZero(), "never rotated: no AWSPREVIOUS")

	_, err = sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("signing-key"), SecretString: aws.String("second-key-0123456789abcdef012345678")})
	require.NoError(t, err)
	r.Forget("signing-key")
	cur, prev, err = r.Keys(ctx, "signing-key")
	require.NoError(t, err)
	assert.True(t, cur.Equal(secrets.NewValue("second-key-0123456789abcdef012345678")))
	assert.True(t, prev.Equal(secrets.NewValue("first-key-0123456789abcdef0123456789")))

	_, err = sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("smtp"), SecretString: aws.String(`{"host":"smtp.example","port":587}`)})
	require.NoError(t, err)
	var smtp struct {
		Host string
		Port int
	}
	require.NoError(t, r.GetJSON(ctx, "smtp", &smtp))
	assert.Equal(t, "smtp.example", smtp.Host)
	assert.Equal(t, 587, smtp.Port)

	_, err = r.Get(ctx, "missing")
	require.ErrorIs(t, err, secrets.ErrNotFound)
}

// TestParameterStore reads a SecureString parameter by its ARN through
// secrets.Reader, as the binary does with secret_store "ssm": the JSON
// SMTP account, no previous version, a missing parameter not found.
func TestParameterStore(t *testing.T) {
	t.Parallel()
	cfg, lite := configs(t, false, integration.SSM, integration.SecretsManager)
	ctx := context.Background()
	client := ssm.NewFromConfig(cfg)
	_, err := client.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/mangaalert/smtp"), Type: ssmtypes.ParameterTypeSecureString,
		Value: aws.String(`{"host":"smtp.example","port":587}`)})
	require.NoError(t, err)
	got, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/mangaalert/smtp")})
	require.NoError(t, err)
	arn := aws.ToString(got.Parameter.ARN)
	require.True(t, awslite.IsParameterARN(arn), arn)

	r := secrets.NewReader(awslite.NewSecrets(lite))
	var smtp struct {
		Host string
		Port int
	}
	require.NoError(t, r.GetJSON(ctx, arn, &smtp))
	assert.Equal(t, "smtp.example", smtp.Host)
	assert.Equal(t, 587, smtp.Port)

	cur, prev, err := r.Keys(ctx, arn)
	require.NoError(t, err)
	assert.False(t, cur.IsZero())
	assert.True(t, prev.IsZero(), "Parameter Store keeps no previous version")

	_, err = r.Get(ctx, strings.Replace(arn, "/mangaalert/smtp", "/mangaalert/missing", 1))
	require.ErrorIs(t, err, secrets.ErrNotFound)

	// A Secrets Manager name still goes to Secrets Manager.
	_, err = r.Get(ctx, "mangaalert/signing-key")
	require.ErrorIs(t, err, secrets.ErrNotFound)
}
