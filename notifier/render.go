package notifier

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	texttemplate "text/template"

	"github.com/manga-alert-italia/mangaalert/store"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

var (
	htmlTmpl = htmltemplate.Must(htmltemplate.New("alert.html.tmpl").ParseFS(templateFS, "templates/alert.html.tmpl"))
	textTmpl = texttemplate.Must(texttemplate.New("alert.txt.tmpl").ParseFS(templateFS, "templates/alert.txt.tmpl"))
)

// Entry is one volume in an alert email.
type Entry struct {
	Kind      store.AlertKind
	Title     string // "SOLO LEVELING n. 19"
	URL       string // the volume's page
	SeriesURL string // the series on our site
	CoverURL  string // "" when the publisher shows a placeholder
	Publisher string
	Date      string // "29 ottobre 2024", "" when not announced
	When      string // "tra 7 giorni", "domani"
	Price     string // "9,90 €", "" when unknown
	PrevDate  string // the date an earlier alert gave, when it moved
}

// Section is the entries of one kind.
type Section struct {
	Kind    store.AlertKind
	Heading string
	Entries []Entry
}

// Email is what the templates render.
type Email struct {
	Subject        string
	Preheader      string
	Sections       []Section
	UnsubscribeURL string
	ManageURL      string
	PrivacyURL     string // the privacy page; "" leaves its line out (privacy.go)
}

// heading names a section by its kind, in Italian.
func heading(k store.AlertKind) string {
	if k == store.Announce {
		return "Nuovi volumi annunciati"
	}
	if k == store.MovedBase {
		return "Cambiano data di uscita"
	}
	d, _ := k.ReminderDays()
	switch d {
	case 1:
		return "Escono domani"
	case 7:
		return "Escono entro una settimana"
	case 30:
		return "Escono entro un mese"
	}
	return fmt.Sprintf("Escono entro %d giorni", d)
}

// kindOrder puts the most urgent first: the shortest reminder, ..., then
// the announcements.
func kindOrder(a, b store.AlertKind) int {
	da, oka := a.ReminderDays()
	db, okb := b.ReminderDays()
	switch {
	case oka && okb:
		return da - db
	case oka:
		return -1
	case okb:
		return 1
	}
	return strings.Compare(string(a), string(b))
}

// NewEntry describes volume v for an email sent on today.
func NewEntry(k store.AlertKind, v store.Volume, today store.Date, links Links) Entry {
	e := Entry{
		Kind:      k,
		Title:     v.Title,
		URL:       v.SourceURL,
		SeriesURL: links.SeriesURL(v.SeriesID),
		CoverURL:  v.CoverURL,
		Publisher: v.Publisher,
		Date:      FormatDate(v.ReleaseDate),
		Price:     FormatPrice(v.PriceCents),
	}
	if !v.ReleaseDate.IsZero() {
		e.When = inDays(today.DaysUntil(v.ReleaseDate))
	}
	if e.URL == "" {
		e.URL = e.SeriesURL
	}
	return e
}

// Render builds an email's subject, text and HTML from its entries, grouped
// by kind, most urgent first.
func Render(entries []Entry, unsubscribeURL, manageURL string) (subject, text, html string, err error) {
	return RenderFooter(entries, Footer{UnsubscribeURL: unsubscribeURL, ManageURL: manageURL})
}

// RenderFooter is Render with every link of the footer, the privacy
// page's among them.
func RenderFooter(entries []Entry, f Footer) (subject, text, html string, err error) {
	if len(entries) == 0 {
		return "", "", "", fmt.Errorf("render: no entries")
	}
	em := Email{UnsubscribeURL: f.UnsubscribeURL, ManageURL: f.ManageURL, PrivacyURL: f.PrivacyURL}
	byKind := map[store.AlertKind][]Entry{}
	var kinds []store.AlertKind
	for _, e := range entries {
		if _, ok := byKind[e.Kind]; !ok {
			kinds = append(kinds, e.Kind)
		}
		byKind[e.Kind] = append(byKind[e.Kind], e)
	}
	slices.SortFunc(kinds, kindOrder)
	for _, k := range kinds {
		es := byKind[k]
		slices.SortStableFunc(es, func(a, b Entry) int { return strings.Compare(a.Title, b.Title) })
		em.Sections = append(em.Sections, Section{Kind: k, Heading: heading(k), Entries: es})
	}
	em.Subject = subjectOf(em.Sections, len(entries))
	em.Preheader = preheader(em.Sections)
	var tb, hb bytes.Buffer
	if err := textTmpl.Execute(&tb, em); err != nil {
		return "", "", "", fmt.Errorf("render text: %w", err)
	}
	if err := htmlTmpl.Execute(&hb, em); err != nil {
		return "", "", "", fmt.Errorf("render html: %w", err)
	}
	return em.Subject, tb.String(), hb.String(), nil
}

func subjectOf(ss []Section, n int) string {
	if n == 1 {
		e := ss[0].Entries[0]
		if e.Kind == store.Announce {
			return "Annunciato: " + e.Title
		}
		if e.Kind == store.MovedBase {
			return "Nuova data di uscita: " + e.Title
		}
		if e.When != "" {
			return strings.ToUpper(e.When[:1]) + e.When[1:] + " in fumetteria: " + e.Title
		}
		return "In arrivo: " + e.Title
	}
	return fmt.Sprintf("%d volumi in arrivo dalle serie che segui", n)
}

func preheader(ss []Section) string {
	var parts []string
	for _, s := range ss {
		for _, e := range s.Entries {
			parts = append(parts, e.Title)
		}
	}
	p := strings.Join(parts, ", ")
	if r := []rune(p); len(r) > 120 {
		p = string(r[:119]) + "…"
	}
	return p
}

// listHeaders are the RFC 2369 / RFC 8058 headers of an alert.
func (c *Notifier) listHeaders(s store.Subscriber, unsubscribeURL string) textproto.MIMEHeader {
	h := textproto.MIMEHeader{}
	mailto := "mailto:" + c.UnsubscribeMailto + "?subject=" + url.PathEscape("unsubscribe "+s.ID)
	h.Set("List-Unsubscribe", "<"+unsubscribeURL+">, <"+mailto+">")
	h.Set("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	h.Set("List-Id", c.ListID)
	h.Set("Auto-Submitted", "auto-generated")
	return h
}
