package poll_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/internal/poll"
)

var fast = poll.Delays{Min: time.Millisecond, Max: 2 * time.Millisecond}

func TestUntil(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name    string
		doneAt  int // call number that reports done; 0 = never
		failAt  int // call number that fails; 0 = never
		timeout time.Duration
		calls   int
		wantErr error
	}{
		{name: "done at once", doneAt: 1, calls: 1},
		{name: "done after three checks", doneAt: 3, calls: 3},
		{name: "check error stops the wait", failAt: 2, calls: 2, wantErr: boom},
		{name: "deadline ends the wait", timeout: 20 * time.Millisecond, wantErr: context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			calls := 0
			err := poll.Until(ctx, "thing", fast, func(context.Context) (bool, error) {
				calls++
				if calls == tt.failAt {
					return false, boom
				}
				return calls == tt.doneAt, nil
			})
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
			} else {
				require.NoError(t, err)
			}
			if tt.calls > 0 {
				assert.Equal(t, tt.calls, calls)
			}
			if errors.Is(tt.wantErr, context.DeadlineExceeded) {
				assert.Contains(t, err.Error(), "wait for thing")
				assert.Greater(t, calls, 1)
			}
		})
	}
}

func ExampleUntil() {
	n := 0
	err := poll.Until(context.Background(), "the third try", poll.Delays{Min: time.Millisecond}, func(context.Context) (bool, error) {
		n++
		return n == 3, nil
	})
	fmt.Println(n, err)
	// Output: 3 <nil>
}
