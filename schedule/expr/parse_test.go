package expr_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/schedule/expr"
)

func TestParseValid(t *testing.T) {
	tests := []struct {
		expr  string
		kind  expr.Kind
		every time.Duration
	}{
		{"rate(1 minute)", expr.Rate, time.Minute},
		{"rate(5 minutes)", expr.Rate, 5 * time.Minute},
		{"rate(1 hour)", expr.Rate, time.Hour},
		{"rate(6 hours)", expr.Rate, 6 * time.Hour},
		{"rate(1 day)", expr.Rate, 24 * time.Hour},
		{"rate(30 days)", expr.Rate, 30 * 24 * time.Hour},
		{"cron(0 6 * * ? *)", expr.Cron, 0},
		{"cron(0/15 * * * ? *)", expr.Cron, 0},
		{"cron(*/15 * * * ? *)", expr.Cron, 0},
		{"cron(5-50/5 8-17 ? * MON-FRI *)", expr.Cron, 0},
		{"cron(0 18 ? * MON-FRI *)", expr.Cron, 0},
		{"cron(0 8 1 * ? *)", expr.Cron, 0},
		{"cron(0 0,6,12,18 * * ? *)", expr.Cron, 0},
		{"cron(0 0/6 * * ? *)", expr.Cron, 0},
		{"cron(0 9 ? * 2#1 *)", expr.Cron, 0},
		{"cron(0 9 ? * MON#1 *)", expr.Cron, 0},
		{"cron(15 10 ? * 6L *)", expr.Cron, 0},
		{"cron(15 10 ? * FRIL *)", expr.Cron, 0},
		{"cron(0 23 L * ? *)", expr.Cron, 0},
		{"cron(0 9 15W * ? *)", expr.Cron, 0},
		{"cron(0 9 ? * L *)", expr.Cron, 0},
		{"cron(0 10 * JAN,JUL ? 2026-2030)", expr.Cron, 0},
		{"cron(0 10 1/2 * ? 2025/5)", expr.Cron, 0},
		{"cron(0 0 ? * 1,7 *)", expr.Cron, 0},
		{"cron(0 6 ? * WED,SAT *)", expr.Cron, 0},
		{"cron(0 6 ? * WEDL *)", expr.Cron, 0},
		{"cron(59 23 31 12 ? 2199)", expr.Cron, 0},
		{"cron(0 0 30 2 ? *)", expr.Cron, 0}, // valid syntax, never fires
		{"at(2026-05-01T09:30:00)", expr.At, 0},
		{"at(2028-02-29T23:59:59)", expr.At, 0},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			e, err := expr.Parse(tt.expr)
			require.NoError(t, err)
			assert.Equal(t, tt.kind, e.Kind())
			assert.Equal(t, tt.every, e.Interval())
			assert.Equal(t, tt.expr, e.String())
			assert.Equal(t, tt.kind != expr.At, e.Recurring())
		})
	}
}

