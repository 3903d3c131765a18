package cost_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/cost"
)

var ipv4 = cost.Price{USD: 0.005, Unit: "hour", Source: "https://aws.amazon.com/vpc/pricing/", Date: "2024-02-01", Region: cost.AllRegions}

var gp3 = cost.Price{USD: 0.08, Unit: "GB-month", Source: "https://aws.amazon.com/ebs/pricing/", Date: "2020-12-01", Region: cost.USEast1}

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
	assert.Contains(t, b.String(), "all regions 2024-02-01")
}

func TestAPriceThatDoesNotSayWhereOrWhenIsAnError(t *testing.T) {
	tests := []struct {
		name  string
		price cost.Price
		want  string
	}{
		{"complete", gp3, ""},
		{"no region", cost.Price{USD: 1, Unit: "hour", Source: "https://x", Date: "2020-01-01"}, `cost line "x": its price has no region`},
		{"nothing", cost.Price{}, "no region, date, source, unit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := cost.Report{Estimate: cost.Estimate{{Item: "x", Quantity: 1, Price: tt.price}}}.Check()
			if tt.want == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestReportJSONIsTheSameModel(t *testing.T) {
	r := cost.Report{
		Estimate: cost.Estimate{{Item: "public IPv4", Quantity: cost.HoursPerMonth, Price: ipv4}},
		Alternatives: []cost.Alternative{{Name: "bigger disk", Gives: "room", Takes: "money",
			Lines: cost.Estimate{{Item: "EBS", Quantity: 10, Price: gp3}}}},
		Notes: []string{"free tier not subtracted"},
	}
	b, err := r.JSON()
	require.NoError(t, err)
	var got struct {
		TotalUSD float64 `json:"total_usd"`
		Lines    []struct {
			Item  string     `json:"item"`
			USD   float64    `json:"usd_month"`
			Price cost.Price `json:"price"`
		} `json:"lines"`
		Alternatives []struct {
			Name     string  `json:"name"`
			TotalUSD float64 `json:"total_usd"`
			VsThis   float64 `json:"vs_this_usd"`
		} `json:"alternatives"`
		Notes []string `json:"notes"`
	}
	require.NoError(t, json.Unmarshal(b, &got))
	assert.InDelta(t, 3.65, got.TotalUSD, 1e-9)
	assert.Equal(t, ipv4, got.Lines[0].Price)
	assert.InDelta(t, 3.65+0.80, got.Alternatives[0].TotalUSD, 1e-9)
	assert.InDelta(t, 0.80, got.Alternatives[0].VsThis, 1e-9)
	assert.Equal(t, r.Notes, got.Notes)

	var text strings.Builder
	require.NoError(t, r.Write(&text))
	assert.Regexp(t, `bigger disk\s+4\.45\s+\+0\.80\s+room\s+money`, text.String())
}

func ExampleEstimate_Write() {
	e := cost.Estimate{{Item: "public IPv4", Quantity: cost.HoursPerMonth, Price: ipv4}}
	_ = e.Write(os.Stdout)
	// Output:
	// ITEM         QUANTITY  USD/MONTH  PRICE AS OF             NOTE
	// public IPv4  730 hour  3.65       all regions 2024-02-01
	// TOTAL                  3.65
}
