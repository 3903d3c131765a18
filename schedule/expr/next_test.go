package expr_test

import (
	"testing"
	"time"
	_ "time/tzdata" // the tests must not depend on the machine's tz database

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/schedule/expr"
)

// Schedules never fire on the emulator; these tests check the firing
// times against a fixed clock instead (from), hand-computed from the
// Europe/Rome rules: clocks go forward from 02:00 CET to 03:00 CEST on the
// last Sunday of March and back from 03:00 CEST to 02:00 CET on the last
// Sunday of October (2025-03-30, 2025-10-26, 2026-03-29, 2026-10-25).

var rome = mustZone("Europe/Rome")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// at reads a time with an explicit offset, so each expectation says which
// side of the clock change it is on.
func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestNextAcrossDaylightSaving(t *testing.T) {
	tests := []struct {
		name string
		expr string
		from string
		want []string
	}{
		{
			name: "02:30 does not exist on 2025-03-30 and is skipped",
			expr: "cron(30 2 * * ? *)", from: "2025-03-28T12:00:00+01:00",
			want: []string{"2025-03-29T02:30:00+01:00", "2025-03-31T02:30:00+02:00", "2025-04-01T02:30:00+02:00"},
		},
		{
			name: "02:30 does not exist on 2026-03-29 and is skipped",
			expr: "cron(30 2 * * ? *)", from: "2026-03-28T12:00:00+01:00",
			want: []string{"2026-03-30T02:30:00+02:00", "2026-03-31T02:30:00+02:00"},
		},
		{
			name: "02:30 happens twice on 2025-10-26 and fires once, the first time",
			expr: "cron(30 2 * * ? *)", from: "2025-10-25T12:00:00+02:00",
			want: []string{"2025-10-26T02:30:00+02:00", "2025-10-27T02:30:00+01:00"},
		},
		{
			name: "02:30 happens twice on 2026-10-25 and fires once, the first time",
			expr: "cron(30 2 * * ? *)", from: "2026-10-24T12:00:00+02:00",
			want: []string{"2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"},
		},
		{
			name: "from inside the repeated hour, after its first 02:30: no second run",
			expr: "cron(30 2 * * ? *)", from: "2025-10-26T02:10:00+01:00",
			want: []string{"2025-10-27T02:30:00+01:00"},
		},
		{
			name: "hourly: 02:00 skipped in spring, one hour between 01:00 and 03:00",
			expr: "cron(0 * * * ? *)", from: "2025-03-30T00:30:00+01:00",
			want: []string{"2025-03-30T01:00:00+01:00", "2025-03-30T03:00:00+02:00", "2025-03-30T04:00:00+02:00"},
		},
		{
			name: "hourly: 02:00 once in autumn, two hours between 02:00 CEST and 03:00 CET",
			expr: "cron(0 * * * ? *)", from: "2026-10-25T00:30:00+02:00",
			want: []string{"2026-10-25T01:00:00+02:00", "2026-10-25T02:00:00+02:00", "2026-10-25T03:00:00+01:00", "2026-10-25T04:00:00+01:00"},
		},
		{
			name: "every 30 minutes through the repeated hour",
			expr: "cron(0/30 * * * ? *)", from: "2025-10-26T01:40:00+02:00",
			want: []string{"2025-10-26T02:00:00+02:00", "2025-10-26T02:30:00+02:00", "2025-10-26T03:00:00+01:00"},
		},
		{
			name: "every 6 hours by cron keeps the wall clock: 23 h day in spring",
			expr: "cron(0 0/6 * * ? *)", from: "2026-03-28T19:00:00+01:00",
			want: []string{"2026-03-29T00:00:00+01:00", "2026-03-29T06:00:00+02:00", "2026-03-29T12:00:00+02:00", "2026-03-29T18:00:00+02:00"},
		},
		{
			name: "daily at 03:00 on the fall-back day: 25 hours apart",
			expr: "cron(0 3 * * ? *)", from: "2025-10-25T00:00:00+02:00",
			want: []string{"2025-10-25T03:00:00+02:00", "2025-10-26T03:00:00+01:00", "2025-10-27T03:00:00+01:00"},
		},
		{
			name: "last Sunday of March at 02:00, the very time that never comes",
			expr: "cron(0 2 ? 3 1L *)", from: "2025-01-01T00:00:00+01:00",
			want: nil, // 2:00 on the last Sunday of March never exists in Rome
		},
		{
			name: "last Sunday of October at 02:30, in summer time",
			expr: "cron(30 2 ? OCT SUNL 2025-2026)", from: "2025-01-01T00:00:00+01:00",
			want: []string{"2025-10-26T02:30:00+02:00", "2026-10-25T02:30:00+02:00"},
		},
		{
			name: "at on the fall-back day is the first 02:30",
			expr: "at(2026-10-25T02:30:00)", from: "2026-01-01T00:00:00+01:00",
			want: []string{"2026-10-25T02:30:00+02:00"},
		},
		{
			name: "at in the skipped hour never fires",
			expr: "at(2026-03-29T02:30:00)", from: "2026-01-01T00:00:00+01:00",
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := expr.Next(tt.expr, "Europe/Rome", at(tt.from), 4)
			require.NoError(t, err)
			if tt.want == nil {
				assert.Empty(t, got)
				return
			}
			require.GreaterOrEqual(t, len(got), len(tt.want), "got %v", got)
			for i, w := range tt.want {
				assert.True(t, at(w).Equal(got[i]), "time %d: want %s, got %s", i, w, got[i].Format(time.RFC3339))
				assert.Equal(t, rome.String(), got[i].Location().String(), "times are given in the schedule's zone")
			}
		})
	}
}

