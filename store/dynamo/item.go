package dynamo

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/manga-alert-italia/mangaalert/store"
)

// Records are mapped to items by hand: a few short attribute names per
// record, written and read in one place each, with no reflection.

type item = map[string]types.AttributeValue

// Attribute names of the keys and of the attributes expressions use.
const (
	attrPK     = "pk"
	attrSK     = "sk"
	attrGSI1PK = "gsi1pk"
	attrGSI1SK = "gsi1sk"
	attrGSI2PK = "gsi2pk"
	attrGSI2SK = "gsi2sk"
	attrTTL    = "ttl" // epoch seconds: DynamoDB's TTL attribute
	attrExp    = "exp" // the exact expiry, as a sortable time string
	attrType   = "t"   // the record type, for Counts

	gsi1 = "gsi1"
	gsi2 = "gsi2"
)

// Record types (attrType), as Counts tells them apart.
const (
	typeSeries = "series"
	typeVolume = "volume"
	typeSub    = "subscriber"
	typeEmail  = "email"
	typeFollow = "follow"
	typeAlert  = "alert"
	typePage   = "page"
	typeBlob   = "blob"
	typeMeta   = "meta"
)

// timeLayout is fixed-width UTC, so times compare as strings in conditions
// and sort keys.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func num(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func key(pk, sk string) item { return item{attrPK: str(pk), attrSK: str(sk)} }

// setS sets a string attribute, leaving empty ones out.
func setS(it item, name, v string) {
	if v != "" {
		it[name] = str(v)
	}
}

func setN(it item, name string, v int64) {
	if v != 0 {
		it[name] = num(v)
	}
}

func setTime(it item, name string, t time.Time) {
	if !t.IsZero() {
		it[name] = str(fmtTime(t))
	}
}

func getS(it item, name string) string {
	if v, ok := it[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// decoding collects the first malformed attribute of an item.
type decoding struct {
	it  item
	err error
}

func (d *decoding) s(name string) string { return getS(d.it, name) }

func (d *decoding) n(name string) int64 {
	av, ok := d.it[name]
	if !ok {
		return 0
	}
	v, isN := av.(*types.AttributeValueMemberN)
	if !isN {
		d.bad(name, av)
		return 0
	}
	n, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		d.bad(name, av)
	}
	return n
}

func (d *decoding) time(name string) time.Time {
	v := getS(d.it, name)
	if v == "" {
		return time.Time{}
	}
	t, err := time.Parse(timeLayout, v)
	if err != nil {
		d.bad(name, d.it[name])
	}
	return t
}

func (d *decoding) date(name string) store.Date {
	v, err := store.ParseDate(getS(d.it, name))
	if err != nil {
		d.bad(name, d.it[name])
	}
	return v
}

func (d *decoding) bool(name string) bool {
	v, ok := d.it[name].(*types.AttributeValueMemberBOOL)
	return ok && v.Value
}

func (d *decoding) strs(name string) []string {
	l, ok := d.it[name].(*types.AttributeValueMemberL)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(l.Value))
	for _, av := range l.Value {
		if v, ok := av.(*types.AttributeValueMemberS); ok {
			out = append(out, v.Value)
		}
	}
	return out
}

func (d *decoding) bad(name string, av types.AttributeValue) {
	if d.err == nil {
		d.err = fmt.Errorf("item %s/%s: attribute %s is malformed (%T)", getS(d.it, attrPK), getS(d.it, attrSK), name, av)
	}
}

// Keys.

func seriesKey(id string) item   { return key("SERIES#"+id, "SERIES") }
func volumeKey(id string) item   { return key("VOLUME#"+id, "VOLUME") }
func monthsKey() item            { return key("META", "MONTHS") }
func subKey(id string) item      { return key("SUB#"+id, "SUB") }
func emailKey(email string) item { return key("EMAIL#"+email, "EMAIL") }
func followKey(sub, series string) item {
	return key("SUB#"+sub, "FOLLOW#"+series)
}
func alertKey(k store.AlertKey) item {
	return key("ALERT#"+k.VolumeID, k.SubscriberID+"#"+string(k.Kind))
}
func pageKey(url string) item { return key("PAGE#"+url, "PAGE") }
func blobKey(k string) item   { return key("BLOB#"+k, "BLOB") }

func releasePK(d store.Date) string {
	if d.IsZero() {
		return "RELEASE#UNDATED"
	}
	return fmt.Sprintf("RELEASE#%04d-%02d", d.Year, int(d.Month))
}

func month(d store.Date) string { return fmt.Sprintf("%04d-%02d", d.Year, int(d.Month)) }

