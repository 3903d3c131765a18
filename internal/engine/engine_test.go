package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/internal/engine"
)

func TestRun(t *testing.T) {
	var calls []string
	step := func(a change.Action, name string, err error) engine.Step {
		return engine.Step{Change: change.Change{Action: a, Kind: "thing", Name: name}, Apply: func(context.Context) error {
			calls = append(calls, name)
			return err
		}}
	}
	boom := errors.New("boom")
	steps := []engine.Step{step(change.Keep, "k", nil), step(change.Create, "a", nil), step(change.Update, "b", boom), step(change.Create, "c", nil)}
	assert.Len(t, engine.Changes(steps), 4)

	var heard []string
	done, err := engine.Run(context.Background(), nil, steps, func(c change.Change) { heard = append(heard, c.Name) })
	require.ErrorIs(t, err, boom)
	assert.EqualError(t, err, `update thing "b": boom`)
	assert.Equal(t, []string{"a", "b"}, calls, "a Keep makes no call; the run stops at the failure")
	assert.Equal(t, []string{"a"}, heard)
	require.Len(t, done, 1)
	assert.Equal(t, "a", done[0].Name)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls = nil
	_, err = engine.Run(ctx, nil, steps[1:2], nil)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, calls)
}
