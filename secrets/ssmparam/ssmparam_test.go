package ssmparam_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/integration"
	"github.com/manga-alert-italia/mangaalert/resource"
	"github.com/manga-alert-italia/mangaalert/secrets"
	"github.com/manga-alert-italia/mangaalert/secrets/ssmparam"
)

func TestMain(m *testing.M) { integration.Main(m) }

var _ ssmparam.API = (*ssm.Client)(nil)

func spec() ssmparam.Spec {
	return ssmparam.Spec{Stack: "manga", Parameters: []ssmparam.Parameter{
		{Name: "signing-key", Description: "HMAC key", Generate: secrets.RandomBytes(32)},
		{Name: "smtp", Value: secrets.NewValue(`{"password":"hunter2"}`)},
	}}
}

func value(t *testing.T, c *ssm.Client, name string) string {
	t.Helper()
	out, err := c.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
	require.NoError(t, err)
	assert.Equal(t, types.ParameterTypeSecureString, out.Parameter.Type)
	return aws.ToString(out.Parameter.Value)
}

func TestEnsureTwiceWritesOnceAndDeleteRemovesOnlyOurs(t *testing.T) {
	ctx := context.Background()
	cfg := integration.Config(t, integration.SSM)
	calls := integration.Record(&cfg)
	c := ssm.NewFromConfig(cfg)
	ps := ssmparam.New(c)

	st, err := ps.Ensure(ctx, spec())
	require.NoError(t, err)
	require.Len(t, st.Changes, 2)
	for _, ch := range st.Changes {
		assert.Equal(t, change.Create, ch.Action)
		assert.NotContains(t, ch.String(), "hunter2", "no value in a change")
	}
	assert.Regexp(t, `^arn:aws:ssm:[a-z0-9-]+:\d{12}:parameter/manga/smtp$`, st.ARNs["smtp"], "the ARN valueFrom takes")
	key := value(t, c, "/manga/signing-key")
	assert.Len(t, key, 44, "32 random bytes, base64")
	assert.Equal(t, `{"password":"hunter2"}`, value(t, c, "/manga/smtp"))

	calls.Reset()
	st2, err := ps.Ensure(ctx, spec())
	require.NoError(t, err)
	assert.Empty(t, st2.Changes)
	assert.Empty(t, calls.Mutating(), "a second Ensure writes nothing")
	assert.Equal(t, key, value(t, c, "/manga/signing-key"), "the generated value is kept")

	s := spec()
	s.Parameters[1].Value, s.Parameters[1].Overwrite = secrets.NewValue(`{"password":"new"}`), true
	p, err := ps.Plan(ctx, s)
	require.NoError(t, err)
	assert.Equal(t, []change.Action{change.Keep, change.Update}, []change.Action{p.Changes[0].Action, p.Changes[1].Action})
	_, err = ps.Ensure(ctx, s)
	require.NoError(t, err)
	assert.Equal(t, `{"password":"new"}`, value(t, c, "/manga/smtp"))

	// A parameter under the stack's path without its tag is not ours.
	_, err = c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/manga/foreign"), Type: types.ParameterTypeSecureString, Value: aws.String("x")})
	require.NoError(t, err)
	s.Parameters = append(s.Parameters, ssmparam.Parameter{Name: "foreign", Value: secrets.NewValue("y")})
	_, err = ps.Ensure(ctx, s)
	assert.ErrorIs(t, err, resource.ErrNotOurs)

	deleted, err := ps.Delete(ctx, "manga")
	require.NoError(t, err)
	assert.Len(t, deleted, 2)
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/manga/smtp")})
	assert.Error(t, err)
	assert.Equal(t, "x", value(t, c, "/manga/foreign"), "the untagged parameter is left alone")
	again, err := ps.Delete(ctx, "manga")
	require.NoError(t, err)
	assert.Empty(t, again)
}

func TestBadSpecIsRefusedBeforeAnyCall(t *testing.T) {
	ps := ssmparam.New(nil)
	for _, s := range []ssmparam.Spec{
		{Stack: ""},
		{Stack: "manga", Parameters: []ssmparam.Parameter{{Name: "a b", Value: secrets.NewValue("x")}}},
		{Stack: "manga", Parameters: []ssmparam.Parameter{{Name: "a"}}},
		{Stack: "manga", Parameters: []ssmparam.Parameter{{Name: "a", Value: secrets.NewValue("x")}, {Name: "a", Value: secrets.NewValue("x")}}},
	} {
		_, err := ps.Plan(context.Background(), s)
		assert.ErrorIs(t, err, secrets.ErrInvalid, "%+v", s)
	}
}

// Offline, Plan shows every parameter created, with the ARN a task
// definition's valueFrom would take.
func ExampleParams_Plan() {
	ps := ssmparam.New(nil, func(o *ssmparam.Options) { o.Offline, o.Region, o.Account = true, "eu-south-1", "123456789012" })
	p, err := ps.Plan(context.Background(), ssmparam.Spec{Stack: "mangaalert",
		Parameters: []ssmparam.Parameter{{Name: "signing-key", Generate: secrets.RandomBytes(32)}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range p.Changes {
		fmt.Println(c.Action, c.Kind, c.Name, strings.Join(c.Details, "; "))
	}
	fmt.Println(ssmparam.ARN("aws", "eu-south-1", "123456789012", "mangaalert", "signing-key"))
	// Output:
	// create SSM parameter /mangaalert/signing-key SecureString, generated value
	// arn:aws:ssm:eu-south-1:123456789012:parameter/mangaalert/signing-key
}