// A rate interval is a duration: the wall clock shifts by the hour the
// clocks move.
func TestNextRateIgnoresClockChanges(t *testing.T) {
	for _, from := range []string{"2025-03-29T20:00:00+01:00", "2025-10-25T20:00:00+02:00", "2026-03-28T20:00:00+01:00", "2026-10-24T20:00:00+02:00"} {
		t.Run(from, func(t *testing.T) {
			got, err := expr.Next("rate(6 hours)", "Europe/Rome", at(from), 8)
			require.NoError(t, err)
			require.Len(t, got, 8)
			prev := at(from)
			for _, g := range got {
				assert.Equal(t, 6*time.Hour, g.Sub(prev))
				prev = g
			}
			// 20:00 + 24 h is 21:00 after spring-forward and 19:00 after fall-back.
			want := 21
			if at(from).Month() == time.October {
				want = 19
			}
			assert.Equal(t, want, got[3].Hour())
		})
	}
	d, err := expr.Next("rate(1 day)", "Europe/Rome", at("2025-03-29T09:00:00+01:00"), 2)
	require.NoError(t, err)
	assert.True(t, at("2025-03-31T10:00:00+02:00").Equal(d[1]), "got %s", d[1])
	assert.Equal(t, 10, d[1].Hour(), "a day is 24 hours: 09:00 CET becomes 10:00 CEST")
}

func TestTimesRateCountsFromStart(t *testing.T) {
	e := expr.MustParse("rate(6 hours)")
	start := at("2026-01-10T00:00:00+01:00")
	got := e.Times(rome, at("2026-01-12T07:00:00+01:00"), 3, expr.Bounds{Start: start})
	assert.Equal(t, []string{"2026-01-12T12:00:00+01:00", "2026-01-12T18:00:00+01:00", "2026-01-13T00:00:00+01:00"}, formatAll(got))

	// Before the start, the start itself is the first run ("starts
	// invoking its target immediately").
	got = e.Times(rome, at("2026-01-01T00:00:00+01:00"), 2, expr.Bounds{Start: start})
	assert.Equal(t, []string{"2026-01-10T00:00:00+01:00", "2026-01-10T06:00:00+01:00"}, formatAll(got))

	// End stops it.
	got = e.Times(rome, at("2026-01-12T07:00:00+01:00"), 5, expr.Bounds{Start: start, End: at("2026-01-12T18:00:00+01:00")})
	assert.Equal(t, []string{"2026-01-12T12:00:00+01:00"}, formatAll(got))
}

