package backend

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/manga-alert-italia/mangaalert/store"
)

// The reader's data as the GDPR's access and portability rights ask: GET
// /api/v1/me/export (bearer) and the manage page's "Scarica i miei dati"
// (GET /gestisci/{token}/dati.json) answer the same JSON file.
//
// The records are not copied field by field into a struct of this file:
// exportRecord walks the store's own types (store.Subscriber,
// store.Follow, store.Alert) by reflection, so a field added to them is
// in the export without anyone remembering it here. Only what must not
// leave as stored is listed, in exportRedacted, with the reason.

// ExportFormat names the export's layout; it changes when a field is
// renamed or removed, not when one is added.
const ExportFormat = "mangaalert-export/1"

// exportRedacted are the stored fields the export does not show as they
// are, by "Type.Field", with what it shows instead.
var exportRedacted = map[string]string{
	// The feed secret is what the feed URLs are signed with: the file
	// may be shared or kept carelessly, and the URLs (under "feeds") are
	// what the reader uses anyway.
	"Subscriber.TokenHash": "secret",
}

// readerExport is the file.
type readerExport struct {
	Format         string           `json:"format"`
	ExportedAt     time.Time        `json:"exported_at"`
	PrivacyVersion string           `json:"privacy_version"` // the privacy page's version now
	PrivacyURL     string           `json:"privacy_url"`
	Subscriber     map[string]any   `json:"subscriber"`
	Feeds          exportFeeds      `json:"feeds"`
	Follows        []map[string]any `json:"follows"`
	Alerts         []map[string]any `json:"alerts"`
	NotIncluded    []string         `json:"not_included"`
}

// exportFeeds is the state of the reader's feeds: their URLs while they
// work, none once revoked or before the address is confirmed.
type exportFeeds struct {
	Active   bool   `json:"active"`
	Calendar string `json:"calendar,omitempty"`
	Atom     string `json:"atom,omitempty"`
}

// exportNotIncluded says what the service keeps that the file cannot
// hold, and why (the privacy page says the same).
var exportNotIncluded = []string{
	"Impronte contro gli abusi dei moduli: hash con chiave dell'indirizzo e dell'IP, cancellate dopo 24 ore; non si possono ricondurre al tuo indirizzo.",
	"Registri del server: indirizzo IP, pagina e ora delle richieste, senza email né link personali; cancellati dopo 14 giorni.",
}

// export gathers everything the store holds about s.
func (b *Backend) export(ctx context.Context, s store.Subscriber) (readerExport, error) {
	l, err := b.Links(ctx)
	if err != nil {
		return readerExport{}, err
	}
	out := readerExport{
		Format:         ExportFormat,
		ExportedAt:     b.cfg.Now().UTC(),
		PrivacyVersion: PrivacyVersion,
		PrivacyURL:     l.PrivacyURL(),
		Feeds:          exportFeeds{Active: s.TokenHash != ""},
		Follows:        []map[string]any{},
		Alerts:         []map[string]any{},
		NotIncluded:    exportNotIncluded,
	}
	if out.Subscriber, err = exportRecord(s); err != nil {
		return readerExport{}, err
	}
	if out.Feeds.Active {
		out.Feeds.Calendar, out.Feeds.Atom = l.CalendarURL(s), l.AtomURL(s)
	}
	ix, err := b.series.get(ctx)
	if err != nil {
		return readerExport{}, err
	}
	fs, err := b.cfg.Store.FollowsOf(ctx, s.ID)
	if err != nil {
		return readerExport{}, fmt.Errorf("export follows: %w", err)
	}
	for _, f := range fs {
		m, err := exportRecord(f)
		if err != nil {
			return readerExport{}, err
		}
		if se, ok := ix.byIDOK(f.SeriesID); ok {
			m["series_title"] = se.Title
		}
		out.Follows = append(out.Follows, m)
	}
	as, err := b.cfg.Store.AlertsOfSubscriber(ctx, s.ID)
	if err != nil {
		return readerExport{}, fmt.Errorf("export alerts: %w", err)
	}
	for _, a := range as {
		m, err := exportRecord(a)
		if err != nil {
			return readerExport{}, err
		}
		out.Alerts = append(out.Alerts, m)
	}
	return out, nil
}

