package backend

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/manga-alert-italia/mangaalert/store"
)

// apiRoute is one operation of the JSON API; the OpenAPI document lists
// the same, and a test holds the two together.
type apiRoute struct {
	Method, Path string
	handler      http.HandlerFunc
}

// apiPrefix is where the API lives.
const apiPrefix = "/api/v1"

// MaxReleaseDays is the longest date range /releases answers.
const MaxReleaseDays = 92

func (b *Backend) apiTable() []apiRoute {
	return []apiRoute{
		{"GET", "/openapi.json", b.apiOpenAPI},
		{"GET", "/series", b.apiSeriesList},
		{"GET", "/series/{id}", b.apiSeries},
		{"GET", "/series/{id}/volumes", b.apiSeriesVolumes},
		{"GET", "/releases", b.apiReleases},
		{"POST", "/subscriptions", b.apiSubscribe},
		{"POST", "/confirmations", b.apiConfirm},
		{"GET", "/me", b.apiMe},
		{"PATCH", "/me", b.apiPatchMe},
		{"DELETE", "/me", b.apiDeleteMe},
		{"GET", "/me/export", b.apiExport}, // export.go
		{"GET", "/me/follows", b.apiFollows},
		{"PUT", "/me/follows/{id}", b.apiFollow},
		{"PATCH", "/me/follows/{id}", b.apiPatchFollow},
		{"DELETE", "/me/follows/{id}", b.apiUnfollow},
		{"POST", "/unsubscribe", b.apiUnsubscribe},
		// Telegram (issue 17, telegram.go).
		{"POST", "/me/telegram", b.apiTelegramLink},
		{"DELETE", "/me/telegram", b.apiTelegramUnlink},
	}
}

func (b *Backend) apiRoutes(mux *http.ServeMux) {
	allowed := map[string][]string{}
	var paths []string
	for _, rt := range b.apiTable() {
		mux.HandleFunc(rt.Method+" "+apiPrefix+rt.Path, rt.handler)
		if allowed[rt.Path] == nil {
			paths = append(paths, rt.Path)
		}
		allowed[rt.Path] = append(allowed[rt.Path], rt.Method)
	}
	// The same paths with no method: a JSON 405 instead of the mux's text.
	for _, p := range paths {
		allow := strings.Join(allowed[p], ", ")
		if strings.Contains(allow, "GET") {
			allow += ", HEAD"
		}
		mux.HandleFunc(apiPrefix+p, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			writeAPIError(w, http.StatusMethodNotAllowed, "method_not_allowed", "Metodo "+r.Method+" non ammesso qui: usa "+allow+".", "")
		})
	}
	mux.HandleFunc(apiPrefix+"/", func(w http.ResponseWriter, r *http.Request) {
		writeAPIError(w, http.StatusNotFound, "not_found", "Nessuna risorsa a questo indirizzo: vedi "+apiPrefix+"/openapi.json.", "")
	})
}

// apiError is the body of every error answer.
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func writeAPIError(w http.ResponseWriter, status int, code, message, field string) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="mangaalert"`)
	}
	writeJSON(w, status, apiError{Error: apiErrorBody{Code: code, Message: message, Field: field}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"Errore interno."}}`)
	}
	body = append(body, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// readJSON decodes a request body into v; false when it answered already.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeAPIError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "Manda il corpo come JSON, con Content-Type: application/json.", "")
		return false
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("more than one JSON value")
	}
	if err == nil {
		_, err = io.Copy(io.Discard, r.Body)
	}
	switch {
	case err == nil:
		return true
	case isMaxBytes(err):
		writeAPIError(w, http.StatusRequestEntityTooLarge, "too_large", "Il corpo della richiesta è troppo grande.", "")
	default:
		writeAPIError(w, http.StatusBadRequest, "bad_request", "Il corpo non è un JSON valido per questa richiesta: "+jsonProblem(err)+".", "")
	}
	return false
}