// Each invalid expression is checked for the part it names, where, and the
// words that tell the user what to write instead.
func TestParseInvalid(t *testing.T) {
	tests := []struct {
		expr string
		part string
		pos  int
		want []string // substrings of the error text
	}{
		// the envelope
		{"", "", 0, []string{"rate(value unit)", "cron(", "at("}},
		{"every 6 hours", "", 0, []string{"rate(value unit)"}},
		{"rate(6 hours", "", 0, []string{"rate(value unit)"}},
		{"Rate(6 hours)", "kind", 1, []string{"unknown kind", "lower case"}},
		{"interval(6 hours)", "kind", 1, []string{"unknown kind"}},
		// rate
		{"rate(6hours)", "rate", 6, []string{"rate(value unit) with one space"}},
		{"rate()", "rate", 6, []string{"rate(value unit)"}},
		{"rate(6  hours)", "rate unit", 8, []string{"must be minute, minutes, hour, hours, day or days"}},
		{"rate(1 hours)", "rate unit", 8, []string{"1 takes the singular: rate(1 hour)"}},
		{"rate(1 days)", "rate unit", 8, []string{"rate(1 day)"}},
		{"rate(6 hour)", "rate unit", 8, []string{"6 takes the plural: rate(6 hours)"}},
		{"rate(2 minute)", "rate unit", 8, []string{"rate(2 minutes)"}},
		{"rate(0 hours)", "rate value", 6, []string{"at least 1"}},
		{"rate(-1 hours)", "rate value", 6, []string{"positive whole number"}},
		{"rate(1.5 hours)", "rate value", 6, []string{"positive whole number"}},
		{"rate(06 hours)", "rate value", 6, []string{"leading zeros"}},
		{"rate(6 weeks)", "rate unit", 8, []string{"must be minute, minutes, hour, hours, day or days"}},
		{"rate(6 Hours)", "rate unit", 8, []string{`did you mean "hours"`}},
		{"rate(6 seconds)", "rate unit", 8, []string{"minute, minutes"}},
		{"rate(99999999999999 days)", "rate value", 6, []string{"too large"}},
		// cron shape
		{"cron(0 6 * * *)", "cron", 6, []string{"has 5 fields", "six fields", "add the year"}},
		{"cron(0 0 6 * * ? *)", "cron", 6, []string{"has 7 fields"}},
		{"cron(0 6  * * ? *)", "cron", 6, []string{"single spaces"}},
		{"cron( 0 6 * * ? *)", "cron", 6, []string{"single spaces"}},
		// the ? rule
		{"cron(0 6 * * * *)", "day-of-month and day-of-week", 10, []string{"both are set", "cron(0 6 * * ? *)", "cron(0 6 ? * * *)"}},
		{"cron(0 6 1 * MON *)", "day-of-month and day-of-week", 10, []string{"both are set"}},
		{"cron(0 6 ? * ? *)", "day-of-month and day-of-week", 10, []string{"both are ?"}},
		// values out of range, with the field and where
		{"cron(60 6 * * ? *)", "minutes (field 1)", 6, []string{"60 is outside 0-59", "allowed: 0-59 , - * /"}},
		{"cron(0 24 * * ? *)", "hours (field 2)", 8, []string{"24 is outside 0-23"}},
		{"cron(0 6 0 * ? *)", "day-of-month (field 3)", 10, []string{"0 is outside 1-31"}},
		{"cron(0 6 32 * ? *)", "day-of-month (field 3)", 10, []string{"32 is outside 1-31"}},
		{"cron(0 6 * 13 ? *)", "month (field 4)", 12, []string{"13 is outside 1-12", "JAN-DEC"}},
		{"cron(0 6 ? * 0 *)", "day-of-week (field 5)", 14, []string{"0 is outside 1-7", "SUN-SAT"}},
		{"cron(0 6 ? * 8 *)", "day-of-week (field 5)", 14, []string{"8 is outside 1-7"}},
		{"cron(0 6 * * ? 1969)", "year (field 6)", 16, []string{"1969 is outside 1970-2199"}},
		{"cron(0 6 * * ? 2200)", "year (field 6)", 16, []string{"2200 is outside 1970-2199"}},
		{"cron(0 6 * * ? 2025-2300)", "year (field 6)", 21, []string{"2300 is outside"}},
		// names
		{"cron(0 6 ? * mon *)", "day-of-week (field 5)", 14, []string{"capitals: MON"}},
		{"cron(0 6 * jan ? *)", "month (field 4)", 12, []string{"capitals: JAN"}},
		{"cron(0 6 ? * MONDAY *)", "day-of-week (field 5)", 14, []string{"unknown name MONDAY"}},
		{"cron(0 6 * JANUARY ? *)", "month (field 4)", 12, []string{"unknown name JANUARY"}},
		{"cron(0 6 ? * LUNEDI *)", "day-of-week (field 5)", 14, []string{"unknown name LUNEDI", "SUN MON TUE WED THU FRI SAT"}},
		{"cron(0 6 * GIU ? *)", "month (field 4)", 12, []string{"unknown name GIU"}},
		{"cron(0 MON * * ? *)", "hours (field 2)", 8, []string{"unexpected 'M'"}},
		// ranges, lists and steps
		{"cron(0 22-2 * * ? *)", "hours (field 2)", 8, []string{"runs backwards", "22-23,0-2"}},
		{"cron(0 6 ? * FRI-MON *)", "day-of-week (field 5)", 14, []string{"runs backwards"}},
		{"cron(0 6,,7 * * ? *)", "hours (field 2)", 8, []string{"empty list item"}},
		{"cron(0 6, * * ? *)", "hours (field 2)", 8, []string{"empty list item"}},
		{"cron(0/0 * * * ? *)", "minutes (field 1)", 8, []string{"step must be 1-59"}},
		{"cron(0/60 * * * ? *)", "minutes (field 1)", 8, []string{"step must be 1-59"}},
		{"cron(0/x * * * ? *)", "minutes (field 1)", 8, []string{"unexpected 'x'"}},
		{"cron(0/ * * * ? *)", "minutes (field 1)", 8, []string{"step after / must be a whole number"}},
		{"cron(0 6 ? * 1/2 *)", "day-of-week (field 5)", 15, []string{"day-of-week does not take '/'"}},
		{"cron(0 6 ? * */2 *)", "day-of-week (field 5)", 15, []string{"day-of-week does not take '/'"}},
		{"cron(*,5 6 * * ? *)", "minutes (field 1)", 6, []string{"* must be the whole field"}},
		{"cron(0 6 ?,1 * ? *)", "day-of-month (field 3)", 10, []string{"? must be the whole field"}},
		// ? where it is not allowed
		{"cron(? 6 * * ? *)", "minutes (field 1)", 6, []string{"minutes does not take '?'"}},
		{"cron(0 6 * ? * *)", "month (field 4)", 12, []string{"month does not take '?'"}},
		// L, W and #
		{"cron(0 6 * * ? L)", "year (field 6)", 16, []string{"year does not take 'L'"}},
		{"cron(L 6 * * ? *)", "minutes (field 1)", 6, []string{"minutes does not take 'L'"}},
		{"cron(0 6 L,15 * ? *)", "day-of-month (field 3)", 10, []string{"L must be the whole field"}},
		{"cron(0 6 LW * ? *)", "day-of-month (field 3)", 10, []string{"LW and L-n are not documented"}},
		{"cron(0 6 L-3 * ? *)", "day-of-month (field 3)", 10, []string{"LW and L-n"}},
		{"cron(0 6 1-5W * ? *)", "day-of-month (field 3)", 10, []string{"W follows one day of the month"}},
		{"cron(0 6 32W * ? *)", "day-of-month (field 3)", 10, []string{"W follows one day"}},
		{"cron(0 6 1W,15W * ? *)", "day-of-month (field 3)", 10, []string{"nW must be the whole field"}},
		{"cron(0 6 ? * MONW *)", "day-of-week (field 5)", 17, []string{"day-of-week does not take 'W'"}},
		{"cron(0 6 15# * ? *)", "day-of-month (field 3)", 12, []string{"day-of-month does not take '#'"}},
		{"cron(0 6 ? * 3#1,6#3 *)", "day-of-week (field 5)", 14, []string{"d#n must be the whole field"}},
		{"cron(0 6 ? * 2#6 *)", "day-of-week (field 5)", 16, []string{"1-5"}},
		{"cron(0 6 ? * 2#0 *)", "day-of-week (field 5)", 16, []string{"1-5"}},
		{"cron(0 6 ? * MON-FRI#1 *)", "day-of-week (field 5)", 14, []string{"write day#n with one day"}},
		{"cron(0 6 ? * 8L *)", "day-of-week (field 5)", 14, []string{"L follows one day of the week"}},
		{"cron(0 6 ? * 2-6L *)", "day-of-week (field 5)", 14, []string{"L follows one day"}},
		{"cron(0 6 ? * L,1 *)", "day-of-week (field 5)", 14, []string{"L must be the whole field"}},
		// at
		{"at(2026-05-01 09:30:00)", "at", 14, []string{`expected 'T' here`}},
		{"at(2026-05-01T09:30)", "at", 4, []string{"at(yyyy-mm-ddThh:mm:ss)"}},
		{"at(2026-05-01T09:30:00Z)", "at", 4, []string{"no zone or fraction"}},
		{"at(2026-5-01T09:30:00)", "at", 4, []string{"yyyy-mm-ddThh:mm:ss"}},
		{"at(2026/05/01T09:30:00)", "at", 8, []string{`expected '-' here`}},
		{"at(2026-13-01T09:30:00)", "at", 9, []string{"month must be 01-12"}},
		{"at(2026-02-29T09:30:00)", "at", 12, []string{"day must be 01-28 in February 2026"}},
		{"at(2026-04-31T09:30:00)", "at", 12, []string{"01-30"}},
		{"at(2026-05-01T24:00:00)", "at", 15, []string{"hour must be 00-23"}},
		{"at(2026-05-01T09:60:00)", "at", 18, []string{"minutes must be 00-59"}},
		{"at(2026-05-01T09:30:61)", "at", 21, []string{"seconds must be 00-59"}},
		{"at(2026-05-0aT09:30:00)", "at", 13, []string{"expected a digit"}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			_, err := expr.Parse(tt.expr)
			require.Error(t, err)
			require.ErrorIs(t, err, expr.ErrInvalid)
			var ee *expr.Error
			require.True(t, errors.As(err, &ee))
			assert.Equal(t, tt.expr, ee.Expr)
			assert.Equal(t, tt.part, ee.Part)
			assert.Equal(t, tt.pos, ee.Pos, "position of %q in %q", ee.Text, tt.expr)
			if ee.Pos > 0 {
				// The position points at the text it names.
				require.LessOrEqual(t, ee.Pos-1+len(ee.Text), len(tt.expr))
				assert.Equal(t, ee.Text, tt.expr[ee.Pos-1:ee.Pos-1+len(ee.Text)])
			}
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	_, err := expr.Parse("cron(0 25 * * ? *)")
	assert.EqualError(t, err, `schedule expression "cron(0 25 * * ? *)": hours (field 2) at character 8 ("25"): 25 is outside 0-23; allowed: 0-23 , - * /`)
	_, err = expr.Parse("rate(1 hours)")
	assert.EqualError(t, err, `schedule expression "rate(1 hours)": rate unit at character 8 ("hours"): 1 takes the singular: rate(1 hour)`)
}

func TestMustParsePanics(t *testing.T) {
	assert.Panics(t, func() { expr.MustParse("rate(1 hours)") })
	assert.NotPanics(t, func() { expr.MustParse("rate(1 hour)") })
}