// Series.

func seriesItem(s store.Series) item {
	it := seriesKey(s.ID)
	it[attrType] = str(typeSeries)
	it[attrGSI1PK], it[attrGSI1SK] = str("SERIES"), str(s.ID)
	it["id"] = str(s.ID)
	setS(it, "title", s.Title)
	setS(it, "pub", s.Publisher)
	if len(s.Aliases) > 0 {
		l := make([]types.AttributeValue, len(s.Aliases))
		for i, a := range s.Aliases {
			l[i] = str(a)
		}
		it["aliases"] = &types.AttributeValueMemberL{Value: l}
	}
	return it
}

func decodeSeries(it item) (store.Series, error) {
	d := decoding{it: it}
	s := store.Series{ID: d.s("id"), Title: d.s("title"), Aliases: d.strs("aliases"), Publisher: d.s("pub")}
	if len(s.Aliases) == 0 {
		s.Aliases = nil
	}
	return s, d.err
}

// Volumes.

func volumeItem(v store.Volume) item {
	it := volumeKey(v.ID)
	it[attrType] = str(typeVolume)
	rank := slices.Index(store.Editions, v.Edition)
	it[attrGSI1PK] = str("VOLUMES#" + v.SeriesID)
	it[attrGSI1SK] = str(fmt.Sprintf("%010d#%d#%s", v.Number, rank, v.ID))
	it[attrGSI2PK] = str(releasePK(v.ReleaseDate))
	if v.ReleaseDate.IsZero() {
		it[attrGSI2SK] = str(v.ID)
	} else {
		it[attrGSI2SK] = str(v.ReleaseDate.String() + "#" + v.ID)
	}
	it["id"] = str(v.ID)
	it["series"] = str(v.SeriesID)
	it["num"] = num(int64(v.Number))
	setS(it, "ed", string(v.Edition))
	setS(it, "key", v.Key)
	setS(it, "title", v.Title)
	setS(it, "pub", v.Publisher)
	setS(it, "date", v.ReleaseDate.String())
	setN(it, "price", int64(v.PriceCents))
	setS(it, "cover", v.CoverURL)
	setS(it, "src", v.SourceURL)
	setS(it, "sku", v.SKU)
	setTime(it, "first", v.FirstSeen)
	setTime(it, "last", v.LastSeen)
	setTime(it, "chg", v.ChangedAt) // absent from items written before it was kept
	return it
}

func decodeVolume(it item) (store.Volume, error) {
	d := decoding{it: it}
	v := store.Volume{
		ID: d.s("id"), SeriesID: d.s("series"), Number: int(d.n("num")), Edition: store.Edition(d.s("ed")),
		Key: d.s("key"), Title: d.s("title"), Publisher: d.s("pub"), ReleaseDate: d.date("date"),
		PriceCents: int(d.n("price")), CoverURL: d.s("cover"), SourceURL: d.s("src"), SKU: d.s("sku"),
		FirstSeen: d.time("first"), LastSeen: d.time("last"), ChangedAt: d.time("chg"),
	}
	return v, d.err
}

// Subscribers.

func subItem(s store.Subscriber) item {
	it := subKey(s.ID)
	it[attrType] = str(typeSub)
	if s.TokenHash != "" {
		it[attrGSI1PK], it[attrGSI1SK] = str("TOKEN#"+s.TokenHash), str(s.ID)
	}
	it["id"] = str(s.ID)
	it["email"] = str(s.Email)
	it["st"] = str(string(s.Status))
	if s.Variants {
		it["var"] = &types.AttributeValueMemberBOOL{Value: true}
	}
	setS(it, "tok", s.TokenHash)
	setTime(it, "cre", s.CreatedAt)
	setTime(it, "upd", s.UpdatedAt)
	setTime(it, "conf", s.ConfirmedAt)
	setExpiry(it, s.ExpiresAt)
	setN(it, "rem", int64(s.Reminders))
	// Consent (privacy).
	setTime(it, "cat", s.ConsentAt)
	setS(it, "cver", s.ConsentVersion)
	// Telegram (issue 17): the linked chat, indexed on gsi2 for
	// SubscriberByChat, and the channels.
	if s.TelegramChatID != 0 {
		setN(it, "tg", s.TelegramChatID)
		it[attrGSI2PK], it[attrGSI2SK] = str(chatPK(s.TelegramChatID)), str(s.ID)
	}
	setN(it, "ch", int64(s.Channels))
	return it
}

