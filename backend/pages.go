package backend

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/manga-alert-italia/mangaalert/store"
)

// volumeView is a volume as the pages show it.
type volumeView struct {
	Title        string
	Publisher    string
	Price        string
	EditionLabel string
	Date         string
	SeriesURL    string
}

func viewVolume(v store.Volume) volumeView {
	return volumeView{
		Title:        v.Title,
		Publisher:    v.Publisher,
		Price:        priceLabel(v.PriceCents),
		EditionLabel: editionLabel(v.Edition),
		Date:         dateLabel(v.ReleaseDate),
		SeriesURL:    "/serie/" + url.PathEscape(v.SeriesID),
	}
}

type dayView struct {
	Label   string
	Volumes []volumeView
}

type weekView struct {
	ID    string
	Title string
	Days  []dayView
}

type homePage struct {
	chrome
	Weeks []weekView
}

// pageHome lists the releases of this week and the next, by day.
func (b *Backend) pageHome(w http.ResponseWriter, r *http.Request) {
	mon := mondayOf(today(b.cfg.Now()))
	b.cachedPage(w, r, "page|home|"+string(appendDate(nil, mon)), func() (string, any, bool) {
		vs, err := b.cfg.Store.VolumesReleasing(r.Context(), mon, mon.AddDays(13))
		if err != nil {
			b.internal(w, r, err)
			return "", nil, false
		}
		weeks := []weekView{{ID: "questa-settimana", Title: "Questa settimana"}, {ID: "prossima-settimana", Title: "La prossima settimana"}}
		for _, v := range vs {
			i := 0
			if mon.DaysUntil(v.ReleaseDate) >= 7 {
				i = 1
			}
			days := &weeks[i].Days
			label := capitalize(dayLabel(v.ReleaseDate))
			if n := len(*days); n == 0 || (*days)[n-1].Label != label {
				*days = append(*days, dayView{Label: label})
			}
			d := &(*days)[len(*days)-1]
			d.Volumes = append(d.Volumes, viewVolume(v))
		}
		return "home", homePage{chrome: b.chrome("home", false), Weeks: weeks}, true
	})
}

// capitalize upper-cases the first letter: "Mercoledì 12 marzo" (Italian
// keeps the month lower-case).
func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

type seriesItem struct {
	ID, Title, Publisher, URL string
}

type seriesListPage struct {
	chrome
	Query  string
	Series []seriesItem
}

func (b *Backend) pageSeriesList(w http.ResponseWriter, r *http.Request) {
	ix, err := b.series.get(r.Context())
	if err != nil {
		b.internal(w, r, err)
		return
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len(q) > 100 {
		q = q[:100]
	}
	d := seriesListPage{chrome: b.chrome("serie", false), Query: q}
	for _, s := range ix.search(q, r.URL.Query().Get("editore")) {
		d.Series = append(d.Series, seriesItem{ID: s.ID, Title: s.Title, Publisher: s.Publisher, URL: "/serie/" + url.PathEscape(s.ID)})
	}
	b.page(w, r, http.StatusOK, "series-list", d)
}

// emailForm is the state of a form with an email field.
type emailForm struct {
	Email       string
	EmailError  string
	SeriesID    string
	SeriesError string
	Errors      bool
}

type seriesPage struct {
	chrome
	Series  store.Series
	Aliases string
	Volumes []volumeView
	Form    emailForm
}

func (b *Backend) pageSeries(w http.ResponseWriter, r *http.Request) {
	b.followCatalog(r.Context(), b.cfg.Now())
	ix, err := b.series.get(r.Context())
	if err != nil {
		b.internal(w, r, err)
		return
	}
	se, ok := ix.byIDOK(r.PathValue("id"))
	if !ok {
		b.fail(w, r, http.StatusNotFound, "not_found", "Non conosciamo questa serie. Cercala per titolo dalla pagina delle serie.")
		return
	}
	b.cachedPage(w, r, "page|series|"+se.ID, func() (string, any, bool) {
		vs, err := b.cfg.Store.VolumesOfSeries(r.Context(), se.ID)
		if err != nil {
			b.internal(w, r, err)
			return "", nil, false
		}
		d := seriesPage{chrome: b.chrome("serie", false), Series: se, Aliases: strings.Join(se.Aliases, "», «")}
		for _, v := range vs {
			d.Volumes = append(d.Volumes, viewVolume(v))
		}
		return "series", d, true
	})
}

type subscribePage struct {
	chrome
	AllSeries []store.Series
	Form      emailForm
}

func (b *Backend) pageSubscribe(w http.ResponseWriter, r *http.Request) {
	b.renderSubscribe(w, r, http.StatusOK, emailForm{SeriesID: r.URL.Query().Get("serie")})
}

func (b *Backend) renderSubscribe(w http.ResponseWriter, r *http.Request, status int, f emailForm) {
	ix, err := b.series.get(r.Context())
	if err != nil {
		b.internal(w, r, err)
		return
	}
	b.page(w, r, status, "subscribe", subscribePage{chrome: b.chrome("iscriviti", false), AllSeries: ix.list, Form: f})
}

type sentPage struct {
	chrome
	Message string
	Days    int
}

// formAllowed applies the per-address limit of posts that may send mail.
func (b *Backend) formAllowed(w http.ResponseWriter, r *http.Request) bool {
	if ok, wait := b.forms.allow(info(r.Context()).ip, b.cfg.Now()); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		b.fail(w, r, http.StatusTooManyRequests, "rate_limited", "Hai inviato troppi moduli in poco tempo: riprova tra qualche minuto.")
		return false
	}
	return true
}

