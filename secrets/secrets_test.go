package secrets_test

import (
	"context"
	"encoding/base64"
	"errors"
	"io/fs"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/integration"
	"github.com/manga-alert-italia/mangaalert/secrets"
)

func TestMain(m *testing.M) { integration.Main(m) }

var _ secrets.API = (*secretsmanager.Client)(nil)

// env is one test's fresh emulator account.
type env struct {
	client *secretsmanager.Client
	calls  *integration.Calls
	s      *secrets.Secrets
}

func newEnv(t *testing.T) env {
	t.Helper()
	cfg := integration.Config(t, integration.SecretsManager)
	calls := integration.Record(&cfg)
	client := secretsmanager.NewFromConfig(cfg)
	return env{client: client, calls: calls, s: secrets.New(client, func(o *secrets.Options) { o.RetryDelay = time.Millisecond })}
}

// value reads a version of a secret straight from the API.
func (e env) value(t *testing.T, id, stage string) string {
	t.Helper()
	out, err := e.client.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{
		SecretId: aws.String(id), VersionStage: aws.String(stage)})
	require.NoError(t, err)
	return aws.ToString(out.SecretString)
}

func (e env) describe(t *testing.T, id string) *secretsmanager.DescribeSecretOutput {
	t.Helper()
	out, err := e.client.DescribeSecret(context.Background(), &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)})
	require.NoError(t, err)
	return out
}

func (e env) versions(t *testing.T, id string) int {
	t.Helper()
	out, err := e.client.ListSecretVersionIds(context.Background(), &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String(id)})
	require.NoError(t, err)
	return len(out.Versions)
}

func operations(calls []integration.Call) []string {
	var ops []string
	for _, c := range calls {
		ops = append(ops, c.Operation)
	}
	return ops
}

const (
	signingName = "mangaalert/test/signing-key"
	smtpName    = "mangaalert/test/smtp"
	smtpJSON    = `{"host":"smtp.example.test","port":587,"username":"app","password":"hunter2-smtp"}`
)

func testSpec() secrets.Spec {
	return secrets.Spec{Stack: "test", Component: "runtime", Secrets: []secrets.Secret{
		{Name: signingName, Description: "HMAC key for confirmation links", Generate: secrets.RandomBytes(32)},
		{Name: smtpName, Description: "SMTP account", Value: secrets.NewValue(smtpJSON), Tags: map[string]string{"owner": "notifier"}},
	}}
}

func TestEnsureTwiceKeepsFirstValueAndWritesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	spec := testSpec()

	plan, err := e.s.Plan(ctx, spec)
	require.NoError(t, err)
	assert.Equal(t, []secrets.Action{secrets.ActionCreate, secrets.ActionCreate}, actions(plan))
	assert.Empty(t, e.calls.Mutating(), "Plan writes nothing")

	st, err := e.s.Ensure(ctx, spec)
	require.NoError(t, err)
	assert.Equal(t, []string{"CreateSecret", "CreateSecret"}, operations(e.calls.Mutating()))
	require.Len(t, st.Secrets, 2)
	for _, sec := range st.Secrets {
		assert.True(t, sec.Created)
		assert.NotEmpty(t, sec.VersionID)
		_, err := secrets.ParseValueFrom(sec.ARN)
		assert.NoError(t, err, "State holds the full ARN: %s", sec.ARN)
	}
	key := e.value(t, signingName, secrets.StageCurrent)
	raw, err := base64.StdEncoding.DecodeString(key)
	require.NoError(t, err)
	assert.Len(t, raw, 32, "RandomBytes(32) made the signing key")
	assert.Equal(t, smtpJSON, e.value(t, smtpName, secrets.StageCurrent))

	d := e.describe(t, smtpName)
	assert.Equal(t, "SMTP account", aws.ToString(d.Description))
	assert.Equal(t, map[string]string{"mangaalert:stack": "test", "mangaalert:component": "runtime", "owner": "notifier"}, tagMap(d))

	// The second Ensure, even with another value on offer, reads and writes nothing.
	e.calls.Reset()
	spec.Secrets[1].Value = secrets.NewValue(`{"password":"other"}`)
	st2, err := e.s.Ensure(ctx, spec)
	require.NoError(t, err)
	assert.Empty(t, e.calls.Mutating())
	assert.Equal(t, []string{"DescribeSecret", "DescribeSecret"}, operations(e.calls.All()))
	assert.Equal(t, st.ARN(signingName), st2.ARN(signingName))
	assert.Equal(t, st.Secrets[1].VersionID, st2.Secrets[1].VersionID)
	assert.False(t, st2.Secrets[0].Created)
	assert.Equal(t, key, e.value(t, signingName, secrets.StageCurrent), "the generated key is kept")
	assert.Equal(t, smtpJSON, e.value(t, smtpName, secrets.StageCurrent), "the first value is kept")

	plan, err = e.s.Plan(ctx, spec)
	require.NoError(t, err)
	assert.True(t, plan.Empty(), plan.String())
}