// jsonProblem says what was wrong with a body without echoing it.
func jsonProblem(err error) string {
	var ute *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &ute):
		return "il campo " + ute.Field + " ha il tipo sbagliato"
	case errors.As(err, &se):
		return "sintassi JSON non valida"
	case errors.Is(err, io.EOF):
		return "corpo vuoto"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "campo sconosciuto " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	}
	return "formato non valido"
}

// JSON shapes: the OpenAPI document's components say the same.

type jsonSeries struct {
	ID        string   `json:"id"`
	Title     string   `json:"title"`
	Aliases   []string `json:"aliases"`
	Publisher string   `json:"publisher"`
	URL       string   `json:"url"`
}

type jsonVolume struct {
	ID          string     `json:"id"`
	SeriesID    string     `json:"series_id"`
	Number      int        `json:"number"`
	Edition     string     `json:"edition"`
	Title       string     `json:"title"`
	Publisher   string     `json:"publisher"`
	ReleaseDate store.Date `json:"release_date"`
	PriceCents  *int       `json:"price_cents"`
	CoverURL    *string    `json:"cover_url"`
	SourceURL   *string    `json:"source_url"`
}

func (b *Backend) jsonSeries(s store.Series) jsonSeries {
	al := s.Aliases
	if al == nil {
		al = []string{}
	}
	return jsonSeries{ID: s.ID, Title: s.Title, Aliases: al, Publisher: s.Publisher, URL: b.cfg.BaseURL + "/serie/" + s.ID}
}

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func jsonVol(v store.Volume) jsonVolume {
	j := jsonVolume{ID: v.ID, SeriesID: v.SeriesID, Number: v.Number, Edition: string(v.Edition), Title: v.Title,
		Publisher: v.Publisher, ReleaseDate: v.ReleaseDate, CoverURL: nullString(v.CoverURL), SourceURL: nullString(v.SourceURL)}
	if j.Edition == "" {
		j.Edition = string(store.First)
	}
	if v.PriceCents > 0 {
		p := v.PriceCents
		j.PriceCents = &p
	}
	return j
}

func (b *Backend) apiOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(openAPIDoc)
}

func (b *Backend) apiSeriesList(w http.ResponseWriter, r *http.Request) {
	ix, err := b.series.get(r.Context())
	if err != nil {
		b.internal(w, r, err)
		return
	}
	q := r.URL.Query()
	if len(q.Get("q")) > 100 {
		writeAPIError(w, http.StatusBadRequest, "invalid_query", "La ricerca è troppo lunga: al massimo 100 caratteri.", "q")
		return
	}
	out := struct {
		Series []jsonSeries `json:"series"`
	}{Series: []jsonSeries{}}
	for _, s := range ix.search(q.Get("q"), q.Get("publisher")) {
		out.Series = append(out.Series, b.jsonSeries(s))
	}
	writeJSON(w, http.StatusOK, out)
}

func (b *Backend) apiSeriesOf(w http.ResponseWriter, r *http.Request) (store.Series, bool) {
	ix, err := b.series.get(r.Context())
	if err != nil {
		b.internal(w, r, err)
		return store.Series{}, false
	}
	s, ok := ix.byIDOK(r.PathValue("id"))
	if !ok {
		writeAPIError(w, http.StatusNotFound, "unknown_series", "Non conosciamo la serie "+strconv.Quote(r.PathValue("id"))+": cercala con GET "+apiPrefix+"/series?q=titolo.", "")
	}
	return s, ok
}

func (b *Backend) apiSeries(w http.ResponseWriter, r *http.Request) {
	if s, ok := b.apiSeriesOf(w, r); ok {
		writeJSON(w, http.StatusOK, struct {
			Series jsonSeries `json:"series"`
		}{b.jsonSeries(s)})
	}
}

