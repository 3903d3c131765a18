package secrets_test

import (
	"context"
	"encoding/base64"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/integration"
	"github.com/manga-alert-italia/mangaalert/resource"
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
	assert.Equal(t, "secrets", plan.Component)
	assert.Equal(t, []change.Action{change.Create, change.Create}, actions(plan))
	assert.Equal(t, []string{"generated value, 2 tags", "value from the caller, 3 tags"}, append(plan.Changes[0].Details, plan.Changes[1].Details...))
	assert.Empty(t, e.calls.Mutating(), "Plan writes nothing")

	st, err := e.s.Ensure(ctx, spec)
	require.NoError(t, err)
	assert.Equal(t, []string{"CreateSecret", "CreateSecret"}, operations(e.calls.Mutating()))
	require.Len(t, st.Secrets, 2)
	require.Len(t, st.Changes, 2, "Ensure says what it created")
	for i, c := range st.Changes {
		assert.Equal(t, change.Change{Action: change.Create, Kind: "secret", Name: spec.Secrets[i].Name, ID: st.Secrets[i].ARN,
			Details: plan.Changes[i].Details}, c)
	}
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
	assert.Empty(t, st2.Changes)
	assert.Equal(t, []string{"DescribeSecret", "DescribeSecret"}, operations(e.calls.All()))
	assert.Equal(t, st.ARN(signingName), st2.ARN(signingName))
	assert.Equal(t, st.Secrets[1].VersionID, st2.Secrets[1].VersionID)
	assert.False(t, st2.Secrets[0].Created)
	assert.Equal(t, key, e.value(t, signingName, secrets.StageCurrent), "the generated key is kept")
	assert.Equal(t, smtpJSON, e.value(t, smtpName, secrets.StageCurrent), "the first value is kept")

	plan, err = e.s.Plan(ctx, spec)
	require.NoError(t, err)
	assert.False(t, plan.HasChanges(), "%v", plan.Changes)
	assert.Equal(t, 2, plan.Count(change.Keep), "kept secrets are listed")
}

