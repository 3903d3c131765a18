package notifier

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/manga-alert-italia/mangaalert/store"
)

var mesi = [...]string{"gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno",
	"luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre"}

// FormatDate writes a date as Italian readers do: "29 ottobre 2024" ("" for
// the zero Date).
func FormatDate(d store.Date) string {
	if d.IsZero() || d.Month < 1 || d.Month > 12 {
		return ""
	}
	return fmt.Sprintf("%d %s %d", d.Day, mesi[d.Month-1], d.Year)
}

// FormatPrice writes euro cents as Italian readers do: "9,90 €",
// "1.250,00 €" ("" for 0, the unknown price).
func FormatPrice(cents int) string {
	if cents <= 0 {
		return ""
	}
	euros := strconv.Itoa(cents / 100)
	var b strings.Builder
	for i, r := range euros {
		if i > 0 && (len(euros)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(r)
	}
	return fmt.Sprintf("%s,%02d €", b.String(), cents%100)
}

// inDays says how far a date is: "oggi", "domani", "tra 5 giorni".
func inDays(n int) string {
	switch {
	case n == 0:
		return "oggi"
	case n == 1:
		return "domani"
	case n > 1:
		return fmt.Sprintf("tra %d giorni", n)
	}
	return ""
}
