package backend

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"

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
// understands, what is wrong with it. What it returns is ASCII, ready for
// a mail header: an internationalised domain is turned into its punycode
// form (città.it is xn--citt-3na.it); a local part outside ASCII is
// refused, since neither SES nor our SMTP path sends SMTPUTF8.
func checkEmail(raw string) (string, *fieldError) {
	bad := func(msg string) (string, *fieldError) {
		return "", &fieldError{Field: "email", Code: "invalid_email", Message: msg}
	}
	// Before normalising: lower-casing would turn invalid bytes into U+FFFD.
	if !utf8.ValidString(raw) {
		return bad("L'indirizzo email contiene caratteri non validi: riscrivilo a mano, come nome@esempio.it.")
	}
	e := store.NormalizeEmail(raw)
	switch {
	case e == "":
		return bad("Scrivi il tuo indirizzo email.")
	case len(e) > maxEmailLen:
		return bad("L'indirizzo email è troppo lungo: al massimo 254 caratteri.")
	case strings.IndexFunc(e, unicode.IsSpace) >= 0:
		return bad("L'indirizzo email non può contenere spazi.")
	case strings.IndexFunc(e, invisible) >= 0:
		return bad("L'indirizzo email contiene caratteri invisibili o di controllo: riscrivilo a mano, come nome@esempio.it.")
	case strings.Count(e, "@") != 1:
		return bad("Un indirizzo email ha una sola @, come nome@esempio.it.")
	}
	local, domain, _ := strings.Cut(e, "@")
	switch {
	case local == "":
		return bad("Manca la parte prima della @, come in nome@esempio.it.")
	case len(local) > maxLocalLen:
		return bad("La parte prima della @ è troppo lunga: al massimo 64 caratteri.")
	case strings.IndexFunc(local, func(r rune) bool { return r >= utf8.RuneSelf }) >= 0:
		return bad("La parte prima della @ può contenere solo lettere senza accenti, cifre e . _ - +: non possiamo inviare a indirizzi con lettere accentate o di altri alfabeti prima della @.")
	case domain == "":
		return bad("Manca il dominio dopo la @, come in nome@esempio.it.")
	}
	badDomain := func() (string, *fieldError) {
		return bad("Il dominio dopo la @ non sembra giusto: controlla che sia come esempio.it.")
	}
	ascii, err := idna.Lookup.ToASCII(domain)
	if err != nil || ascii != strings.ToLower(ascii) {
		return badDomain()
	}
	domain = ascii
	e = local + "@" + domain
	if len(e) > maxEmailLen {
		return bad("L'indirizzo email è troppo lungo: al massimo 254 caratteri.")
	}
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return badDomain()
	}
	for _, label := range strings.Split(domain, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") ||
			strings.IndexFunc(label, func(r rune) bool { return r != '-' && !isASCIIAlnum(r) }) >= 0 {
			return badDomain()
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

// invisible reports the characters an address must not hold: controls,
// format characters (bidi overrides and isolates, zero-width space and
// joiners, the byte-order mark), the replacement character and the
// private-use and unassigned code points.
func invisible(r rune) bool {
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs) || r == utf8.RuneError ||
		!unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Zs)
}

func isASCIIAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
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
