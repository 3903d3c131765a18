package backend

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/manga-alert-italia/mangaalert/store"
)

// Limits of an address (RFC 5321 §4.5.3.1: a path is at most 256 octets
// with its brackets, a local part at most 64).
const (
	maxEmailLen = 254
	maxLocalLen = 64
)

// fieldError is a reader's mistake in one field: the code is for the API,
// the message for the reader, in Italian.
type fieldError struct {
	Field   string
	Code    string
	Message string
}

func (e *fieldError) Error() string { return e.Field + ": " + e.Message }

// checkEmail normalises an address and says, in words a reader
// understands, what is wrong with it.
func checkEmail(raw string) (string, *fieldError) {
	e := store.NormalizeEmail(raw)
	bad := func(msg string) (string, *fieldError) {
		return "", &fieldError{Field: "email", Code: "invalid_email", Message: msg}
	}
	switch {
	case e == "":
		return bad("Scrivi il tuo indirizzo email.")
	case len(e) > maxEmailLen:
		return bad("L'indirizzo email è troppo lungo: al massimo 254 caratteri.")
	case !utf8.ValidString(e) || strings.IndexFunc(e, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return bad("L'indirizzo email non può contenere spazi.")
	case strings.Count(e, "@") != 1:
		return bad("Un indirizzo email ha una sola @, come nome@esempio.it.")
	}
	local, domain, _ := strings.Cut(e, "@")
	switch {
	case local == "":
		return bad("Manca la parte prima della @, come in nome@esempio.it.")
	case len(local) > maxLocalLen:
		return bad("La parte prima della @ è troppo lunga: al massimo 64 caratteri.")
	case domain == "":
		return bad("Manca il dominio dopo la @, come in nome@esempio.it.")
	case !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, ".."):
		return bad("Il dominio dopo la @ non sembra giusto: controlla che sia come esempio.it.")
	}
	for _, label := range strings.Split(domain, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") ||
			strings.IndexFunc(label, func(r rune) bool { return r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) }) >= 0 {
			return bad("Il dominio dopo la @ non sembra giusto: controlla che sia come esempio.it.")
		}
	}
	// What net/mail accepts as a bare address (no display name, no
	// comments) is what our senders will take.
	a, err := mail.ParseAddress(e)
	if err != nil || a.Name != "" || a.Address != e {
		return bad("L'indirizzo email non è valido: controlla di averlo scritto bene, come nome@esempio.it.")
	}
	return e, nil
}

// checkSeries says whether id names a known series.
func checkSeries(ix *seriesIndex, id string) (store.Series, *fieldError) {
	if strings.TrimSpace(id) == "" {
		return store.Series{}, &fieldError{Field: "series_id", Code: "missing_series", Message: "Scegli la serie da seguire."}
	}
	s, ok := ix.byIDOK(id)
	if !ok {
		return store.Series{}, &fieldError{Field: "series_id", Code: "unknown_series", Message: "Non conosciamo questa serie: sceglila dall'elenco."}
	}
	return s, nil
}
