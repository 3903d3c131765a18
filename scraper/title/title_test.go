package title_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/manga-alert-italia/mangaalert/scraper/title"
	"github.com/manga-alert-italia/mangaalert/store"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		raw, hint string
		want      title.Parsed
	}{
		{"SOLO LEVELING n. 19", "", title.Parsed{Series: "SOLO LEVELING", Number: 19, HasNumber: true}},
		{"SOLO LEVELING n. 19", "SOLO LEVELING", title.Parsed{Series: "SOLO LEVELING", Number: 19, HasNumber: true}},
		{"  SOLO\n   LEVELING   n.19 ", "", title.Parsed{Series: "SOLO LEVELING", Number: 19, HasNumber: true}},
		{"Solo Leveling N° 3", "", title.Parsed{Series: "Solo Leveling", Number: 3, HasNumber: true}},
		{"Jujutsu Kaisen – Sorcery Fight 8", "", title.Parsed{Series: "Jujutsu Kaisen - Sorcery Fight", Number: 8, HasNumber: true}},
		{"Jujutsu Kaisen 0 – The Movie: Il Romanzo", "", title.Parsed{Series: "Jujutsu Kaisen", Number: 0, HasNumber: true, Rest: "The Movie: Il Romanzo"}},
		{"Jujutsu Kaisen 1", "", title.Parsed{Series: "Jujutsu Kaisen", Number: 1, HasNumber: true}},
		{"Mob Psycho 100 1", "", title.Parsed{Series: "Mob Psycho 100", Number: 1, HasNumber: true}},
		{"Mob Psycho 100 1", "Mob Psycho 100", title.Parsed{Series: "Mob Psycho 100", Number: 1, HasNumber: true}},
		{"KAIJU NO. 8 n. 5", "", title.Parsed{Series: "KAIJU NO. 8", Number: 5, HasNumber: true}},
		{"Kaiju No. 8 5", "Kaiju No. 8", title.Parsed{Series: "Kaiju No. 8", Number: 5, HasNumber: true}},
		{"100 Metres - Hyakuemu Variant MangaYo! 1", "100 Metres - Hyakuemu", title.Parsed{Series: "100 Metres - Hyakuemu", Number: 1, HasNumber: true, Rest: "Variant MangaYo!"}},
		{"One Piece Vol. 107", "", title.Parsed{Series: "One Piece", Number: 107, HasNumber: true}},
		{"One Piece volume 107", "", title.Parsed{Series: "One Piece", Number: 107, HasNumber: true}},
		{"Berserk #42", "", title.Parsed{Series: "Berserk", Number: 42, HasNumber: true}},
		{"Cofanetto Jujutsu Kaisen 1-3", "", title.Parsed{Series: "Cofanetto Jujutsu Kaisen", Number: 1, HasNumber: true}},
		{"Your Name. - Il Romanzo", "", title.Parsed{Series: "Your Name. - Il Romanzo"}},
		{"Calendario 2025", "", title.Parsed{Series: "Calendario 2025"}},
		{"100", "", title.Parsed{Series: "100"}},
		{"", "", title.Parsed{}},
		{"Dragon Ball Super 20 (Variant)", "", title.Parsed{Series: "Dragon Ball Super", Number: 20, HasNumber: true, Rest: "(Variant)"}},
		// A hint that is not the title's start is ignored.
		{"Chainsaw Man 17", "Solo Leveling", title.Parsed{Series: "Chainsaw Man", Number: 17, HasNumber: true}},
		// A hint must end on a word boundary.
		{"Narutoverse 3", "Naruto", title.Parsed{Series: "Narutoverse", Number: 3, HasNumber: true}},
		{"SOLO LEVELING", "Solo Leveling", title.Parsed{Series: "Solo Leveling"}},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			assert.Equal(t, tt.want, title.Split(tt.raw, tt.hint))
		})
	}
}

