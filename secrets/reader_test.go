package secrets_test

import (
	"context"
	"io/fs"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/secrets"
)

// fakeClock is the Reader's clock, moved by hand so cache tests need no sleeps.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// failing wraps the REAL client and makes GetSecretValue fail on demand:
// the harness's FailAt only fails mutating calls, and this is a read. It
// can also hold calls until released, to show callers sharing one.
type failing struct {
	secrets.ReadAPI
	fail atomic.Bool
	hold chan struct{} // when not nil, calls wait for it to close
}

var errUnavailable = &smithy.GenericAPIError{Code: "ServiceUnavailable", Message: "the service is unavailable"}

func (f *failing) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	if f.hold != nil {
		<-f.hold
	}
	if f.fail.Load() {
		return nil, errUnavailable
	}
	return f.ReadAPI.GetSecretValue(ctx, in, opts...)
}

func getCalls(e env) int {
	n := 0
	for _, c := range e.calls.All() {
		if c.Operation == "GetSecretValue" {
			n++
		}
	}
	return n
}

// readerEnv makes the test's secrets and a Reader on a fake clock.
func readerEnv(t *testing.T, opts ...func(*secrets.ReaderOptions)) (env, *fakeClock, *failing, *secrets.Reader) {
	t.Helper()
	e := newEnv(t)
	_, err := e.s.Ensure(context.Background(), testSpec())
	require.NoError(t, err)
	e.calls.Reset()
	clock := newClock()
	api := &failing{ReadAPI: e.client}
	r := secrets.NewReader(api, append([]func(*secrets.ReaderOptions){func(o *secrets.ReaderOptions) {
		o.Now = clock.Now
	}}, opts...)...)
	return e, clock, api, r
}

// concurrently runs n Gets at once and returns their answers.
func concurrently(ctx context.Context, r *secrets.Reader, id string, n int) ([]secrets.Value, []error) {
	vals, errs := make([]secrets.Value, n), make([]error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			vals[i], errs[i] = r.Get(ctx, id)
		}()
	}
	start.Done()
	done.Wait()
	return vals, errs
}

func TestReaderOneCallPerTTL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, clock, _, r := readerEnv(t)
	want := e.value(t, smtpName, secrets.StageCurrent)
	e.calls.Reset()

	check := func(wantCalls int) {
		t.Helper()
		vals, errs := concurrently(ctx, r, smtpName, 100)
		for i := range vals {
			require.NoError(t, errs[i])
			require.Equal(t, want, vals[i].Reveal())
		}
		assert.Equal(t, wantCalls, getCalls(e))
	}
	check(1) // 100 readers, one call
	clock.Advance(59 * time.Minute)
	check(1) // within the hour: from memory
	clock.Advance(time.Minute)
	check(2) // the TTL passed: one more call for all of them
	clock.Advance(30 * time.Minute)
	check(2)
	clock.Advance(30 * time.Minute)
	check(3)

	// Another stage is another entry, with its own single call.
	_, err := r.GetStage(ctx, smtpName, secrets.StageCurrent)
	require.NoError(t, err)
	assert.Equal(t, 3, getCalls(e), "GetStage(AWSCURRENT) shares Get's entry")
}

func TestReaderCallersShareOneCall(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, _, api, r := readerEnv(t)
	api.hold = make(chan struct{})

	// A caller that gives up does not cancel the call the others wait on.
	impatient, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { _, err := r.Get(impatient, signingName); errc <- err }()
	cancel()
	require.ErrorIs(t, <-errc, context.Canceled)

	got := make(chan error, 1)
	go func() { _, err := r.Get(ctx, signingName); got <- err }()
	close(api.hold)
	require.NoError(t, <-got)
	assert.LessOrEqual(t, getCalls(e), 1, "the waiting caller joined the impatient one's call")
}

func TestReaderServesStaleValueThenFails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, clock, api, r := readerEnv(t, func(o *secrets.ReaderOptions) {
		o.TTL = time.Hour
		o.MaxStale = 6 * time.Hour
		o.RetryAfter = time.Minute
	})
	want := e.value(t, smtpName, secrets.StageCurrent)
	e.calls.Reset()
	v, err := r.Get(ctx, smtpName)
	require.NoError(t, err)
	require.Equal(t, want, v.Reveal())

	api.fail.Store(true)
	clock.Advance(time.Hour) // expired: the refresh fails, the last good value is served
	for range 10 {
		v, err = r.Get(ctx, smtpName)
		require.NoError(t, err)
		assert.Equal(t, want, v.Reveal())
	}
	assert.Equal(t, 1, getCalls(e), "after a failure, no call before RetryAfter (the failed call never reached AWS)")

	clock.Advance(6*time.Hour - time.Second) // just inside the bound
	v, err = r.Get(ctx, smtpName)
	require.NoError(t, err)
	assert.Equal(t, want, v.Reveal())

	clock.Advance(time.Minute) // past TTL + MaxStale
	_, err = r.Get(ctx, smtpName)
	require.Error(t, err)
	assert.ErrorIs(t, err, errUnavailable)
	assert.NotErrorIs(t, err, secrets.ErrNotFound)
	assert.Contains(t, err.Error(), "past its 6h0m0s bound")
	assert.NotContains(t, err.Error(), "hunter2")

	api.fail.Store(false) // AWS is back: after RetryAfter, a fresh value
	clock.Advance(time.Minute)
	v, err = r.Get(ctx, smtpName)
	require.NoError(t, err)
	assert.Equal(t, want, v.Reveal())
}

