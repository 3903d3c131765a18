package integration_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/integration"
)

func TestMain(m *testing.M) { integration.Main(m) }

func TestConfigIsolatesAccounts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := integration.Config(t, integration.SecretsManager, integration.STS)
	b := integration.Config(t, integration.SecretsManager, integration.STS)

	idA, err := integration.AccountOf(a)
	require.NoError(t, err)
	who, err := sts.NewFromConfig(a).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	assert.Equal(t, idA, aws.ToString(who.Account), "the emulator works in the account the config names")

	_, err = secretsmanager.NewFromConfig(a).CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("same-name"), SecretString: aws.String("a")})
	require.NoError(t, err)
	// The same name in another account is a different secret, and a's is invisible there.
	_, err = secretsmanager.NewFromConfig(b).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("same-name")})
	require.Error(t, err)
	_, err = secretsmanager.NewFromConfig(b).CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("same-name"), SecretString: aws.String("b")})
	require.NoError(t, err)
}

func TestCallsCountsAndInjects(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := integration.Config(t, integration.EC2)
	calls := integration.Record(&cfg)
	client := ec2.NewFromConfig(cfg)

	_, err := client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	require.NoError(t, err)
	_, err = client.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.1.0.0/16")})
	require.NoError(t, err)
	assert.Equal(t, 2, calls.Count())
	assert.Equal(t, []integration.Call{{Service: "EC2", Operation: "CreateVpc", Mutating: true}}, calls.Mutating())

	// Before: the call never reaches the emulator.
	calls.FailAt(1, integration.FailBefore)
	_, err = client.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.2.0.0/16")})
	require.ErrorIs(t, err, integration.ErrInjected)
	// After: the emulator did it, the caller hears an error.
	calls.FailAt(1, integration.FailAfter)
	_, err = client.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.3.0.0/16")})
	require.ErrorIs(t, err, integration.ErrInjected)
	// Faults fire once.
	_, err = client.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.4.0.0/16")})
	require.NoError(t, err)

	out, err := client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	require.NoError(t, err)
	var cidrs []string
	for _, v := range out.Vpcs {
		cidrs = append(cidrs, aws.ToString(v.CidrBlock))
	}
	assert.Contains(t, cidrs, "10.3.0.0/16")
	assert.NotContains(t, cidrs, "10.2.0.0/16")
	assert.Len(t, calls.Mutating(), 4)
}

func TestIsMutating(t *testing.T) {
	for op, want := range map[string]bool{
		"CreateVpc": true, "DescribeVpcs": false, "GetSecretValue": false, "PutItem": true,
		"TransactWriteItems": true, "BatchGetItem": false, "ListTagsForResource": false,
		"TagResource": true, "Query": false, "RunTask": true, "SendEmail": true,
	} {
		assert.Equal(t, want, integration.IsMutating(op), op)
	}
}

func TestSentMail(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := integration.Env(t)
	cfg := integration.Config(t, integration.SESv2)
	ses := sesv2.NewFromConfig(cfg)
	_, err := ses.CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String("example.com")})
	require.NoError(t, err)

	to := fmt.Sprintf("reader-%s@example.it", integration.NewAccountID())
	raw := "From: Manga Alert <avvisi@example.com>\r\nTo: " + to + "\r\nSubject: =?utf-8?q?Nuovo_volume_=E2=80=93_n._19?=\r\n" +
		"List-Unsubscribe: <https://example.com/u/x>\r\n\r\nciao\r\n"
	sent, err := ses.SendEmail(ctx, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("avvisi@example.com"),
		Destination:      &sestypes.Destination{ToAddresses: []string{to}},
		Content:          &sestypes.EmailContent{Raw: &sestypes.RawMessage{Data: []byte(raw)}},
	})
	require.NoError(t, err)
	_, err = ses.SendEmail(ctx, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("avvisi@example.com"),
		Destination:      &sestypes.Destination{ToAddresses: []string{"someone-else@example.it"}},
		Content: &sestypes.EmailContent{Simple: &sestypes.Message{
			Subject: &sestypes.Content{Data: aws.String("s")},
			Body:    &sestypes.Body{Text: &sestypes.Content{Data: aws.String("t")}}}},
	})
	require.NoError(t, err)

	got, err := e.SentMail(ctx, to)
	require.NoError(t, err)
	require.Len(t, got, 1, "only the mail to this test's address")
	m := got[0]
	assert.Equal(t, aws.ToString(sent.MessageId), m.ID)
	assert.Equal(t, "Nuovo volume – n. 19", m.Subject)
	assert.Equal(t, "<https://example.com/u/x>", m.Header.Get("List-Unsubscribe"))
	assert.Equal(t, []string{to}, m.To)
	assert.Equal(t, "ciao\r\n", m.Body)
}

func TestEmulatorNamesItself(t *testing.T) {
	e := integration.Env(t)
	assert.NotEmpty(t, e.Endpoint)
	assert.Contains(t, e.String(), string(e.Kind))
	assert.True(t, e.Offers(integration.EC2))
	t.Logf("emulator: %s; services: %v", e, e.Services())
}

func TestRequireSkipsWhatIsNotOffered(t *testing.T) {
	// A fake test lets us watch Require decide without ending this test.
	e := integration.Env(t)
	ft := &fakeT{TB: t}
	func() {
		defer func() { _ = recover() }()
		e.Require(ft, integration.Service("no-such-service"))
	}()
	assert.Equal(t, "no-such-service not offered by "+string(e.Kind), ft.skipped)
}

type fakeT struct {
	testing.TB
	skipped string
}

func (f *fakeT) Helper() {}
func (f *fakeT) Skipf(format string, args ...any) {
	f.skipped = fmt.Sprintf(format, args...)
	panic(errors.New("skip"))
}

// A test of an infrastructure package proves Ensure idempotent like this:
//
//	cfg := integration.Config(t, integration.EC2)
//	calls := integration.Record(&cfg)
//	... Ensure, calls.Reset(), Ensure again ...
//	require.Empty(t, calls.Mutating())
func ExampleIsMutating() {
	fmt.Println(integration.IsMutating("CreateVpc"), integration.IsMutating("DescribeVpcs"))
	// Output: true false
}

func TestCallsNameTheServiceOfEveryClient(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := integration.Config(t, integration.Scheduler, integration.STS)
	calls := integration.Record(&cfg)
	_, err := scheduler.NewFromConfig(cfg).ListScheduleGroups(ctx, &scheduler.ListScheduleGroupsInput{})
	require.NoError(t, err)
	_, err = sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	assert.Equal(t, []integration.Call{
		{Service: "Scheduler", Operation: "ListScheduleGroups"},
		{Service: "STS", Operation: "GetCallerIdentity"},
	}, calls.All())
}
