package cost_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/cost"
)

var ipv4 = cost.Price{USD: 0.005, Unit: "hour", Source: "https://aws.amazon.com/vpc/pricing/", Date: "2026-11-26"}

func TestEstimate(t *testing.T) {
	e := cost.Estimate{
		{Item: "public IPv4", Quantity: cost.HoursPerMonth, Price: ipv4},
		{Item: "second address", Quantity: cost.HoursPerMonth, Price: ipv4, Note: "free tier: 750 h"},
	}
	assert.InDelta(t, 7.30, e.Total(), 1e-9)
	var b strings.Builder
	require.NoError(t, e.Write(&b))
	assert.Contains(t, b.String(), "free tier: 750 h")
	assert.Regexp(t, `TOTAL\s+7\.30`, b.String())
}

func ExampleEstimate_Write() {
	e := cost.Estimate{{Item: "public IPv4", Quantity: cost.HoursPerMonth, Price: ipv4}}
	_ = e.Write(os.Stdout)
	// Output:
	// ITEM         QUANTITY  USD/MONTH  NOTE
	// public IPv4  730 hour  3.65
	// TOTAL                  3.65
}