// parseForm reads a posted form; false when it answered already.
func (b *Backend) parseForm(w http.ResponseWriter, r *http.Request) bool {
	if err := r.ParseForm(); err != nil {
		if isMaxBytes(err) {
			b.fail(w, r, http.StatusRequestEntityTooLarge, "too_large", "La richiesta è troppo grande.")
		} else {
			b.fail(w, r, http.StatusBadRequest, "bad_request", "Il modulo inviato non è leggibile: ricarica la pagina e riprova.")
		}
		return false
	}
	return true
}

func (b *Backend) postSubscribe(w http.ResponseWriter, r *http.Request) {
	if !b.parseForm(w, r) {
		return
	}
	ix, err := b.series.get(r.Context())
	if err != nil {
		b.internal(w, r, err)
		return
	}
	f := emailForm{Email: r.PostForm.Get("email"), SeriesID: r.PostForm.Get("series_id")}
	email, ferr := checkEmail(f.Email)
	if ferr != nil {
		f.EmailError, f.Errors = ferr.Message, true
	}
	se, serr := checkSeries(ix, f.SeriesID)
	if serr != nil {
		f.SeriesError, f.Errors = serr.Message, true
	}
	if f.Errors {
		// Back to the page the form came from, with the reader's input.
		if serr == nil && r.PostForm.Get("from") == "serie" {
			b.renderSeriesWithForm(w, r, se, f)
			return
		}
		b.renderSubscribe(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	if !b.formAllowed(w, r) {
		return
	}
	if err := b.subscribe(r.Context(), r, email, se); err != nil {
		if errors.Is(err, errBusy) {
			b.fail(w, r, http.StatusServiceUnavailable, "busy", "In questo momento non riusciamo a mandare email. Riprova tra qualche minuto.")
			return
		}
		b.internal(w, r, err)
		return
	}
	b.page(w, r, http.StatusOK, "sent", sentPage{
		chrome:  b.chrome("iscriviti", true),
		Message: "Ti abbiamo mandato un'email a " + email + ": apri il link che contiene per confermare. Finché non confermi non ti scriviamo altro.",
		Days:    int(b.cfg.ConfirmTTL.Hours() / 24),
	})
}

func (b *Backend) renderSeriesWithForm(w http.ResponseWriter, r *http.Request, se store.Series, f emailForm) {
	vs, err := b.cfg.Store.VolumesOfSeries(r.Context(), se.ID)
	if err != nil {
		b.internal(w, r, err)
		return
	}
	d := seriesPage{chrome: b.chrome("serie", false), Series: se, Aliases: strings.Join(se.Aliases, "», «"), Form: f}
	for _, v := range vs {
		d.Volumes = append(d.Volumes, viewVolume(v))
	}
	b.page(w, r, http.StatusUnprocessableEntity, "series", d)
}

type confirmPage struct {
	chrome
	Email  string
	Series string
	Action string
}

// pageConfirm shows a button: a GET changes nothing, since mail scanners
// open links before the reader does.
func (b *Backend) pageConfirm(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("token")
	s, c, err := b.confirmReader(r.Context(), tok)
	if err != nil {
		b.tokenFailed(w, r, err)
		return
	}
	d := confirmPage{chrome: b.chrome("", true), Email: s.Email, Action: "/conferma/" + tok}
	if c.Extra != "" {
		if ix, err := b.series.get(r.Context()); err == nil {
			if se, ok := ix.byIDOK(c.Extra); ok {
				d.Series = se.Title
			}
		}
	}
	b.page(w, r, http.StatusOK, "confirm", d)
}

func (b *Backend) postConfirm(w http.ResponseWriter, r *http.Request) {
	s, _, err := b.confirm(r.Context(), r.PathValue("token"))
	if err != nil {
		b.tokenFailed(w, r, err)
		return
	}
	links, err := b.Links(r.Context())
	if err != nil {
		b.internal(w, r, err)
		return
	}
	http.Redirect(w, r, "/gestisci/"+links.ManageToken(s)+"?esito=confermato", http.StatusSeeOther)
}

// tokenFailed answers a token that did not work, saying what to do.
func (b *Backend) tokenFailed(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, ErrExpiredToken):
		b.failLink(w, r, http.StatusGone, "expired_token", "Questo link è scaduto.")
	case errors.Is(err, ErrBadToken):
		b.failLink(w, r, http.StatusNotFound, "invalid_token", "Questo link non è valido: forse è stato copiato solo in parte.")
	case errors.Is(err, errGone):
		b.failLink(w, r, http.StatusNotFound, "not_found", "Non troviamo l'iscrizione di questo link: forse non è stata confermata in tempo, o è stata cancellata.")
	case errors.Is(err, errSuppressed):
		b.fail(w, r, http.StatusConflict, "suppressed", "Non possiamo mandare email a questo indirizzo: in passato le nostre email sono state respinte o segnalate.")
	default:
		b.internal(w, r, err)
	}
}