func (b *Backend) apiSeriesVolumes(w http.ResponseWriter, r *http.Request) {
	s, ok := b.apiSeriesOf(w, r)
	if !ok {
		return
	}
	vs, err := b.cfg.Store.VolumesOfSeries(r.Context(), s.ID)
	if err != nil {
		b.internal(w, r, err)
		return
	}
	out := struct {
		SeriesID string       `json:"series_id"`
		Volumes  []jsonVolume `json:"volumes"`
	}{SeriesID: s.ID, Volumes: make([]jsonVolume, 0, len(vs))}
	for _, v := range vs {
		out.Volumes = append(out.Volumes, jsonVol(v))
	}
	writeJSON(w, http.StatusOK, out)
}

// apiReleases lists the volumes releasing in [from, to] (default: today and
// the next 13 days), optionally of one publisher. Answers are cached for
// CacheTTL and carry an ETag.
func (b *Backend) apiReleases(w http.ResponseWriter, r *http.Request) {
	now := b.cfg.Now()
	q := r.URL.Query()
	from, err := store.ParseDate(q.Get("from"))
	if err != nil {
		writeAPIError(w, http.StatusBadRequest, "invalid_date", "from: scrivi la data come AAAA-MM-GG, per esempio 2025-03-01.", "from")
		return
	}
	to, err := store.ParseDate(q.Get("to"))
	if err != nil {
		writeAPIError(w, http.StatusBadRequest, "invalid_date", "to: scrivi la data come AAAA-MM-GG, per esempio 2025-03-14.", "to")
		return
	}
	if from.IsZero() {
		from = today(now)
	}
	if to.IsZero() {
		to = from.AddDays(13)
	}
	if to.Before(from) {
		writeAPIError(w, http.StatusBadRequest, "invalid_range", "to viene prima di from: scambia le due date.", "to")
		return
	}
	if from.DaysUntil(to) >= MaxReleaseDays {
		writeAPIError(w, http.StatusBadRequest, "invalid_range", "Intervallo troppo lungo: al massimo "+strconv.Itoa(MaxReleaseDays)+" giorni per richiesta.", "to")
		return
	}
	publisher := q.Get("publisher")
	if len(publisher) > 100 {
		writeAPIError(w, http.StatusBadRequest, "invalid_query", "publisher: al massimo 100 caratteri.", "publisher")
		return
	}
	key := string(appendDate(appendDate(make([]byte, 0, 32+len(publisher)), from), to)) + strings.ToLower(publisher)
	b.followCatalog(r.Context(), now)
	e := b.cache.get(key, now)
	if e == nil {
		gen := b.cache.generation()
		vs, err := b.cfg.Store.VolumesReleasing(r.Context(), from, to)
		if err != nil {
			b.internal(w, r, err)
			return
		}
		out := struct {
			From      store.Date   `json:"from"`
			To        store.Date   `json:"to"`
			Publisher *string      `json:"publisher"`
			Volumes   []jsonVolume `json:"volumes"`
		}{From: from, To: to, Publisher: nullString(publisher), Volumes: make([]jsonVolume, 0, len(vs))}
		for _, v := range vs {
			if publisher == "" || strings.EqualFold(v.Publisher, publisher) {
				out.Volumes = append(out.Volumes, jsonVol(v))
			}
		}
		var buf bytes.Buffer
		if err := json.NewEncoder(&buf).Encode(out); err != nil {
			b.internal(w, r, err)
			return
		}
		e = b.cache.put(key, buf.Bytes(), gen, now)
	}
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Etag"] = e.etagHdr
	h["Cache-Control"] = b.releasesCacheControl
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, e.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h["Content-Length"] = e.lengthHdr
	_, _ = w.Write(e.body)
}

var jsonContentType = []string{"application/json"}

// appendDate appends "YYYYMMDD|" (a cache key part) without fmt.
func appendDate(b []byte, d store.Date) []byte {
	b = strconv.AppendInt(b, int64(d.Year*10000+int(d.Month)*100+d.Day), 10)
	return append(b, '|')
}

