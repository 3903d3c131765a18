package backend

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/manga-alert-italia/mangaalert/store"
)

// The reader's collection ("Ho fino al n. N") and chosen reminders: the
// API's PATCH /me/follows/{id}, the reader-wide reminders of PATCH /me,
// and the manage page's forms for both.

// nextVolume is the next volume the reader has to buy of a series: the
// lowest-numbered first edition they do not own, out already or not; ok
// false when they own every one known.
func nextVolume(f store.Follow, vs []store.Volume) (store.Volume, bool) {
	for _, v := range vs { // ordered by number
		if (v.Edition == store.First || v.Edition == "") && !f.OwnsVolume(v) {
			return v, true
		}
	}
	return store.Volume{}, false
}

// jsonNext is the next volume to buy, in the API.
type jsonNext struct {
	ID          string  `json:"id"`
	Number      int     `json:"number"`
	Title       string  `json:"title"`
	ReleaseDate *string `json:"release_date"`
}

// collect fills a follow's collection fields in the API's shape.
func (b *Backend) collect(ctx context.Context, j *jsonFollow, f store.Follow) error {
	j.OwnedUpTo, j.Owned = f.OwnedUpTo, f.Owned
	if j.Owned == nil {
		j.Owned = []int{}
	}
	if f.Reminders.Chosen() {
		j.Reminders = f.Reminders.Names()
	}
	vs, err := b.cfg.Store.VolumesOfSeries(ctx, f.SeriesID)
	if err != nil {
		return err
	}
	if v, ok := nextVolume(f, vs); ok {
		j.Next = &jsonNext{ID: v.ID, Number: v.Number, Title: v.Title}
		if !v.ReleaseDate.IsZero() {
			d := v.ReleaseDate.String()
			j.Next.ReleaseDate = &d
		}
	}
	return nil
}

// patchFollow is the body of PATCH /me/follows/{id}: each field present
// replaces, absent ones stay; reminders null means "the reader's".
type patchFollow struct {
	OwnedUpTo *int            `json:"owned_up_to"`
	Owned     *[]int          `json:"owned"`
	Reminders json.RawMessage `json:"reminders"`
}

// parseReminders reads a reminders field: null is "not chosen" (zero).
func parseReminders(raw json.RawMessage) (store.Remind, *fieldError) {
	bad := &fieldError{Field: "reminders", Code: "invalid_reminders",
		Message: "Scegli gli avvisi tra \"announce\", \"30\", \"7\" e \"1\" (un elenco, anche vuoto), o null per usare le preferenze generali."}
	if string(raw) == "null" {
		return 0, nil
	}
	var names []string
	if err := json.Unmarshal(raw, &names); err != nil {
		return 0, bad
	}
	r, err := store.Reminds(names...)
	if err != nil {
		return 0, bad
	}
	return r, nil
}

// checkCollection validates the owned fields, in words for the reader.
func checkCollection(upTo int, owned []int) ([]int, *fieldError) {
	if upTo < 0 || upTo > store.MaxVolumeNumber {
		return nil, &fieldError{Field: "owned_up_to", Code: "invalid_owned_up_to",
			Message: "«Ho fino al n.» vuole un numero di volume da 0 (nessuno) a " + strconv.Itoa(store.MaxVolumeNumber) + "."}
	}
	clean, err := store.CleanOwned(upTo, owned)
	if err != nil {
		return nil, &fieldError{Field: "owned", Code: "invalid_owned",
			Message: "I volumi che hai vogliono numeri da 0 a " + strconv.Itoa(store.MaxVolumeNumber) + ", al massimo " + strconv.Itoa(store.MaxOwned) + "."}
	}
	return clean, nil
}

// followOf is the reader's follow of a series; ok false when not followed.
func (b *Backend) followOf(ctx context.Context, subID, seriesID string) (store.Follow, bool, error) {
	fs, err := b.cfg.Store.FollowsOf(ctx, subID)
	if err != nil {
		return store.Follow{}, false, err
	}
	for _, f := range fs {
		if f.SeriesID == seriesID {
			return f, true, nil
		}
	}
	return store.Follow{}, false, nil
}

func (b *Backend) apiPatchFollow(w http.ResponseWriter, r *http.Request) {
	s, ok := b.bearer(w, r)
	if !ok {
		return
	}
	se, ok := b.apiSeriesOf(w, r)
	if !ok {
		return
	}
	var req patchFollow
	if !readJSON(w, r, &req) {
		return
	}
	ctx := r.Context()
	f, ok, err := b.followOf(ctx, s.ID, se.ID)
	if err != nil {
		b.internal(w, r, err)
		return
	}
	if !ok {
		writeAPIError(w, http.StatusNotFound, "not_followed", "Non segui questa serie: seguila prima (PUT /me/follows/{id}).", "")
		return
	}
	if req.OwnedUpTo != nil {
		f.OwnedUpTo = *req.OwnedUpTo
	}
	if req.Owned != nil {
		f.Owned = *req.Owned
	}
	var ferr *fieldError
	if f.Owned, ferr = checkCollection(f.OwnedUpTo, f.Owned); ferr == nil && req.Reminders != nil {
		f.Reminders, ferr = parseReminders(req.Reminders)
	}
	if ferr != nil {
		writeAPIError(w, http.StatusUnprocessableEntity, ferr.Code, ferr.Message, ferr.Field)
		return
	}
	if err := b.cfg.Store.UpdateFollow(ctx, f); err != nil {
		if errors.Is(err, store.ErrNotFound) { // unfollowed meanwhile
			writeAPIError(w, http.StatusNotFound, "not_followed", "Non segui questa serie: seguila prima (PUT /me/follows/{id}).", "")
			return
		}
		b.internal(w, r, err)
		return
	}
	j := jsonFollow{SeriesID: se.ID, Title: se.Title, Since: f.CreatedAt.UTC()}
	if err := b.collect(ctx, &j, f); err != nil {
		b.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Follow jsonFollow `json:"follow"`
	}{j})
}