func TestNormalizerOneSeries(t *testing.T) {
	// Every spelling in a group is one series; the groups are different series.
	groups := [][]string{
		{"Jujutsu Kaisen – Sorcery Fight", "JUJUTSU KAISEN", "Jujutsu Kaisen", "jujutsu  kaisen ",
			"Jujutsu Kaisen - Sorcery Fight", "Jujutsu Kaisen: Sorcery Fight", "JUJUTSU KAISEN - SORCERY FIGHT",
			"Jujutsu Kaisen Variant", "Cofanetto Jujutsu Kaisen", "Jujutsu Kaisen (Light Novel)",
			"Jujutsu Kaisen — Sorcery Fight"},
		{"SOLO LEVELING", "Solo Leveling", "Solo Leveling n.", "SOLO LEVELING ANIME VARIANT", "Solo Leveling - Edizione Speciale"},
		{"ONE PIECE", "ONE PIECE NEW EDITION", "One Piece - Nuova Edizione", "One Piece Deluxe Edition",
			"ONE PIECE NOVEL - HEROINES", "One Piece Artbook - Color Walk"},
		{"Demon Slayer - Kimetsu no Yaiba", "DEMON SLAYER - KIMETSU NO YAIBA", "Demon Slayer"},
		{"L'Attacco dei Giganti", "L’ATTACCO DEI GIGANTI", "L'attacco dei giganti Deluxe"},
		{"Città di Vetro", "CITTA DI VETRO", "Citta' di Vetro"},
		{"Frieren - Oltre la fine del viaggio", "Frieren – Oltre la Fine del Viaggio"},
		{"Mob Psycho 100", "MOB PSYCHO 100"},
	}
	n := title.Default
	seen := map[string]string{}
	for _, g := range groups {
		want := n.ID(g[0])
		assert.NotEmpty(t, want)
		for _, name := range g {
			assert.Equal(t, want, n.ID(name), "%q", name)
		}
		if other, dup := seen[want]; dup {
			t.Errorf("%q and %q must be different series, both are %q", g[0], other, want)
		}
		seen[want] = g[0]
	}
	// Unknown subtitles are kept: a spin-off is its own series.
	assert.NotEqual(t, n.ID("Detective Conan"), n.ID("Detective Conan - Zero's Tea Time"))
	assert.NotEqual(t, n.ID("Frieren"), n.ID("Frieren - Oltre la fine del viaggio"))
}

func TestNormalizerDisplay(t *testing.T) {
	tests := []struct{ in, display, id string }{
		{"Jujutsu Kaisen – Sorcery Fight", "Jujutsu Kaisen", "jujutsu-kaisen"},
		{"SOLO LEVELING", "Solo Leveling", "solo-leveling"},
		{"L'ATTACCO DEI GIGANTI", "L'Attacco dei Giganti", "l-attacco-dei-giganti"},
		{"ONE-PUNCH MAN", "One-Punch Man", "one-punch-man"},
		{"DRAGON QUEST - L'EMBLEMA DI ROTO II", "Dragon Quest - L'Emblema di Roto II", "dragon-quest-l-emblema-di-roto-ii"},
		{"DEMON SLAYER - KIMETSU NO YAIBA", "Demon Slayer", "demon-slayer"},
		{"  Chainsaw  Man ", "Chainsaw Man", "chainsaw-man"},
		{"Variant", "Variant", "variant"},
		{"!!!", "!!!", ""},
	}
	for _, tt := range tests {
		d, id := title.Default.Series(tt.in)
		assert.Equal(t, tt.display, d, tt.in)
		assert.Equal(t, tt.id, id, tt.in)
	}
}

func TestNormalizerAliases(t *testing.T) {
	n := title.Normalizer{Aliases: map[string]string{"attack-on-titan": "l-attacco-dei-giganti"}}
	assert.Equal(t, "l-attacco-dei-giganti", n.ID("Attack on Titan"))
	assert.Equal(t, "l-attacco-dei-giganti", n.ID("ATTACK ON TITAN Deluxe"))
	// Without the default subtitles, Sorcery Fight stays.
	assert.Equal(t, "jujutsu-kaisen-sorcery-fight", n.ID("Jujutsu Kaisen – Sorcery Fight"))
}