type subscribeRequest struct {
	Email    string `json:"email"`
	SeriesID string `json:"series_id"`
}

// pendingAnswer is the one answer to every accepted sign-up.
var pendingAnswer = struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}{"pending_confirmation", "Se l'indirizzo può ricevere email, gli abbiamo mandato un link per confermare."}

func (b *Backend) apiSubscribe(w http.ResponseWriter, r *http.Request) {
	var req subscribeRequest
	if !readJSON(w, r, &req) {
		return
	}
	email, ferr := checkEmail(req.Email)
	if ferr != nil {
		writeAPIError(w, http.StatusUnprocessableEntity, ferr.Code, ferr.Message, ferr.Field)
		return
	}
	ix, err := b.series.get(r.Context())
	if err != nil {
		b.internal(w, r, err)
		return
	}
	se, ferr := checkSeries(ix, req.SeriesID)
	if ferr != nil {
		writeAPIError(w, http.StatusUnprocessableEntity, ferr.Code, ferr.Message, ferr.Field)
		return
	}
	if !b.formAllowed(w, r) {
		return
	}
	if err := b.subscribe(r.Context(), r, email, se); err != nil {
		if errors.Is(err, errBusy) {
			w.Header().Set("Retry-After", "300")
			writeAPIError(w, http.StatusServiceUnavailable, "busy", "In questo momento non riusciamo a mandare email: riprova tra qualche minuto.", "")
			return
		}
		b.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, pendingAnswer)
}

type tokenRequest struct {
	Token string `json:"token"`
}

// jsonReader is a reader as the API shows them to themselves.
type jsonReader struct {
	Email       string     `json:"email"`
	Status      string     `json:"status"`
	Variants    bool       `json:"variants"`
	CreatedAt   time.Time  `json:"created_at"`
	ConfirmedAt *time.Time `json:"confirmed_at"`
	Feeds       *jsonFeeds `json:"feeds"`
	Reminders   []string   `json:"reminders"` // the alerts wanted of every series (see collection.go)
	// Consent (privacy.go): when, and which privacy page version.
	ConsentAt      *time.Time `json:"consent_at"`
	ConsentVersion *string    `json:"consent_version"`
	// Telegram (issue 17, telegram.go): where alerts go, and whether a
	// chat is linked (null when Telegram is off).
	Channels string        `json:"channels"`
	Telegram *jsonTelegram `json:"telegram"`
}

type jsonFeeds struct {
	Calendar string `json:"calendar"`
	Atom     string `json:"atom"`
}

func (b *Backend) jsonReader(l *Links, s store.Subscriber) jsonReader {
	j := jsonReader{Email: s.Email, Status: string(s.Status), Variants: s.Variants, CreatedAt: s.CreatedAt.UTC(),
		Reminders: s.Reminders.Names(), Channels: s.Channels.String()}
	if b.cfg.Telegram != nil {
		j.Telegram = &jsonTelegram{Linked: s.TelegramChatID != 0}
	}
	if !s.ConfirmedAt.IsZero() {
		t := s.ConfirmedAt.UTC()
		j.ConfirmedAt = &t
	}
	if c := l.CalendarURL(s); c != "" {
		j.Feeds = &jsonFeeds{Calendar: c, Atom: l.AtomURL(s)}
	}
	if !s.ConsentAt.IsZero() {
		t := s.ConsentAt.UTC()
		j.ConsentAt = &t
	}
	j.ConsentVersion = nullString(s.ConsentVersion)
	return j
}

func (b *Backend) apiConfirm(w http.ResponseWriter, r *http.Request) {
	var req tokenRequest
	if !readJSON(w, r, &req) {
		return
	}
	s, followed, err := b.confirm(r.Context(), req.Token)
	if err != nil {
		b.apiTokenFailed(w, r, err)
		return
	}
	l, err := b.Links(r.Context())
	if err != nil {
		b.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Reader      jsonReader `json:"reader"`
		Followed    *string    `json:"followed"`
		ManageToken string     `json:"manage_token"`
	}{b.jsonReader(l, s), nullString(followed), l.ManageToken(s)})
}

