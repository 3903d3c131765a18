package bolt

import (
	"bytes"
	"encoding/binary"
	"math"
	"slices"
	"time"

	"github.com/manga-alert-italia/mangaalert/store"
)

// Bucket names. Every secondary index lives in the same file and is written
// in the same transaction as its record, so an index never disagrees with
// what it indexes.
var (
	bucketSeries  = []byte("series")          // series id -> series
	bucketVolumes = []byte("volumes")         // volume id -> volume
	bucketVolDate = []byte("volumes_by_date") // date(4) volume id -> volume (a copy: range reads do no second lookup)
	bucketVolSer  = []byte("volumes_by_series")
	// series id 0 number(8) edition(1) volume id -> ""

	bucketSubs     = []byte("subscribers")          // subscriber id -> subscriber
	bucketSubEmail = []byte("subscribers_by_email") // email -> subscriber id
	bucketSubToken = []byte("subscribers_by_token") // token hash 0 subscriber id -> ""
	bucketSubExp   = []byte("subscribers_by_expiry")
	// expires(8) subscriber id -> "": the sweep's range scan

	bucketFollows   = []byte("follows")   // subscriber id 0 series id -> created(8)
	bucketFollowers = []byte("followers") // series id 0 subscriber id -> created(8)

	bucketAlerts     = []byte("alerts")               // volume id 0 subscriber id 0 kind -> alert
	bucketAlertSub   = []byte("alerts_by_subscriber") // subscriber id 0 volume id 0 kind -> ""
	bucketAlertClaim = []byte("alerts_claimed")       // claimed(8) alert key -> "" while Claimed

	// Telegram (issue 17).
	bucketSubChat = []byte("subscribers_by_chat") // chat id (decimal) 0 subscriber id -> ""
	bucketTgLinks = []byte("telegram_links")      // token hash -> link token

	// Reader numbers (readers.go); the file's marks are in bucketMeta.
	bucketReaderNum = []byte("reader_numbers") // subscriber id -> number (uvarint)

	bucketPages = []byte("pages") // url -> page
	bucketBlobs = []byte("blobs") // key -> bytes

	allBuckets = [][]byte{bucketSeries, bucketVolumes, bucketVolDate, bucketVolSer,
		bucketSubs, bucketSubEmail, bucketSubToken, bucketSubExp,
		bucketFollows, bucketFollowers, bucketAlerts, bucketAlertSub, bucketAlertClaim,
		bucketPages, bucketBlobs, bucketSubChat, bucketTgLinks, bucketReaderNum, bucketMeta}
)

const sep = 0

// join builds a composite key: parts separated by NUL. IDs never hold a
// NUL (checkID), so a prefix of parts is a prefix of keys.
func join(parts ...string) []byte {
	n := len(parts)
	for _, p := range parts {
		n += len(p)
	}
	b := make([]byte, 0, n)
	for i, p := range parts {
		if i > 0 {
			b = append(b, sep)
		}
		b = append(b, p...)
	}
	return b
}

// prefix is the key prefix of every composite key starting with id.
func prefix(id string) []byte { return append([]byte(id), sep) }

// split cuts a composite key into its n parts.
func split(k []byte, n int) ([]string, bool) {
	parts := make([]string, 0, n)
	for range n - 1 {
		i := bytes.IndexByte(k, sep)
		if i < 0 {
			return nil, false
		}
		parts = append(parts, string(k[:i]))
		k = k[i+1:]
	}
	return append(parts, string(k)), true
}

// dateKey sorts by release date; the unknown date sorts after every known
// one, as store.Date.Compare does.
func dateKey(d store.Date, id string) []byte {
	b := make([]byte, 4, 4+len(id))
	binary.BigEndian.PutUint32(b, dateSortNum(d))
	return append(b, id...)
}

func dateSortNum(d store.Date) uint32 {
	if d.IsZero() {
		return ^uint32(0)
	}
	return dateNum(d)
}

func dateBound(d store.Date) []byte {
	b := make([]byte, 4)
	binary.BigEndian.PutUint32(b, dateSortNum(d))
	return b
}

// seriesKey orders a series' volumes by number, then edition (in
// store.Editions order), then id.
func seriesKey(v store.Volume) []byte {
	b := make([]byte, 0, len(v.SeriesID)+10+len(v.ID))
	b = append(b, v.SeriesID...)
	b = append(b, sep)
	b = binary.BigEndian.AppendUint64(b, uint64(int64(v.Number))^(1<<63))
	b = append(b, editionRank(v.Edition))
	return append(b, v.ID...)
}

func editionRank(e store.Edition) byte {
	if i := slices.Index(store.Editions, e); i >= 0 {
		return byte(i)
	}
	return 255
}

// timeKey sorts by instant (nanoseconds since 1970, as unsigned with the
// sign flipped so earlier instants sort first).
func timeKey(t time.Time, rest string) []byte {
	b := make([]byte, 8, 8+len(rest))
	binary.BigEndian.PutUint64(b, uint64(t.UnixNano())^(1<<63))
	return append(b, rest...)
}

func timeBound(t time.Time) []byte { return timeKey(t, "") }

func putTime(t time.Time) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, uint64(t.UnixNano()))
	return b
}

// noTime is getNanos' answer for a value that holds no time.
const noTime = math.MinInt64

func getNanos(b []byte) int64 {
	if len(b) != 8 {
		return noTime
	}
	return int64(binary.BigEndian.Uint64(b))
}

func nanosTime(n int64) time.Time {
	if n == noTime {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