func (b *Backend) failLink(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	if isAPI(r) {
		writeAPIError(w, status, code, message, "")
		return
	}
	b.failPage(w, r, status, message, true)
}

// Outcomes of the manage page's posts, shown after the redirect.
var manageNotices = map[string]string{
	"confermato": "Iscrizione confermata: ti scriveremo quando esce un nuovo volume.",
	"seguita":    "Fatto: ora segui questa serie.",
	"smessa":     "Fatto: non segui più questa serie.",
	"salvate":    "Preferenze salvate.",
	"feed":       "Nuovi indirizzi creati: quelli vecchi non funzionano più.",
	"collezione": "Fatto: collezione e avvisi della serie salvati.",
	// Telegram (issue 17).
	"telegram-scollegato": "Fatto: Telegram scollegato. Gli avvisi arrivano per email.",
	"canali":              "Fatto: salvato dove ricevi gli avvisi.",
}

type notice struct{ Kind, Text string }

type managePage struct {
	chrome
	Base           string
	Notice         *notice
	Email          string
	Status         string
	StatusLabel    string
	Variants       bool
	Follows        []seriesItem
	Others         []store.Series
	SeriesError    string
	CalendarURL    string
	AtomURL        string
	UnsubscribeURL string
	// Collection is Follows with what the reader has of each series and
	// their reminders; Reminders the reader-wide choice (collection.go).
	Collection []collectionItem
	Reminders  []remindChoice
	// Telegram is the Telegram section (telegram.go); nil when off.
	Telegram *telegramView
}

var statusLabels = map[store.Status]string{
	store.Pending:      "iscrizione da confermare",
	store.Active:       "attiva",
	store.Unsubscribed: "iscrizione annullata",
	store.Suppressed:   "le nostre email a questo indirizzo sono state respinte",
}

func (b *Backend) pageManage(w http.ResponseWriter, r *http.Request) {
	s, _, err := b.readerOf(r.Context(), r.PathValue("token"), Manage)
	if err != nil {
		b.tokenFailed(w, r, err)
		return
	}
	var n *notice
	if t, ok := manageNotices[r.URL.Query().Get("esito")]; ok {
		n = &notice{Kind: "ok", Text: t}
	}
	b.renderManage(w, r, http.StatusOK, s, n, "")
}