func actions(p secrets.Plan) []secrets.Action {
	var out []secrets.Action
	for _, c := range p.Changes {
		out = append(out, c.Action)
	}
	return out
}

func tagMap(d *secretsmanager.DescribeSecretOutput) map[string]string {
	m := map[string]string{}
	for _, tg := range d.Tags {
		m[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	return m
}

func TestEnsureUpdatesDescriptionKMSAndTagsInPlace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	spec := testSpec()
	_, err := e.s.Ensure(ctx, spec)
	require.NoError(t, err)

	spec.Secrets[0].Description = "new description"
	spec.Secrets[0].KMSKeyID = "alias/mangaalert-test"
	spec.Secrets[1].Tags = map[string]string{"owner": "backend"}
	e.calls.Reset()
	plan, err := e.s.Plan(ctx, spec)
	require.NoError(t, err)
	assert.Equal(t, []secrets.Action{secrets.ActionUpdate, secrets.ActionTag}, actions(plan), plan.String())

	st, err := e.s.Ensure(ctx, spec)
	require.NoError(t, err)
	assert.Equal(t, []string{"UpdateSecret", "TagResource"}, operations(e.calls.Mutating()))
	d := e.describe(t, signingName)
	assert.Equal(t, "new description", aws.ToString(d.Description))
	assert.Equal(t, "alias/mangaalert-test", aws.ToString(d.KmsKeyId))
	assert.Equal(t, "alias/mangaalert-test", st.Secrets[0].KMSKeyID)
	assert.Equal(t, "backend", tagMap(e.describe(t, smtpName))["owner"])

	e.calls.Reset()
	_, err = e.s.Ensure(ctx, spec)
	require.NoError(t, err)
	assert.Empty(t, e.calls.Mutating(), "converged")
}

func TestEnsureOverwriteMakesNewVersion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	spec := secrets.Spec{Stack: "test", Secrets: []secrets.Secret{{Name: "api-token", Value: secrets.NewValue("first-token")}}}
	st, err := e.s.Ensure(ctx, spec)
	require.NoError(t, err)

	spec.Secrets[0].Value = secrets.NewValue("second-token")
	spec.Secrets[0].Overwrite = true
	plan, err := e.s.Plan(ctx, spec)
	require.NoError(t, err)
	assert.Equal(t, []secrets.Action{secrets.ActionOverwrite}, actions(plan))
	assert.NotContains(t, plan.String(), "second-token", "a plan never shows a value")

	e.calls.Reset()
	st2, err := e.s.Ensure(ctx, spec)
	require.NoError(t, err)
	assert.Equal(t, []string{"PutSecretValue"}, operations(e.calls.Mutating()))
	assert.NotEqual(t, st.Secrets[0].VersionID, st2.Secrets[0].VersionID)
	assert.Equal(t, "second-token", e.value(t, "api-token", secrets.StageCurrent))
	assert.Equal(t, "first-token", e.value(t, "api-token", secrets.StagePrevious), "the old value is a version, not lost")

	// Overwrite with the value already there writes nothing.
	e.calls.Reset()
	_, err = e.s.Ensure(ctx, spec)
	require.NoError(t, err)
	assert.Empty(t, e.calls.Mutating())
	assert.Equal(t, 2, e.versions(t, "api-token"))
}

func TestEnsureRefusesBadSpecBeforeAnyCall(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	ok := secrets.Secret{Name: "ok", Generate: secrets.RandomPassword(20)}
	tests := []struct {
		name string
		spec secrets.Spec
		want string
	}{
		{"no stack", secrets.Spec{Secrets: []secrets.Secret{ok}}, "Spec.Stack is empty"},
		{"no value", secrets.Spec{Stack: "s", Secrets: []secrets.Secret{{Name: "a"}}}, "set Value, or Generate"},
		{"both", secrets.Spec{Stack: "s", Secrets: []secrets.Secret{{Name: "a", Value: secrets.NewValue("x"), Generate: secrets.RandomBytes(8)}}}, "keep one"},
		{"overwrite generated", secrets.Spec{Stack: "s", Secrets: []secrets.Secret{{Name: "a", Generate: secrets.RandomBytes(8), Overwrite: true}}}, "use Rotate"},
		{"bad name", secrets.Spec{Stack: "s", Secrets: []secrets.Secret{ok, {Name: "bad name!", Generate: secrets.RandomBytes(8)}}}, `"bad name!"`},
		{"duplicate", secrets.Spec{Stack: "s", Secrets: []secrets.Secret{ok, ok}}, "appears twice"},
		{"reserved tag", secrets.Spec{Stack: "s", Secrets: []secrets.Secret{{Name: "a", Generate: secrets.RandomBytes(8), Tags: map[string]string{"mangaalert:stack": "x"}}}}, "reserved"},
		{"too long", secrets.Spec{Stack: "s", Secrets: []secrets.Secret{{Name: "a", Value: secrets.NewValue(string(make([]byte, 70000)))}}}, "longer than"},
	}
	for _, tt := range tests {
		_, err := e.s.Ensure(ctx, tt.spec)
		require.ErrorIs(t, err, secrets.ErrInvalid, tt.name)
		assert.Contains(t, err.Error(), tt.want, tt.name)
		_, err = e.s.Plan(ctx, tt.spec)
		require.ErrorIs(t, err, secrets.ErrInvalid, tt.name)
	}
	assert.Zero(t, e.calls.Count(), "nothing was even read")
}

