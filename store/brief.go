package store

import "time"

// AlertBrief is what the notifier's planning reads of an alert: the fields
// its rules look at, and only while they matter. A plan reads about a
// million alerts (issue 17); decoding all of every one (message id, error,
// two times) was over a quarter of it. Stores may answer with briefs
// directly (store/bolt's AlertBriefsOfVolumeAppend); any other store's
// alerts are cut down with Alert.Brief.
type AlertBrief struct {
	SubscriberID string
	Kind         AlertKind
	State        AlertState
	// RunID is the run that holds the claim, set only while State is
	// Claimed: the plan asks "claimed by whom" of claims alone.
	RunID       string
	ReleaseDate Date // the release date the alert spoke of
	// At is ClaimedAt while State is Claimed (taking over a released claim
	// is a compare-and-swap on it), UpdatedAt otherwise (the latest alert
	// sent tells the date readers were given).
	At time.Time
}

// Brief is a's AlertBrief: what AlertBriefsOfVolumeAppend answers for it.
func (a Alert) Brief() AlertBrief {
	b := AlertBrief{SubscriberID: a.SubscriberID, Kind: a.Kind, State: a.State, ReleaseDate: a.ReleaseDate, At: a.UpdatedAt}
	if a.State == Claimed {
		b.RunID, b.At = a.RunID, a.ClaimedAt
	}
	return b
}