func (b *Backend) renderManage(w http.ResponseWriter, r *http.Request, status int, s store.Subscriber, n *notice, seriesErr string) {
	ctx := r.Context()
	ix, err := b.series.get(ctx)
	if err != nil {
		b.internal(w, r, err)
		return
	}
	fs, err := b.cfg.Store.FollowsOf(ctx, s.ID)
	if err != nil {
		b.internal(w, r, err)
		return
	}
	links, err := b.Links(ctx)
	if err != nil {
		b.internal(w, r, err)
		return
	}
	d := managePage{
		chrome: b.chrome("link", true),
		// The page's forms post to the token it was opened with.
		Base:           "/gestisci/" + r.PathValue("token"),
		Notice:         n,
		Email:          s.Email,
		Status:         string(s.Status),
		StatusLabel:    statusLabels[s.Status],
		Variants:       s.Variants,
		SeriesError:    seriesErr,
		CalendarURL:    links.CalendarURL(s),
		AtomURL:        links.AtomURL(s),
		UnsubscribeURL: links.UnsubscribeURL(s),
	}
	followed := map[string]bool{}
	for _, f := range fs {
		followed[f.SeriesID] = true
		title := f.SeriesID
		if se, ok := ix.byIDOK(f.SeriesID); ok {
			title = se.Title
		}
		d.Follows = append(d.Follows, seriesItem{ID: f.SeriesID, Title: title, URL: "/serie/" + url.PathEscape(f.SeriesID)})
	}
	slices.SortFunc(d.Follows, func(a, b seriesItem) int { return strings.Compare(strings.ToLower(a.Title), strings.ToLower(b.Title)) })
	d.Reminders = remindChoices(s.Reminders)
	d.Telegram = b.telegramView(s)
	for _, it := range d.Follows {
		i := slices.IndexFunc(fs, func(f store.Follow) bool { return f.SeriesID == it.ID })
		c, err := b.collectionItem(ctx, it, fs[i])
		if err != nil {
			b.internal(w, r, err)
			return
		}
		d.Collection = append(d.Collection, c)
	}
	for _, se := range ix.list {
		if !followed[se.ID] {
			d.Others = append(d.Others, se)
		}
	}
	b.page(w, r, status, "manage", d)
}

// postManage runs one action of the manage page and redirects back to it
// (post, redirect, get: a reload does not post again).
func (b *Backend) postManage(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("token")
	s, _, err := b.readerOf(r.Context(), tok, Manage)
	if err != nil {
		b.tokenFailed(w, r, err)
		return
	}
	if !b.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	var outcome string
	switch r.PathValue("action") {
	case "segui":
		ix, ierr := b.series.get(ctx)
		if ierr != nil {
			b.internal(w, r, ierr)
			return
		}
		se, ferr := checkSeries(ix, r.PostForm.Get("series_id"))
		if ferr != nil {
			b.renderManage(w, r, http.StatusUnprocessableEntity, s, &notice{Kind: "bad", Text: ferr.Message}, ferr.Message)
			return
		}
		if s.Status != store.Suppressed {
			if s, err = b.activate(ctx, s); err != nil {
				b.tokenFailed(w, r, err)
				return
			}
		}
		err = b.follow(ctx, s, se.ID)
		outcome = "seguita"
	case "smetti":
		err = b.cfg.Store.Unfollow(ctx, s.ID, r.PostForm.Get("series_id"))
		outcome = "smessa"
	case "preferenze":
		variants := r.PostForm.Get("variants") != ""
		// The reminders' boxes are read only from a form that has them.
		withReminders := r.PostForm.Get("reminders_form") == "1"
		reminders, ferr := readerReminders(r.PostForm)
		if withReminders && ferr != nil {
			b.renderManage(w, r, http.StatusUnprocessableEntity, s, &notice{Kind: "bad", Text: ferr.Message}, "")
			return
		}
		_, err = b.updateReader(ctx, s.ID, func(s *store.Subscriber) bool {
			old := *s
			s.Variants = variants
			if withReminders {
				s.Reminders = reminders
			}
			return s.Variants != old.Variants || s.Reminders != old.Reminders
		})
		outcome = "salvate"
	case "collezione":
		var ferr *fieldError
		ferr, err = b.postCollection(ctx, s, r.PostForm)
		if ferr != nil {
			b.renderManage(w, r, http.StatusUnprocessableEntity, s, &notice{Kind: "bad", Text: ferr.Message}, "")
			return
		}
		outcome = "collezione"
	case "telegram", "telegram-scollega", "canali": // telegram.go
		b.postTelegram(w, r, s, tok)
		return
	case "feed":
		_, err = b.updateReader(ctx, s.ID, func(s *store.Subscriber) bool {
			if s.TokenHash == "" {
				return false // no feed until confirmed
			}
			s.TokenHash = newFeedSecret()
			return true
		})
		outcome = "feed"
	case "cancella":
		if err := b.forget(ctx, s); err != nil {
			b.forgetFailed(w, r, err)
			return
		}
		b.page(w, r, http.StatusOK, "done", donePage{chrome: b.chrome("", true), Title: "Dati cancellati",
			Message: "Abbiamo cancellato il tuo indirizzo, le serie che seguivi, la tua collezione, lo storico degli avvisi e i tuoi feed. Non ti scriveremo più."})
		return
	default:
		b.fail(w, r, http.StatusNotFound, "not_found", "Questa pagina non esiste.")
		return
	}
	if err != nil {
		b.tokenFailed(w, r, err)
		return
	}
	http.Redirect(w, r, "/gestisci/"+tok+"?esito="+outcome, http.StatusSeeOther)
}