func TestNextCronCalendar(t *testing.T) {
	tests := []struct {
		name, expr, zone, from string
		want                   []string
	}{
		{"every 6 hours at :00", "cron(0 0/6 * * ? *)", "UTC", "2026-01-01T05:00:00Z",
			[]string{"2026-01-01T06:00:00Z", "2026-01-01T12:00:00Z", "2026-01-01T18:00:00Z"}},
		{"strictly after from", "cron(0 6 * * ? *)", "UTC", "2026-01-01T06:00:00Z",
			[]string{"2026-01-02T06:00:00Z"}},
		{"weekdays", "cron(0 9 ? * MON-FRI *)", "UTC", "2026-01-02T10:00:00Z", // a Friday
			[]string{"2026-01-05T09:00:00Z", "2026-01-06T09:00:00Z"}},
		{"1 = Sunday", "cron(0 9 ? * 1 *)", "UTC", "2026-01-01T00:00:00Z",
			[]string{"2026-01-04T09:00:00Z", "2026-01-11T09:00:00Z"}},
		{"7 and L = Saturday", "cron(0 9 ? * L *)", "UTC", "2026-01-01T00:00:00Z",
			[]string{"2026-01-03T09:00:00Z", "2026-01-10T09:00:00Z"}},
		{"last day of the month", "cron(0 23 L * ? *)", "UTC", "2028-01-31T23:30:00Z",
			[]string{"2028-02-29T23:00:00Z", "2028-03-31T23:00:00Z", "2028-04-30T23:00:00Z"}},
		{"first Monday", "cron(0 9 ? * MON#1 *)", "UTC", "2026-01-01T00:00:00Z",
			[]string{"2026-01-05T09:00:00Z", "2026-02-02T09:00:00Z", "2026-03-02T09:00:00Z"}},
		{"fifth Friday only where there is one", "cron(0 9 ? * 6#5 *)", "UTC", "2026-01-01T00:00:00Z",
			[]string{"2026-01-30T09:00:00Z", "2026-05-29T09:00:00Z", "2026-07-31T09:00:00Z"}},
		{"last Friday", "cron(0 9 ? * 6L *)", "UTC", "2026-01-01T00:00:00Z",
			[]string{"2026-01-30T09:00:00Z", "2026-02-27T09:00:00Z"}},
		// 2026-02-01 is a Sunday: nearest weekday of the 1st is Monday the 2nd;
		// 2026-08-01 is a Saturday: Monday the 3rd, not July.
		{"1W", "cron(0 9 1W * ? *)", "UTC", "2026-01-15T00:00:00Z",
			[]string{"2026-02-02T09:00:00Z", "2026-03-02T09:00:00Z", "2026-04-01T09:00:00Z"}},
		{"1W on a Saturday", "cron(0 9 1W 8 ? *)", "UTC", "2026-01-01T00:00:00Z",
			[]string{"2026-08-03T09:00:00Z"}},
		// 2026-05-31 is a Sunday, the last day: Friday the 29th.
		{"31W on a last Sunday", "cron(0 9 31W 5 ? 2026)", "UTC", "2026-01-01T00:00:00Z",
			[]string{"2026-05-29T09:00:00Z"}},
		// 2026-02-15 is a Sunday: Monday the 16th; 2026-03-15 too.
		{"15W", "cron(0 9 15W 2,3 ? 2026)", "UTC", "2026-01-01T00:00:00Z",
			[]string{"2026-02-16T09:00:00Z", "2026-03-16T09:00:00Z"}},
		{"leap day", "cron(0 0 29 2 ? *)", "UTC", "2026-01-01T00:00:00Z",
			[]string{"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"}},
		{"years run out", "cron(0 0 1 1 ? 2026-2027)", "UTC", "2026-06-01T00:00:00Z",
			[]string{"2027-01-01T00:00:00Z"}},
		{"no zone is UTC, as for the Scheduler", "cron(0 6 * * ? *)", "", "2026-07-01T00:00:00Z",
			[]string{"2026-07-01T06:00:00Z", "2026-07-02T06:00:00Z"}},
		{"zone shifts the instants", "cron(0 6 * * ? *)", "Europe/Rome", "2026-07-01T00:00:00Z",
			[]string{"2026-07-01T04:00:00Z", "2026-07-02T04:00:00Z"}},
		{"at in the past", "at(2020-01-01T00:00:00)", "UTC", "2026-01-01T00:00:00Z", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := expr.Next(tt.expr, tt.zone, at(tt.from), 3)
			require.NoError(t, err)
			var utc []string
			for _, g := range got {
				utc = append(utc, g.UTC().Format(time.RFC3339))
			}
			if len(tt.want) == 0 {
				assert.Empty(t, utc)
				return
			}
			assert.Equal(t, tt.want, utc[:min(len(utc), len(tt.want))])
			assert.LessOrEqual(t, len(tt.want), 3)
		})
	}
}

func TestNextNeverFires(t *testing.T) {
	got, err := expr.Next("cron(0 0 30 2 ? *)", "UTC", at("2026-01-01T00:00:00Z"), 3)
	require.NoError(t, err)
	assert.Empty(t, got)
}

func TestNextErrors(t *testing.T) {
	_, err := expr.Next("rate(1 hours)", "", time.Now(), 3)
	assert.ErrorIs(t, err, expr.ErrInvalid)
	_, err = expr.Next("rate(1 hour)", "Europe/Roma", time.Now(), 3)
	assert.ErrorContains(t, err, `time zone "Europe/Roma"`)
	_, err = expr.Next("rate(1 hour)", "Local", time.Now(), 3)
	assert.ErrorContains(t, err, "IANA")
	_, err = expr.Next("rate(1 hour)", "", time.Now(), -1)
	assert.ErrorContains(t, err, "negative")
	got, err := expr.Next("rate(1 hour)", "", time.Now(), 0)
	require.NoError(t, err)
	assert.Empty(t, got)
}

func formatAll(ts []time.Time) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Format(time.RFC3339))
	}
	return out
}

func BenchmarkNextCron(b *testing.B) {
	from := at("2026-01-01T00:00:00+01:00")
	for b.Loop() {
		if _, err := expr.Next("cron(0 0/6 * * ? *)", "Europe/Rome", from, 3); err != nil {
			b.Fatal(err)
		}
	}
}
