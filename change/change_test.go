package change_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/cost"
	"github.com/manga-alert-italia/mangaalert/iampolicy"
)

func TestPlan(t *testing.T) {
	tests := []struct {
		name    string
		changes []change.Change
		want    bool
	}{
		{"empty", nil, false},
		{"only keeps", []change.Change{{Action: change.Keep, Kind: "vpc"}}, false},
		{"an update", []change.Change{{Action: change.Keep}, {Action: change.Update}}, true},
		{"a delete", []change.Change{{Action: change.Delete}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &change.Plan{Changes: tt.changes}
			assert.Equal(t, tt.want, p.HasChanges())
			assert.Equal(t, tt.want, change.HasChanges(tt.changes))
		})
	}
}

func TestMergeAndFind(t *testing.T) {
	a := &change.Plan{Component: "stack", Changes: []change.Change{{Action: change.Keep, Kind: "vpc", Name: "vpc"}}}
	b := &change.Plan{
		Component: "ecshost",
		Offline:   true,
		Changes:   []change.Change{{Action: change.Create, Kind: "IAM role", Name: "x-execution"}},
		Policies:  map[string]iampolicy.Document{"x-execution": {Version: "2012-10-17"}},
		Cost:      cost.Estimate{{Item: "EC2", Quantity: 1}},
		Notes:     []string{"n"},
	}
	a.Merge(b)
	a.Merge(nil)
	assert.True(t, a.Offline)
	assert.Len(t, a.Changes, 2)
	assert.Contains(t, a.Policies, "x-execution")
	assert.Len(t, a.Cost, 1)
	c, ok := a.Find("IAM role", "x-execution")
	assert.True(t, ok)
	assert.Equal(t, change.Create, c.Action)
	_, ok = a.Find("IAM role", "nope")
	assert.False(t, ok)
	assert.Equal(t, `create IAM role x-execution: a; b`, change.Change{Action: change.Create, Kind: "IAM role", Name: "x-execution", Details: []string{"a", "b"}}.String())
}
