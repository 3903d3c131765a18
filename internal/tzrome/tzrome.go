// Package tzrome embeds the one time zone the runtime binary reckons in,
// Europe/Rome (947 bytes, from Go's own zoneinfo.zip), where time/tzdata
// embeds all of them (450 KB). Import it for its effect, before any
// package that loads the zone at init (store does: import paths sort
// internal/ before store/, and the spec initialises packages in that
// order when both are ready):
//
//	import _ "github.com/manga-alert-italia/mangaalert/internal/tzrome"
//
// As with time/tzdata, the system's zone database is used when there is
// one; the embedded zone serves only where there is none (FROM scratch).
// Any other zone name then fails as it would without time/tzdata.
//
// The data is Go's lib/time/zoneinfo.zip entry; after a Go upgrade with a
// newer IANA release, refresh it with go generate.
package tzrome

//go:generate sh -c "unzip -p \"$(go env GOROOT)/lib/time/zoneinfo.zip\" Europe/Rome > Europe_Rome.tzif"

import (
	_ "embed"
	"errors"
	_ "unsafe" // go:linkname
)

// Name is the zone embedded.
const Name = "Europe/Rome"

//go:embed Europe_Rome.tzif
var rome string

// errUnknown is what time.LoadLocation reports, wrapped, for any other
// zone when the system has none.
var errUnknown = errors.New("not embedded: only " + Name + " is (internal/tzrome)")

// registerLoadFromEmbeddedTZData is the hook time/tzdata uses; package time
// marks it for this (go:linkname push).
//
//go:linkname registerLoadFromEmbeddedTZData time.registerLoadFromEmbeddedTZData
func registerLoadFromEmbeddedTZData(func(string) (string, error))

func init() { registerLoadFromEmbeddedTZData(load) }

func load(name string) (string, error) {
	if name == Name {
		return rome, nil
	}
	return "", errUnknown
}