func (b *Backend) apiTokenFailed(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, ErrExpiredToken):
		writeAPIError(w, http.StatusUnauthorized, "expired_token", "Il token è scaduto: chiedine uno nuovo.", "")
	case errors.Is(err, ErrBadToken):
		writeAPIError(w, http.StatusUnauthorized, "invalid_token", "Il token non è valido per questa richiesta.", "")
	case errors.Is(err, errGone):
		writeAPIError(w, http.StatusNotFound, "not_found", "Non esiste più un'iscrizione per questo token.", "")
	case errors.Is(err, errSuppressed):
		writeAPIError(w, http.StatusConflict, "suppressed", "Non possiamo mandare email a questo indirizzo.", "")
	default:
		b.internal(w, r, err)
	}
}

// bearer reads the manage token of the Authorization header and loads its
// reader; false when it answered already.
func (b *Backend) bearer(w http.ResponseWriter, r *http.Request) (store.Subscriber, bool) {
	auth := r.Header.Get("Authorization")
	scheme, tok, _ := strings.Cut(auth, " ")
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		writeAPIError(w, http.StatusUnauthorized, "unauthorized", "Manca il token: manda Authorization: Bearer <token di gestione>.", "")
		return store.Subscriber{}, false
	}
	s, _, err := b.readerOf(r.Context(), strings.TrimSpace(tok), Manage)
	if err != nil {
		b.apiTokenFailed(w, r, err)
		return s, false
	}
	return s, true
}

func (b *Backend) apiMe(w http.ResponseWriter, r *http.Request) {
	s, ok := b.bearer(w, r)
	if !ok {
		return
	}
	b.writeMe(w, r, s)
}

func (b *Backend) writeMe(w http.ResponseWriter, r *http.Request, s store.Subscriber) {
	l, err := b.Links(r.Context())
	if err != nil {
		b.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Reader jsonReader `json:"reader"`
	}{b.jsonReader(l, s)})
}

type patchMe struct {
	Variants  *bool           `json:"variants"`
	Reminders json.RawMessage `json:"reminders"` // null: the default, all four
	Channels  json.RawMessage `json:"channels"`  // "email", "telegram" or "both" (telegram.go)
}

func (b *Backend) apiPatchMe(w http.ResponseWriter, r *http.Request) {
	s, ok := b.bearer(w, r)
	if !ok {
		return
	}
	var req patchMe
	if !readJSON(w, r, &req) {
		return
	}
	var reminders store.Remind
	if req.Reminders != nil {
		var ferr *fieldError
		if reminders, ferr = parseReminders(req.Reminders); ferr != nil {
			writeAPIError(w, http.StatusUnprocessableEntity, ferr.Code, ferr.Message, ferr.Field)
			return
		}
	}
	var channels store.Channels
	if req.Channels != nil {
		var ferr *fieldError
		if channels, ferr = parseChannels(req.Channels); ferr != nil {
			writeAPIError(w, http.StatusUnprocessableEntity, ferr.Code, ferr.Message, ferr.Field)
			return
		}
	}
	if req.Variants != nil || req.Reminders != nil || req.Channels != nil {
		var err error
		s, err = b.updateReader(r.Context(), s.ID, func(s *store.Subscriber) bool {
			old := *s
			if req.Variants != nil {
				s.Variants = *req.Variants
			}
			if req.Reminders != nil {
				s.Reminders = reminders
			}
			if req.Channels != nil {
				s.Channels = channels
			}
			return s.Variants != old.Variants || s.Reminders != old.Reminders || s.Channels != old.Channels
		})
		if err != nil {
			b.apiTokenFailed(w, r, err)
			return
		}
	}
	b.writeMe(w, r, s)
}

