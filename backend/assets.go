package backend

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/manga-alert-italia/mangaalert/store"
)

//go:embed assets/templates/*.html assets/static/*
var assetsFS embed.FS

// static is one embedded file served under a name that holds its hash,
// so browsers may keep it forever and a new build is fetched at once.
type static struct {
	url   string
	ctype string
	body  []byte
}

// assets is the parsed templates and the static files.
type assets struct {
	pages  map[string]*template.Template
	static map[string]*static // by URL
	css    string             // URL of the stylesheet
	icon   string             // URL of the icon
}

func loadAssets() (*assets, error) {
	a := &assets{pages: map[string]*template.Template{}, static: map[string]*static{}}
	for name, ctype := range map[string]string{"style.css": "text/css; charset=utf-8", "icon.svg": "image/svg+xml"} {
		b, err := assetsFS.ReadFile("assets/static/" + name)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		ext := path.Ext(name)
		u := "/static/" + strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:6]) + ext
		a.static[u] = &static{url: u, ctype: ctype, body: b}
		switch name {
		case "style.css":
			a.css = u
		case "icon.svg":
			a.icon = u
		}
	}
	base, err := template.New("layout.html").Funcs(template.FuncMap{}).ParseFS(assetsFS, "assets/templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	names, err := fs.Glob(assetsFS, "assets/templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		page := strings.TrimSuffix(path.Base(n), ".html")
		if page == "layout" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(assetsFS, n)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", n, err)
		}
		a.pages[page] = t
	}
	return a, nil
}

// chrome is what the layout needs besides the page's own data.
type chrome struct {
	CSS     string
	Icon    string
	Nav     string // which menu entry is current
	NoIndex bool   // pages behind a token stay out of search engines
}

// render executes page into a buffer first, so a template error is a
// clean 500 rather than half a page.
// renderBytes executes a page's template.
func (a *assets) renderBytes(page string, data any) (*bytes.Buffer, error) {
	t, ok := a.pages[page]
	if !ok {
		return nil, fmt.Errorf("no page template %q", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return nil, fmt.Errorf("render %s: %w", page, err)
	}
	return &buf, nil
}

func (a *assets) render(w http.ResponseWriter, status int, page string, data any) error {
	buf, err := a.renderBytes(page, data)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, err = w.Write(buf.Bytes())
	return err
}

func (a *assets) serveStatic(w http.ResponseWriter, r *http.Request) {
	s, ok := a.static[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", s.ctype)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("Content-Length", strconv.Itoa(len(s.body)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(s.body)
}

// Italian names, for dates as readers write them.
var (
	giorni = [...]string{"domenica", "lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato"}
	mesi   = [...]string{"gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre"}
)

// dayLabel is "giovedì 31 ottobre".
func dayLabel(d store.Date) string {
	if d.IsZero() {
		return "data da annunciare"
	}
	return giorni[d.Time().Weekday()] + " " + strconv.Itoa(d.Day) + " " + mesi[d.Month-1]
}

// dateLabel is "31 ottobre 2024".
func dateLabel(d store.Date) string {
	if d.IsZero() {
		return ""
	}
	return strconv.Itoa(d.Day) + " " + mesi[d.Month-1] + " " + strconv.Itoa(d.Year)
}

// priceLabel is "5,90 €", or "" when unknown.
func priceLabel(cents int) string {
	if cents <= 0 {
		return ""
	}
	return fmt.Sprintf("%d,%02d €", cents/100, cents%100)
}

// editionLabel names an edition other than the first, in Italian.
func editionLabel(e store.Edition) string {
	switch e {
	case store.Reprint:
		return "ristampa"
	case store.Variant:
		return "variant"
	case store.Special:
		return "edizione speciale"
	case store.BoxSet:
		return "cofanetto"
	case store.Other:
		return "fuori serie"
	}
	return ""
}

// mondayOf is the Monday of d's week (Italian weeks start on Monday).
func mondayOf(d store.Date) store.Date {
	wd := int(d.Time().Weekday()+6) % 7 // Monday 0 ... Sunday 6
	return d.AddDays(-wd)
}

// today is the calendar day in Rome.
func today(now time.Time) store.Date { return store.DateOf(now) }