func TestEnsureLeavesForeignSecretsAlone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	_, err := e.client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("theirs"), SecretString: aws.String("their-value")})
	require.NoError(t, err)
	_, err = e.s.Ensure(ctx, secrets.Spec{Stack: "other", Secrets: []secrets.Secret{{Name: "other-stack", Generate: secrets.RandomBytes(8)}}})
	require.NoError(t, err)

	for _, foreign := range []string{"theirs", "other-stack"} {
		e.calls.Reset()
		spec := secrets.Spec{Stack: "test", Secrets: []secrets.Secret{
			{Name: "mine", Generate: secrets.RandomBytes(8)},
			{Name: foreign, Value: secrets.NewValue("x"), Overwrite: true},
		}}
		_, err = e.s.Ensure(ctx, spec)
		require.ErrorIs(t, err, secrets.ErrNotManaged, foreign)
		assert.Contains(t, err.Error(), foreign)
		assert.Empty(t, e.calls.Mutating(), "checked before the first write: %q was not created either", "mine")
		require.ErrorIs(t, e.s.Delete(ctx, []string{foreign}, secrets.DeleteOptions{Stack: "test", Force: true}), secrets.ErrNotManaged)
	}
	assert.Equal(t, "their-value", e.value(t, "theirs", secrets.StageCurrent))
	_, err = e.s.Rotate(ctx, "theirs", secrets.RandomBytes(8))
	require.ErrorIs(t, err, secrets.ErrNotManaged)
}

func TestEnsureGeneratorFailureWritesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	boom := errors.New("entropy pool on fire")
	spec := secrets.Spec{Stack: "test", Secrets: []secrets.Secret{
		{Name: "a", Generate: secrets.RandomBytes(8)},
		{Name: "b", Generate: func() (secrets.Value, error) { return secrets.Value{}, boom }},
	}}
	_, err := e.s.Ensure(ctx, spec)
	require.ErrorIs(t, err, boom)
	assert.Empty(t, e.calls.Mutating())
}

func TestEnsureResumesAfterAFailedWrite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	spec := testSpec()
	e.calls.FailAt(2, integration.FailBefore) // the second CreateSecret never reaches AWS
	partial, err := e.s.Ensure(ctx, spec)
	require.ErrorIs(t, err, integration.ErrInjected)
	require.Len(t, partial.Secrets, 2, "the State says how far it got")
	assert.True(t, partial.Secrets[0].Created)
	assert.Empty(t, partial.Secrets[1].ARN)

	e.calls.Reset()
	st, err := e.s.Ensure(ctx, spec)
	require.NoError(t, err)
	assert.Equal(t, []string{"CreateSecret"}, operations(e.calls.Mutating()), "only the missing one")
	assert.False(t, st.Secrets[0].Created)
	assert.True(t, st.Secrets[1].Created)
}

func TestDeleteWithRecoveryWindowThenEnsureRestores(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	spec := testSpec()
	_, err := e.s.Ensure(ctx, spec)
	require.NoError(t, err)
	key := e.value(t, signingName, secrets.StageCurrent)

	e.calls.Reset()
	require.NoError(t, e.s.Delete(ctx, []string{signingName, "never-existed"}, secrets.DeleteOptions{Stack: "test"}))
	assert.Equal(t, []string{"DeleteSecret"}, operations(e.calls.Mutating()))
	d := e.describe(t, signingName)
	require.NotNil(t, d.DeletedDate, "scheduled, not gone")
	assert.WithinDuration(t, time.Now().Add(7*24*time.Hour), *d.DeletedDate, 24*time.Hour, "default window is 7 days")

	e.calls.Reset()
	require.NoError(t, e.s.Delete(ctx, []string{signingName}, secrets.DeleteOptions{Stack: "test", RecoveryWindowDays: 30}))
	assert.Empty(t, e.calls.Mutating(), "already scheduled: nothing to do")

	plan, err := e.s.Plan(ctx, spec)
	require.NoError(t, err)
	assert.Equal(t, []secrets.Action{secrets.ActionRestore}, actions(plan))
	e.calls.Reset()
	_, err = e.s.Ensure(ctx, spec)
	require.NoError(t, err)
	assert.Equal(t, []string{"RestoreSecret"}, operations(e.calls.Mutating()))
	assert.Nil(t, e.describe(t, signingName).DeletedDate)
	assert.Equal(t, key, e.value(t, signingName, secrets.StageCurrent), "restored with its value")
}