func (b *Backend) apiDeleteMe(w http.ResponseWriter, r *http.Request) {
	s, ok := b.bearer(w, r)
	if !ok {
		return
	}
	if err := b.forget(r.Context(), s); err != nil {
		b.forgetFailed(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type jsonFollow struct {
	SeriesID string    `json:"series_id"`
	Title    string    `json:"title"`
	Since    time.Time `json:"since"`
	// The collection and reminders (collection.go).
	OwnedUpTo int       `json:"owned_up_to"`
	Owned     []int     `json:"owned"`
	Reminders []string  `json:"reminders"` // null: the reader's
	Next      *jsonNext `json:"next_volume"`
}

func (b *Backend) apiFollows(w http.ResponseWriter, r *http.Request) {
	s, ok := b.bearer(w, r)
	if !ok {
		return
	}
	ix, err := b.series.get(r.Context())
	if err != nil {
		b.internal(w, r, err)
		return
	}
	fs, err := b.cfg.Store.FollowsOf(r.Context(), s.ID)
	if err != nil {
		b.internal(w, r, err)
		return
	}
	out := struct {
		Follows []jsonFollow `json:"follows"`
	}{Follows: make([]jsonFollow, 0, len(fs))}
	for _, f := range fs {
		title := f.SeriesID
		if se, ok := ix.byIDOK(f.SeriesID); ok {
			title = se.Title
		}
		j := jsonFollow{SeriesID: f.SeriesID, Title: title, Since: f.CreatedAt.UTC()}
		if err := b.collect(r.Context(), &j, f); err != nil {
			b.internal(w, r, err)
			return
		}
		out.Follows = append(out.Follows, j)
	}
	writeJSON(w, http.StatusOK, out)
}

// apiFollow follows a series; like the manage page, it activates a reader
// whose token proves the mailbox.
func (b *Backend) apiFollow(w http.ResponseWriter, r *http.Request) {
	s, ok := b.bearer(w, r)
	if !ok {
		return
	}
	se, ok := b.apiSeriesOf(w, r)
	if !ok {
		return
	}
	var err error
	if s.Status != store.Suppressed {
		if s, err = b.activate(r.Context(), s); err != nil {
			b.apiTokenFailed(w, r, err)
			return
		}
	}
	if err := b.follow(r.Context(), s, se.ID); err != nil {
		b.internal(w, r, err)
		return
	}
	fs, err := b.cfg.Store.FollowsOf(r.Context(), s.ID)
	if err != nil {
		b.internal(w, r, err)
		return
	}
	f := jsonFollow{SeriesID: se.ID, Title: se.Title, Since: b.cfg.Now().UTC()}
	for _, x := range fs {
		if x.SeriesID == se.ID {
			f.Since = x.CreatedAt.UTC()
			if err := b.collect(r.Context(), &f, x); err != nil {
				b.internal(w, r, err)
				return
			}
		}
	}
	if f.Owned == nil {
		f.Owned = []int{}
	}
	writeJSON(w, http.StatusOK, struct {
		Follow jsonFollow `json:"follow"`
	}{f})
}

func (b *Backend) apiUnfollow(w http.ResponseWriter, r *http.Request) {
	s, ok := b.bearer(w, r)
	if !ok {
		return
	}
	if err := b.cfg.Store.Unfollow(r.Context(), s.ID, r.PathValue("id")); err != nil {
		b.internal(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (b *Backend) apiUnsubscribe(w http.ResponseWriter, r *http.Request) {
	var req tokenRequest
	if !readJSON(w, r, &req) {
		return
	}
	s, _, err := b.readerOf(r.Context(), req.Token, Unsubscribe)
	if err == nil {
		_, err = b.unsubscribe(r.Context(), s)
	}
	if err != nil && !errors.Is(err, errGone) {
		b.apiTokenFailed(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Status string `json:"status"`
	}{"unsubscribed"})
}