func actions(p *change.Plan) []change.Action {
	var out []change.Action
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
	assert.Equal(t, []change.Action{change.Update, change.Update}, actions(plan), "%v", plan.Changes)
	assert.Equal(t, []string{`description, KMS key "" -> "alias/mangaalert-test"`}, plan.Changes[0].Details)
	assert.Equal(t, []string{"tags owner=backend"}, plan.Changes[1].Details)

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
	assert.Equal(t, []change.Action{change.Update}, actions(plan))
	assert.Equal(t, []string{"new version with the caller's value; the old one becomes AWSPREVIOUS"}, plan.Changes[0].Details)
	var printed strings.Builder
	require.NoError(t, plan.Write(&printed))
	assert.NotContains(t, printed.String(), "second-token", "a plan never shows a value")
	assert.NotContains(t, printed.String(), "first-token", "a plan never shows a value")

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
		require.ErrorIs(t, err, resource.ErrNotOurs, foreign)
		assert.Contains(t, err.Error(), foreign)
		assert.Empty(t, e.calls.Mutating(), "checked before the first write: %q was not created either", "mine")
	}
	// Delete finds the stack's secrets by their tag: the others are not even seen.
	_, err = e.s.Ensure(ctx, secrets.Spec{Stack: "test", Secrets: []secrets.Secret{{Name: "mine", Generate: secrets.RandomBytes(8)}}})
	require.NoError(t, err)
	_, err = e.s.Ensure(ctx, secrets.Spec{Stack: "test2", Secrets: []secrets.Secret{{Name: "prefix-stack", Generate: secrets.RandomBytes(8)}}})
	require.NoError(t, err)
	force := secrets.New(e.client, func(o *secrets.Options) { o.ForceDelete = true })
	changes, err := force.Delete(ctx, "test")
	require.NoError(t, err)
	require.Len(t, changes, 1)
	assert.Equal(t, "mine", changes[0].Name)
	assert.Equal(t, "their-value", e.value(t, "theirs", secrets.StageCurrent))
	for _, kept := range []string{"other-stack", "prefix-stack"} {
		assert.Nil(t, e.describe(t, kept).DeletedDate, kept)
	}
	_, err = e.s.Rotate(ctx, "theirs", secrets.RandomBytes(8))
	require.ErrorIs(t, err, resource.ErrNotOurs)
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
	st, err := e.s.Ensure(ctx, spec)
	require.NoError(t, err)
	key := e.value(t, signingName, secrets.StageCurrent)

	e.calls.Reset()
	changes, err := e.s.Delete(ctx, "test")
	require.NoError(t, err)
	assert.Equal(t, []string{"ListSecrets", "DeleteSecret", "DeleteSecret"}, operations(e.calls.All()))
	assert.ElementsMatch(t, []change.Change{
		{Action: change.Delete, Kind: "secret", Name: signingName, ID: st.ARN(signingName), Details: []string{"recoverable for 7 days"}},
		{Action: change.Delete, Kind: "secret", Name: smtpName, ID: st.ARN(smtpName), Details: []string{"recoverable for 7 days"}},
	}, changes)
	d := e.describe(t, signingName)
	require.NotNil(t, d.DeletedDate, "scheduled, not gone")
	assert.WithinDuration(t, time.Now().Add(7*24*time.Hour), *d.DeletedDate, 24*time.Hour, "default window is 7 days")

	e.calls.Reset()
	longer := secrets.New(e.client, func(o *secrets.Options) { o.RecoveryWindowDays = 30 })
	changes, err = longer.Delete(ctx, "test")
	require.NoError(t, err)
	assert.Nil(t, changes)
	assert.Empty(t, e.calls.Mutating(), "already scheduled: nothing to do")

	plan, err := e.s.Plan(ctx, spec)
	require.NoError(t, err)
	assert.Equal(t, []change.Action{change.Update, change.Update}, actions(plan))
	assert.Contains(t, plan.Changes[0].Details[0], "restore: scheduled for deletion on ")
	e.calls.Reset()
	_, err = e.s.Ensure(ctx, spec)
	require.NoError(t, err)
	assert.Equal(t, []string{"RestoreSecret", "RestoreSecret"}, operations(e.calls.Mutating()))
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
	_, err = secrets.New(e.client, func(o *secrets.Options) { o.RecoveryWindowDays = 10 }).Delete(ctx, "test")
	require.NoError(t, err)
	force := secrets.New(e.client, func(o *secrets.Options) { o.ForceDelete = true })
	changes, err := force.Delete(ctx, "test")
	require.NoError(t, err)
	require.Len(t, changes, 2)
	assert.Equal(t, []string{"forced: no recovery"}, changes[0].Details)
	for _, n := range names {
		_, err := e.client.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(n)})
		require.Error(t, err, "%s is gone", n)
	}
	e.calls.Reset()
	changes, err = force.Delete(ctx, "test")
	require.NoError(t, err, "nil when absent")
	assert.Nil(t, changes)
	assert.Empty(t, e.calls.Mutating())

	for name, opt := range map[string]func(*secrets.Options){
		"short window":   func(o *secrets.Options) { o.RecoveryWindowDays = 3 },
		"long window":    func(o *secrets.Options) { o.RecoveryWindowDays = 31 },
		"force + window": func(o *secrets.Options) { o.ForceDelete, o.RecoveryWindowDays = true, 7 },
	} {
		_, err := secrets.New(e.client, opt).Delete(ctx, "test")
		assert.ErrorIs(t, err, secrets.ErrInvalid, name)
	}
	_, err = force.Delete(ctx, "")
	assert.ErrorIs(t, err, secrets.ErrInvalid, "no stack")
}

// Offline, Plan reads nothing and lists every secret as created; the
// calls that need AWS say so.
func TestOffline(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := secrets.New(nil, func(o *secrets.Options) { o.Offline = true })
	plan, err := s.Plan(ctx, testSpec())
	require.NoError(t, err)
	assert.True(t, plan.Offline)
	assert.Equal(t, []change.Action{change.Create, change.Create}, actions(plan))
	for _, c := range plan.Changes {
		assert.Empty(t, c.ID)
		assert.NotContains(t, strings.Join(c.Details, " "), "hunter2", "never a value")
	}
	_, err = s.Ensure(ctx, testSpec())
	assert.ErrorIs(t, err, secrets.ErrOffline)
	_, err = s.Delete(ctx, "test")
	assert.ErrorIs(t, err, secrets.ErrOffline)
	_, err = s.Rotate(ctx, signingName, secrets.RandomBytes(8))
	assert.ErrorIs(t, err, secrets.ErrOffline)
	_, err = s.Plan(ctx, secrets.Spec{Stack: "test"})
	require.NoError(t, err, "an empty Spec plans nothing")
	_, err = s.Plan(ctx, secrets.Spec{})
	assert.ErrorIs(t, err, secrets.ErrInvalid, "the Spec is checked offline too")
	// A nil client is not a way to plan offline.
	_, err = secrets.New(nil).Plan(ctx, testSpec())
	assert.ErrorContains(t, err, "Options.Offline")
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