func TestDeleteForced(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	_, err := e.s.Ensure(ctx, testSpec())
	require.NoError(t, err)
	names := []string{signingName, smtpName}
	// A scheduled secret can still be forced out.
	require.NoError(t, e.s.Delete(ctx, names[:1], secrets.DeleteOptions{Stack: "test", RecoveryWindowDays: 10}))
	require.NoError(t, e.s.Delete(ctx, names, secrets.DeleteOptions{Stack: "test", Force: true}))
	for _, n := range names {
		_, err := e.client.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(n)})
		require.Error(t, err, "%s is gone", n)
	}
	e.calls.Reset()
	require.NoError(t, e.s.Delete(ctx, names, secrets.DeleteOptions{Stack: "test", Force: true}), "nil when absent")
	assert.Empty(t, e.calls.Mutating())

	for name, opts := range map[string]secrets.DeleteOptions{
		"no stack":       {Force: true},
		"short window":   {Stack: "test", RecoveryWindowDays: 3},
		"long window":    {Stack: "test", RecoveryWindowDays: 31},
		"force + window": {Stack: "test", Force: true, RecoveryWindowDays: 7},
	} {
		assert.ErrorIs(t, e.s.Delete(ctx, names, opts), secrets.ErrInvalid, name)
	}
}

func TestRotateKeepsPreviousReadable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	st, err := e.s.Ensure(ctx, testSpec())
	require.NoError(t, err)
	first := e.value(t, signingName, secrets.StageCurrent)

	r := secrets.NewReader(e.client)
	cur, prev, err := r.Keys(ctx, signingName)
	require.NoError(t, err)
	assert.Equal(t, first, cur.Reveal())
	assert.True(t, prev.IsZero(), "never rotated: no previous")

	rot, err := e.s.Rotate(ctx, signingName, secrets.RandomBytes(32))
	require.NoError(t, err)
	assert.Equal(t, st.Secrets[0].VersionID, rot.PreviousVersionID)
	assert.Equal(t, st.ARN(signingName), rot.ARN)
	second := e.value(t, signingName, secrets.StageCurrent)
	assert.NotEqual(t, first, second)
	assert.Equal(t, first, e.value(t, signingName, secrets.StagePrevious))

	r.Forget(signingName)
	cur, prev, err = r.Keys(ctx, signingName)
	require.NoError(t, err)
	assert.Equal(t, second, cur.Reveal())
	assert.Equal(t, first, prev.Reveal(), "a token signed with the old key still verifies")

	// Rotating again drops the first value from the stages.
	_, err = e.s.Rotate(ctx, signingName, secrets.RandomBytes(32))
	require.NoError(t, err)
	assert.Equal(t, second, e.value(t, signingName, secrets.StagePrevious))
}

func TestRotateRetriesWithTheSameToken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	_, err := e.s.Ensure(ctx, testSpec())
	require.NoError(t, err)
	first := e.value(t, signingName, secrets.StageCurrent)

	// AWS makes the version, the answer is lost; the retry must not make a second one.
	e.calls.Reset()
	e.calls.FailAt(1, integration.FailAfter)
	rot, err := e.s.Rotate(ctx, signingName, secrets.RandomBytes(32))
	require.NoError(t, err)
	assert.Equal(t, []string{"PutSecretValue", "PutSecretValue"}, operations(e.calls.Mutating()))
	assert.Equal(t, 2, e.versions(t, signingName), "the first version and exactly one new one")
	assert.Equal(t, first, e.value(t, signingName, secrets.StagePrevious))
	assert.Equal(t, rot.VersionID, aws.ToString(mustGet(t, e, signingName).VersionId))

	_, err = e.s.Rotate(ctx, "absent", secrets.RandomBytes(32))
	require.ErrorIs(t, err, secrets.ErrNotFound)
	require.ErrorIs(t, err, fs.ErrNotExist)
}

func mustGet(t *testing.T, e env, id string) *secretsmanager.GetSecretValueOutput {
	t.Helper()
	out, err := e.client.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
	require.NoError(t, err)
	return out
}