// setExpiry writes the exact expiry and DynamoDB's TTL (rounded up to the
// second, so TTL never deletes before the store stops showing the record).
func setExpiry(it item, t time.Time) {
	if t.IsZero() {
		return
	}
	it[attrExp] = str(fmtTime(t))
	sec := t.Unix()
	if t.Nanosecond() > 0 {
		sec++
	}
	it[attrTTL] = num(sec)
}

func decodeSub(it item) (store.Subscriber, error) {
	d := decoding{it: it}
	s := store.Subscriber{
		ID: d.s("id"), Email: d.s("email"), Status: store.Status(d.s("st")), Variants: d.bool("var"),
		TokenHash: d.s("tok"), CreatedAt: d.time("cre"), UpdatedAt: d.time("upd"),
		ConfirmedAt: d.time("conf"), ExpiresAt: d.time(attrExp), Reminders: store.Remind(d.n("rem")),
		// Consent (privacy).
		ConsentAt: d.time("cat"), ConsentVersion: d.s("cver"),
		// Telegram (issue 17).
		TelegramChatID: d.n("tg"), Channels: store.Channels(d.n("ch")),
	}
	return s, d.err
}

func emailItem(s store.Subscriber) item {
	it := emailKey(s.Email)
	it[attrType] = str(typeEmail)
	it["sub"] = str(s.ID)
	setExpiry(it, s.ExpiresAt)
	return it
}

// Follows.

func followItem(f store.Follow) item {
	it := followKey(f.SubscriberID, f.SeriesID)
	it[attrType] = str(typeFollow)
	it[attrGSI1PK], it[attrGSI1SK] = str("FOLLOWERS#"+f.SeriesID), str(f.SubscriberID)
	it[attrGSI2PK], it[attrGSI2SK] = str("FOLLOWED"), str(f.SeriesID+"#"+f.SubscriberID)
	it["sub"] = str(f.SubscriberID)
	it["series"] = str(f.SeriesID)
	setTime(it, "at", f.CreatedAt)
	setFollowCollection(it, f)
	return it
}

func decodeFollow(it item) (store.Follow, error) {
	d := decoding{it: it}
	f := store.Follow{SubscriberID: d.s("sub"), SeriesID: d.s("series"), CreatedAt: d.time("at"),
		OwnedUpTo: int(d.n("upto")), Owned: d.ints("own"), Reminders: store.Remind(d.n("rem"))}
	return f, d.err
}

// Alerts.

func claimSK(a store.Alert) string { return fmtTime(a.ClaimedAt) + "#" + a.AlertKey.String() }

func alertItem(a store.Alert) item {
	it := alertKey(a.AlertKey)
	it[attrType] = str(typeAlert)
	it[attrGSI1PK] = str("ALERTS#" + a.SubscriberID)
	it[attrGSI1SK] = str(a.VolumeID + "#" + string(a.Kind))
	if a.State == store.Claimed {
		it[attrGSI2PK], it[attrGSI2SK] = str("CLAIMED"), str(claimSK(a))
	}
	it["sub"] = str(a.SubscriberID)
	it["vol"] = str(a.VolumeID)
	it["kind"] = str(string(a.Kind))
	it["st"] = str(string(a.State))
	setS(it, "run", a.RunID)
	setS(it, "msg", a.MessageID)
	setS(it, "err", a.Error)
	setS(it, "date", a.ReleaseDate.String())
	setTime(it, "claimed", a.ClaimedAt)
	setTime(it, "upd", a.UpdatedAt)
	return it
}

func decodeAlert(it item) (store.Alert, error) {
	d := decoding{it: it}
	a := store.Alert{
		AlertKey:  store.AlertKey{SubscriberID: d.s("sub"), VolumeID: d.s("vol"), Kind: store.AlertKind(d.s("kind"))},
		State:     store.AlertState(d.s("st")),
		RunID:     d.s("run"),
		MessageID: d.s("msg"), Error: d.s("err"), ReleaseDate: d.date("date"),
		ClaimedAt: d.time("claimed"), UpdatedAt: d.time("upd"),
	}
	return a, d.err
}

// Pages.

func pageItem(p store.Page) item {
	it := pageKey(p.URL)
	it[attrType] = str(typePage)
	it["url"] = str(p.URL)
	setS(it, "etag", p.ETag)
	setS(it, "lm", p.LastModified)
	setS(it, "hash", p.ContentHash)
	setTime(it, "at", p.FetchedAt)
	return it
}

func decodePage(it item) (store.Page, error) {
	d := decoding{it: it}
	p := store.Page{URL: d.s("url"), ETag: d.s("etag"), LastModified: d.s("lm"), ContentHash: d.s("hash"), FetchedAt: d.time("at")}
	return p, d.err
}