func TestEdition(t *testing.T) {
	tests := []struct {
		texts []string
		want  store.Edition
	}{
		{[]string{"SOLO LEVELING n. 19"}, store.First},
		{[]string{"SOLO LEVELING n. 1", "solo-leveling-1-anime-variant"}, store.Variant},
		{[]string{"SOLO LEVELING n. 1", "ANIME VARIANT"}, store.Variant},
		{[]string{"Jujutsu Kaisen 0 – The Movie: Il Romanzo"}, store.Other},
		{[]string{"Solo Leveling (Light Novel) 3"}, store.Other},
		{[]string{"Jujutsu Kaisen Artbook"}, store.Other},
		{[]string{"One Piece - Guida ufficiale"}, store.Other},
		{[]string{"Berserk Cofanetto 1-3"}, store.BoxSet},
		{[]string{"Naruto Box Set"}, store.BoxSet},
		{[]string{"Cofanetto Variant Chainsaw Man"}, store.BoxSet},
		{[]string{"Chainsaw Man 1 Edizione Limitata"}, store.Special},
		{[]string{"Chainsaw Man 1 Edizione Speciale"}, store.Special},
		{[]string{"Fullmetal Alchemist Deluxe 5"}, store.Special},
		{[]string{"Death Note Collector's Edition"}, store.Special},
		{[]string{"Dragon Ball Ultimate Edition 3"}, store.Special},
		{[]string{"Naruto Ristampa 5"}, store.Reprint},
		{[]string{"ONE PIECE NEW EDITION n. 50"}, store.Reprint},
		{[]string{"Il romanzo variant"}, store.Other},
		{[]string{"Chainsaw Man 1 Promo"}, store.Special},
		{[]string{"One Piece 1 Edizione promozionale"}, store.Special},
		{[]string{"Dandadan Sampler"}, store.Other},
		{[]string{"Jujutsu Kaisen 1 Manga Sampler"}, store.Other},
		// Words, not substrings.
		{[]string{"Boxer 3"}, store.First},
		{[]string{"Variantopolis 2"}, store.First},
		{[]string{"Il Romanzesco 1"}, store.First},
		{nil, store.First},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, title.Edition(tt.texts...), "%q", tt.texts)
	}
}

func TestClean(t *testing.T) {
	assert.Equal(t, "Jujutsu Kaisen - Sorcery Fight", title.Clean("Jujutsu\u00a0Kaisen\t–\n Sorcery  Fight "))
	assert.Equal(t, "L'Attacco", title.Clean("L’Attacco"))
	assert.Equal(t, "", title.Clean(" \n\t "))
	assert.Equal(t, "Città", title.Clean("Citta\u0300"), "NFC")
}

func ExampleSplit() {
	p := title.Split("Jujutsu Kaisen 0 – The Movie: Il Romanzo", "")
	display, id := title.Default.Series(p.Series)
	fmt.Println(display, id, p.Number, p.Rest, title.Edition(p.Rest))
	p = title.Split("JUJUTSU KAISEN – SORCERY FIGHT n. 25", "")
	display, id = title.Default.Series(p.Series)
	fmt.Println(display, id, p.Number, title.Edition("JUJUTSU KAISEN – SORCERY FIGHT n. 25"))
	// Output:
	// Jujutsu Kaisen jujutsu-kaisen 0 The Movie: Il Romanzo other
	// Jujutsu Kaisen jujutsu-kaisen 25 first
}

func FuzzSplit(f *testing.F) {
	for _, s := range []string{"SOLO LEVELING n. 19", "Jujutsu Kaisen 0 – The Movie: Il Romanzo", "Cofanetto 1-3", "n.", "#", "- - -", "(((", "Città 1"} {
		f.Add(s, "")
		f.Add(s, "SOLO LEVELING")
	}
	f.Fuzz(func(t *testing.T, raw, hint string) {
		p := title.Split(raw, hint)
		if p.Number < 0 || p.Number > 999 {
			t.Fatalf("number %d from %q", p.Number, raw)
		}
		d, id := title.Default.Series(p.Series)
		if id != store.Slug(id) {
			t.Fatalf("id %q of %q is not a slug", id, d)
		}
		_ = title.Edition(raw, hint)
	})
}
