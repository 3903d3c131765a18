package tzrome

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The hook answers Rome with data that time reads as CET/CEST, and no
// other zone. That time.LoadLocation reaches the hook where there is no
// system database is proved by the image test (FROM scratch has none).
func TestLoad(t *testing.T) {
	data, err := load(Name)
	require.NoError(t, err)
	loc, err := time.LoadLocationFromTZData(Name, []byte(data))
	require.NoError(t, err)
	for _, c := range []struct {
		at     time.Time
		name   string
		offset int
	}{
		{time.Date(2024, time.July, 1, 12, 0, 0, 0, time.UTC), "CEST", 2 * 3600},
		{time.Date(2024, time.January, 1, 12, 0, 0, 0, time.UTC), "CET", 3600},
		{time.Date(2035, time.August, 1, 12, 0, 0, 0, time.UTC), "CEST", 2 * 3600}, // past the table: the TZ rule string
	} {
		name, off := c.at.In(loc).Zone()
		assert.Equal(t, c.name, name, c.at)
		assert.Equal(t, c.offset, off, c.at)
	}

	_, err = load("America/New_York")
	assert.ErrorIs(t, err, errUnknown)
}

func ExampleName() {
	// import _ "github.com/manga-alert-italia/mangaalert/internal/tzrome"
	loc, err := time.LoadLocation(Name)
	if err != nil {
		panic(err)
	}
	fmt.Println(time.Date(2024, time.September, 9, 10, 0, 0, 0, loc).Format(time.RFC3339))
	// Output: 2024-09-09T10:00:00+02:00
}