// writeExport answers the export as a file to download.
func (b *Backend) writeExport(w http.ResponseWriter, r *http.Request, s store.Subscriber) {
	x, err := b.export(r.Context(), s)
	if err != nil {
		b.internal(w, r, err)
		return
	}
	body, err := json.MarshalIndent(x, "", "  ")
	if err != nil {
		b.internal(w, r, fmt.Errorf("export: %w", err))
		return
	}
	body = append(body, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Disposition", `attachment; filename="`+exportFileName(b.cfg.Now())+`"`)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// exportFileName is "mangaalert-dati-2026-12-03.json" (the day in Rome).
func exportFileName(now time.Time) string {
	return "mangaalert-dati-" + store.DateOf(now).String() + ".json"
}

// apiExport is GET /api/v1/me/export.
func (b *Backend) apiExport(w http.ResponseWriter, r *http.Request) {
	s, ok := b.bearer(w, r)
	if !ok {
		return
	}
	b.writeExport(w, r, s)
}

// pageExport is the manage page's download, GET /gestisci/{token}/dati.json.
func (b *Backend) pageExport(w http.ResponseWriter, r *http.Request) {
	s, _, err := b.readerOf(r.Context(), r.PathValue("token"), Manage)
	if err != nil {
		b.tokenFailed(w, r, err)
		return
	}
	b.writeExport(w, r, s)
}

var (
	timeType   = reflect.TypeFor[time.Time]()
	dateType   = reflect.TypeFor[store.Date]()
	remindType = reflect.TypeFor[store.Remind]()
)

// exportRecord is a store record as a JSON object: every exported field,
// named in snake case ("ConfirmedAt" is "confirmed_at"), the fields of an
// embedded struct (Alert's AlertKey) at the same level. Zero times and
// dates are null, times are UTC, a Remind is the names of its alerts
// (null: not chosen, every alert). A field of a kind it cannot write is
// an error, so a new field of a new kind fails the export's test rather
// than going missing.
func exportRecord(rec any) (map[string]any, error) {
	v := reflect.ValueOf(rec)
	out := map[string]any{}
	if err := exportFields(v, v.Type().Name(), out); err != nil {
		return nil, err
	}
	return out, nil
}

func exportFields(v reflect.Value, typeName string, out map[string]any) error {
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		f := v.Field(i)
		if sf.Anonymous && sf.Type.Kind() == reflect.Struct {
			if err := exportFields(f, typeName, out); err != nil {
				return err
			}
			continue
		}
		name := snakeCase(sf.Name)
		if instead, ok := exportRedacted[typeName+"."+sf.Name]; ok {
			if f.IsZero() {
				out[name] = nil
			} else {
				out[name] = instead
			}
			continue
		}
		val, err := exportValue(f)
		if err != nil {
			return fmt.Errorf("export %s.%s: %w", typeName, sf.Name, err)
		}
		out[name] = val
	}
	return nil
}

func exportValue(f reflect.Value) (any, error) {
	switch f.Type() {
	case timeType:
		t := f.Interface().(time.Time)
		if t.IsZero() {
			return nil, nil
		}
		return t.UTC(), nil
	case dateType:
		d := f.Interface().(store.Date)
		if d.IsZero() {
			return nil, nil
		}
		return d.String(), nil
	case remindType:
		r := f.Interface().(store.Remind)
		if !r.Chosen() {
			return nil, nil
		}
		return r.Names(), nil
	}
	switch f.Kind() {
	case reflect.String:
		return f.String(), nil
	case reflect.Bool:
		return f.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return f.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return f.Uint(), nil
	case reflect.Slice:
		out := make([]any, f.Len())
		for i := range out {
			e, err := exportValue(f.Index(i))
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	}
	return nil, fmt.Errorf("a field of type %s: teach exportValue how to write it", f.Type())
}

// snakeCase is "ConfirmedAt" as "confirmed_at", "TelegramChatID" as
// "telegram_chat_id".
func snakeCase(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		if unicode.IsUpper(r) {
			prevLower := i > 0 && !unicode.IsUpper(rs[i-1])
			nextLower := i > 0 && i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if prevLower || nextLower {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