type donePage struct {
	chrome
	Title, Message string
}

type linkPage struct {
	chrome
	Notice *notice
	Form   emailForm
}

func (b *Backend) pageLink(w http.ResponseWriter, r *http.Request) {
	b.page(w, r, http.StatusOK, "link", linkPage{chrome: b.chrome("link", false)})
}

func (b *Backend) postLink(w http.ResponseWriter, r *http.Request) {
	if !b.parseForm(w, r) {
		return
	}
	f := emailForm{Email: r.PostForm.Get("email")}
	email, ferr := checkEmail(f.Email)
	if ferr != nil {
		f.EmailError, f.Errors = ferr.Message, true
		b.page(w, r, http.StatusUnprocessableEntity, "link", linkPage{chrome: b.chrome("link", false), Form: f})
		return
	}
	if !b.formAllowed(w, r) {
		return
	}
	if err := b.requestLink(r.Context(), r, email); err != nil {
		if errors.Is(err, errBusy) {
			b.fail(w, r, http.StatusServiceUnavailable, "busy", "In questo momento non riusciamo a mandare email. Riprova tra qualche minuto.")
			return
		}
		b.internal(w, r, err)
		return
	}
	b.page(w, r, http.StatusOK, "sent", sentPage{
		chrome:  b.chrome("link", true),
		Message: "Se " + email + " è iscritto, gli abbiamo mandato un'email con il link per gestire le tue serie.",
		Days:    int(b.cfg.ManageTTL.Hours() / 24),
	})
}

type unsubscribePage struct {
	chrome
	Email  string
	Action string
	Done   bool
}

func (b *Backend) pageUnsubscribe(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("token")
	s, _, err := b.readerOf(r.Context(), tok, Unsubscribe)
	if errors.Is(err, errGone) {
		// Nothing left to unsubscribe: say it is done.
		b.page(w, r, http.StatusOK, "unsubscribe", unsubscribePage{chrome: b.chrome("", true), Done: true})
		return
	}
	if err != nil {
		b.tokenFailed(w, r, err)
		return
	}
	b.page(w, r, http.StatusOK, "unsubscribe", unsubscribePage{chrome: b.chrome("", true), Email: s.Email, Action: "/disiscriviti/" + tok,
		Done: s.Status == store.Unsubscribed})
}

// postUnsubscribe is RFC 8058's one-click endpoint as well as the target
// of the page's button: no login, no confirmation, 200.
func (b *Backend) postUnsubscribe(w http.ResponseWriter, r *http.Request) {
	s, _, err := b.readerOf(r.Context(), r.PathValue("token"), Unsubscribe)
	if err == nil {
		_, err = b.unsubscribe(r.Context(), s)
	}
	if err != nil && !errors.Is(err, errGone) {
		b.tokenFailed(w, r, err)
		return
	}
	b.page(w, r, http.StatusOK, "unsubscribe", unsubscribePage{chrome: b.chrome("", true), Email: s.Email, Done: true})
}

func (b *Backend) page(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	if err := b.assets.render(w, status, name, data); err != nil {
		b.internal(w, r, err)
	}
}
