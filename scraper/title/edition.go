package title

import (
	"strings"

	"github.com/manga-alert-italia/mangaalert/store"
)

// The words that make a product something other than a first edition, as
// slugs (lower case, no accents, words joined by "-"), by edition. The
// kinds are checked in editionOrder: a "cofanetto variant" is a box, a
// "romanzo edizione speciale" is not a volume at all.
var editionWords = map[store.Edition][]string{
	store.Other: {
		"romanzo", "romanzi", "novel", "light-novel", "novelization", "artbook", "art-book",
		"artbooks", "the-art-of", "illustrations", "illustrazioni", "guida", "guidebook",
		"guide-book", "official-guide", "fanbook", "fan-book", "databook", "data-book",
		"character-book", "ricettario", "calendario", "poster", "agenda", "diario",
		"quaderno", "stickers", "sticker-book", "colouring", "coloring", "da-colorare",
		"anime-book", "film-book", "making-of", "encyclopedia", "enciclopedia",
		// A sampler gives away the first chapters: not a volume of its own.
		"sampler", "free-sampler", "manga-sampler", "albo-omaggio",
	},
	store.BoxSet: {
		"box", "box-set", "boxset", "cofanetto", "cofanetti", "starter-pack", "starter-box",
		"collection-box",
	},
	store.Variant: {
		"variant", "variant-cover", "cover-variant", "variante", "alternative-cover",
		"cover-alternativa",
	},
	store.Special: {
		"edizione-speciale", "edizione-limitata", "special-edition", "limited-edition",
		"limited", "limitata", "deluxe", "collector", "collectors", "collector-s",
		"collector-s-edition", "ultimate-edition", "perfect-edition", "gold-edition",
		"premium", "esclusiva", "exclusive", "con-gadget", "kanzenban",
		// A promotional printing (a fair's, a bundle's) is never the first
		// edition, however it is numbered.
		"promo", "promozionale", "edizione-promozionale", "promo-edition",
	},
	store.Reprint: {
		"ristampa", "reprint", "nuova-ristampa", "nuova-edizione", "new-edition",
	},
}

var editionOrder = []store.Edition{store.Other, store.BoxSet, store.Variant, store.Special, store.Reprint}

// phrases maps every edition phrase to its kind; maxPhrase is the most
// words a phrase has.
var phrases, maxPhrase = func() (map[string]store.Edition, int) {
	m := map[string]store.Edition{}
	longest := 0
	for i := len(editionOrder) - 1; i >= 0; i-- { // earlier kinds win
		e := editionOrder[i]
		for _, w := range editionWords[e] {
			m[w] = e
			longest = max(longest, strings.Count(w, "-")+1)
		}
	}
	return m, longest
}()

func rank(e store.Edition) int {
	for i, o := range editionOrder {
		if o == e {
			return i
		}
	}
	return len(editionOrder)
}

// Edition tells from words (a title, a card's qualifiers, a URL's last
// segment) what kind of product it is: First when nothing says otherwise.
// Every text is read as words, so "box" never matches "boxer".
func Edition(texts ...string) store.Edition {
	best, bestRank := store.First, len(editionOrder)
	for _, t := range texts {
		s := store.Slug(t)
		if s == "" {
			continue
		}
		// starts holds where each word of s begins.
		var buf [32]int
		starts := append(buf[:0], 0)
		for i := 0; i < len(s); i++ {
			if s[i] == '-' {
				starts = append(starts, i+1)
			}
		}
		for i := range starts {
			for k := 1; k <= maxPhrase && i+k <= len(starts); k++ {
				end := len(s)
				if i+k < len(starts) {
					end = starts[i+k] - 1
				}
				if e, ok := phrases[s[starts[i]:end]]; ok {
					if r := rank(e); r < bestRank {
						best, bestRank = e, r
					}
				}
			}
		}
	}
	return best
}

// helpers are the words that go with edition words ("edizione", "cover").
var helpers = map[string]bool{
	"edizione": true, "edition": true, "ed": true, "ediz": true, "cover": true, "anime": true,
	"speciale": true, "special": true, "nuova": true, "new": true, "ultimate": true,
	"perfect": true, "gold": true,
}

// editionPhrase reports whether the slug s is one of the edition words of
// any kind, or one of the words that go with them.
func editionPhrase(s string) bool {
	if helpers[s] {
		return true
	}
	_, ok := phrases[s]
	return ok
}