func TestReaderWithoutValueFailsAtOnce(t *testing.T) {
	t.Parallel()
	_, _, api, r := readerEnv(t)
	api.fail.Store(true)
	_, err := r.Get(context.Background(), smtpName)
	require.ErrorIs(t, err, errUnavailable, "nothing cached: nothing to serve")
}

func TestReaderNotFound(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, clock, _, r := readerEnv(t)
	for _, id := range []string{"missing", "arn:aws:secretsmanager:eu-south-1:123456789012:secret:missing-AbCdEf"} {
		_, err := r.Get(ctx, id)
		require.ErrorIs(t, err, secrets.ErrNotFound, id)
		require.ErrorIs(t, err, fs.ErrNotExist, id)
	}
	n := getCalls(e)
	_, err := r.Get(ctx, "missing")
	require.ErrorIs(t, err, secrets.ErrNotFound)
	assert.Equal(t, n, getCalls(e), "not found is remembered for NotFoundTTL")
	clock.Advance(time.Minute)
	_, err = r.Get(ctx, "missing")
	require.ErrorIs(t, err, secrets.ErrNotFound)
	assert.Equal(t, n+1, getCalls(e))

	n = getCalls(e)
	for range 3 {
		_, err = r.GetStage(ctx, smtpName, secrets.StagePrevious)
		require.ErrorIs(t, err, secrets.ErrNotFound, "a secret never rotated has no AWSPREVIOUS")
		clock.Advance(30 * time.Minute)
	}
	assert.Equal(t, n+2, getCalls(e), "a missing stage is remembered for the TTL, not NotFoundTTL")

	// A secret scheduled for deletion reads as not found.
	_, err = e.s.Delete(ctx, "test")
	require.NoError(t, err)
	_, err = r.Get(ctx, signingName)
	require.ErrorIs(t, err, secrets.ErrNotFound)
	_, err = r.Get(ctx, "")
	require.ErrorIs(t, err, secrets.ErrInvalid)
}

// smtpAccount is the shape the notifier's SMTP sender decodes.
type smtpAccount struct {
	Host     string        `json:"host"`
	Port     int           `json:"port"`
	Username string        `json:"username"`
	Password secrets.Value `json:"password"`
}

func TestReaderGetJSON(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, _, _, r := readerEnv(t)

	var acct smtpAccount
	require.NoError(t, r.GetJSON(ctx, smtpName, &acct))
	assert.Equal(t, "smtp.example.test", acct.Host)
	assert.Equal(t, 587, acct.Port)
	assert.Equal(t, "app", acct.Username)
	assert.Equal(t, "hunter2-smtp", acct.Password.Reveal())

	var plainAcct struct {
		Password string `json:"password"`
	}
	require.NoError(t, r.GetJSON(ctx, smtpName, &plainAcct))
	assert.Equal(t, "hunter2-smtp", plainAcct.Password)

	// Decoding errors say what is wrong, never the secret's text.
	_, err := e.s.Ensure(ctx, secrets.Spec{Stack: "test", Secrets: []secrets.Secret{
		{Name: "not-json", Value: secrets.NewValue("hunter2 is not json")},
		{Name: "number-password", Value: secrets.NewValue(`{"password": 5551234, "port": "hunter2"}`)},
	}})
	require.NoError(t, err)
	tests := []struct {
		id   string
		into any
		want string
	}{
		{"not-json", &acct, "not valid JSON"},
		{"number-password", &plainAcct, `JSON number at "password" does not fit Go type string`},
		{"number-password", &struct{ Port int }{}, `JSON string at "Port" does not fit Go type int`},
		{"number-password", &acct, "must hold a JSON string"},
	}
	for _, tt := range tests {
		err := r.GetJSON(ctx, tt.id, tt.into)
		require.ErrorIs(t, err, secrets.ErrDecode, tt.id)
		assert.Contains(t, err.Error(), tt.want)
		assert.NotContains(t, err.Error(), "hunter2")
		assert.NotContains(t, err.Error(), "5551234")
	}
	err = r.GetJSON(ctx, smtpName, acct) // not a pointer
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "hunter2")
	require.ErrorIs(t, r.GetJSON(ctx, "missing", &acct), fs.ErrNotExist)
}

func TestReaderGetCachedAllocatesNothing(t *testing.T) {
	// Not parallel: AllocsPerRun counts the whole process's allocations.
	ctx := context.Background()
	_, _, _, r := readerEnv(t)
	_, err := r.Get(ctx, signingName)
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(1000, func() {
		v, err := r.Get(ctx, signingName)
		if err != nil || v.IsZero() {
			panic("cached Get failed")
		}
	})
	assert.Zero(t, allocs)
}