// remindChoice is one checkbox of the reminders in a form.
type remindChoice struct {
	Name, Label string
	On          bool
}

var remindLabels = map[string]string{
	"announce": "quando viene annunciato",
	"30":       "30 giorni prima dell'uscita",
	"7":        "7 giorni prima",
	"1":        "il giorno prima",
}

func remindChoices(r store.Remind) []remindChoice {
	on := r.Names()
	out := make([]remindChoice, len(store.RemindNames))
	for i, n := range store.RemindNames {
		out[i] = remindChoice{Name: n, Label: remindLabels[n]}
		for _, o := range on {
			out[i].On = out[i].On || o == n
		}
	}
	return out
}

// collectionItem is a followed series on the manage page, with what the
// reader has of it and what to buy next.
type collectionItem struct {
	seriesItem
	OwnedUpTo  string // "" for none
	Owned      string // "3, 5"
	Next       string // "n. 12, in fumetteria il 10 aprile 2025"
	Own        bool   // reminders chosen for this series
	Reminders  []remindChoice
	FieldID    string // safe for id attributes
	HasAll     bool   // owns every volume known
	HasVolumes bool
}

func (b *Backend) collectionItem(ctx context.Context, it seriesItem, f store.Follow) (collectionItem, error) {
	c := collectionItem{seriesItem: it, Owned: store.FormatOwned(f.Owned), Own: f.Reminders.Chosen(),
		Reminders: remindChoices(f.Reminders), FieldID: url.PathEscape(f.SeriesID)}
	if f.OwnedUpTo > 0 {
		c.OwnedUpTo = strconv.Itoa(f.OwnedUpTo)
	}
	vs, err := b.cfg.Store.VolumesOfSeries(ctx, f.SeriesID)
	if err != nil {
		return c, err
	}
	c.HasVolumes = len(vs) > 0
	v, ok := nextVolume(f, vs)
	switch {
	case !ok:
		c.HasAll = c.HasVolumes
	case v.ReleaseDate.IsZero():
		c.Next = "n. " + strconv.Itoa(v.Number) + ", data da annunciare"
	case v.ReleaseDate.Before(today(b.cfg.Now())):
		c.Next = "n. " + strconv.Itoa(v.Number) + ", in fumetteria dal " + dateLabel(v.ReleaseDate)
	default:
		c.Next = "n. " + strconv.Itoa(v.Number) + ", in fumetteria il " + dateLabel(v.ReleaseDate)
	}
	return c, nil
}

// formReminders reads the reminders checkboxes of a form: "own" unset
// means the reader's (or, for the reader-wide form, all four) — zero.
func formReminders(form url.Values, own bool) (store.Remind, *fieldError) {
	if !own {
		return 0, nil
	}
	r, err := store.Reminds(form["reminders"]...)
	if err != nil {
		return 0, &fieldError{Field: "reminders", Code: "invalid_reminders", Message: "Scegli gli avvisi dall'elenco."}
	}
	return r, nil
}

// postCollection saves the collection form of one followed series.
func (b *Backend) postCollection(ctx context.Context, s store.Subscriber, form url.Values) (*fieldError, error) {
	seriesID := form.Get("series_id")
	f, ok, err := b.followOf(ctx, s.ID, seriesID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return &fieldError{Field: "series_id", Code: "not_followed", Message: "Non segui questa serie: seguila prima."}, nil
	}
	upTo := 0
	if v := strings.TrimSpace(form.Get("owned_up_to")); v != "" {
		if upTo, err = strconv.Atoi(v); err != nil {
			return &fieldError{Field: "owned_up_to", Code: "invalid_owned_up_to",
				Message: "«Ho fino al n.» vuole un numero, come 12 (lascia vuoto se non ne hai)."}, nil
		}
	}
	owned, err := store.ParseOwned(form.Get("owned"))
	if err != nil {
		return &fieldError{Field: "owned", Code: "invalid_owned",
			Message: "«Ho anche i numeri» vuole numeri separati da virgole, come 3, 5, 8."}, nil
	}
	var ferr *fieldError
	if f.Owned, ferr = checkCollection(upTo, owned); ferr != nil {
		return ferr, nil
	}
	f.OwnedUpTo = upTo
	if f.Reminders, ferr = formReminders(form, form.Get("reminders_own") == "1"); ferr != nil {
		return ferr, nil
	}
	return nil, b.cfg.Store.UpdateFollow(ctx, f)
}

// readerReminders is the reader-wide choice of the preferences form: all
// four ticked is the default (zero), so a reader who ticks everything
// back is where they started.
func readerReminders(form url.Values) (store.Remind, *fieldError) {
	r, ferr := formReminders(form, true)
	if ferr != nil {
		return 0, ferr
	}
	if len(r.Names()) == len(store.RemindNames) {
		return 0, nil
	}
	return r, nil
}
