package backend

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"
)

// The backend's two mails: the confirmation of a sign-up (or of one more
// series, for a reader already confirmed) and a fresh link to the manage
// page. Plain text first; the HTML part says the same.

// The HTML part says what the text part says, "Ciao," first; long words
// and links wrap (overflow-wrap, word-break) so a phone's mail app does
// not scroll sideways.
var mailHTML = template.Must(template.New("mail").Parse(`<!doctype html>
<html lang="it"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{{.Subject}}</title></head>
<body style="font-family: system-ui, sans-serif; line-height: 1.5; color: #1d1d26; max-width: 36rem; overflow-wrap: anywhere; word-break: break-word;">
<p>Ciao,</p>
{{range .Paras}}<p>{{.}}</p>
{{end}}<p><a href="{{.Link}}" style="display:inline-block; background:#b3123b; color:#fff; padding:10px 18px; border-radius:8px; text-decoration:none; font-weight:600;">{{.Button}}</a></p>
<p style="font-size: 0.9em; color: #575766; overflow-wrap: anywhere; word-break: break-all;">Se il pulsante non funziona, copia questo indirizzo nel browser:<br>{{.Link}}</p>
{{range .After}}<p style="font-size: 0.9em; color: #575766;">{{.}}</p>
{{end}}<p>Manga Alert Italia</p>
{{if .Privacy}}<p style="font-size: 0.8em; color: #575766;"><a href="{{.Privacy}}" style="color: #575766;">Privacy: quali dati teniamo e perché</a></p>
{{end}}</body></html>
`))

type mailParts struct {
	Subject string
	Paras   []string // before the link
	Link    string
	Button  string
	After   []string // after the link
	Privacy string   // the privacy page, in the footer ("" for none)
}

func (p mailParts) mail(to string) (Mail, error) {
	var text strings.Builder
	text.WriteString("Ciao,\n\n")
	for _, s := range p.Paras {
		text.WriteString(s + "\n\n")
	}
	text.WriteString(p.Link + "\n\n")
	for _, s := range p.After {
		text.WriteString(s + "\n\n")
	}
	text.WriteString("Manga Alert Italia\n")
	if p.Privacy != "" {
		text.WriteString("\n--\nPrivacy: quali dati teniamo e perché: " + p.Privacy + "\n")
	}
	var html bytes.Buffer
	if err := mailHTML.Execute(&html, p); err != nil {
		return Mail{}, fmt.Errorf("render mail: %w", err)
	}
	return Mail{To: to, Subject: p.Subject, Text: text.String(), HTML: html.String()}, nil
}

func confirmMail(to, seriesTitle, link, privacy string, days int, active bool) (Mail, error) {
	p := mailParts{
		Subject: "Conferma: avvisi per " + seriesTitle,
		Link:    link,
		Privacy: privacy,
		Button:  "Conferma",
		After: []string{
			"Se non sei stato tu, ignora questa email: senza conferma non ti scriviamo.",
		},
	}
	if active {
		p.Paras = []string{fmt.Sprintf("hai chiesto di seguire anche «%s» su Manga Alert Italia. Per confermare apri questo link entro %d giorni:", seriesTitle, days)}
	} else {
		p.Paras = []string{
			fmt.Sprintf("qualcuno, speriamo tu, ha chiesto di ricevere a questo indirizzo gli avvisi di Manga Alert Italia per «%s»: ti scriviamo quando viene annunciato un nuovo volume e ti ricordiamo l'uscita.", seriesTitle),
			fmt.Sprintf("Per confermare apri questo link entro %d giorni:", days),
		}
	}
	return p.mail(to)
}

func manageMail(to, link, privacy string, days int) (Mail, error) {
	return mailParts{
		Subject: "Il link per gestire le tue serie",
		Privacy: privacy,
		Paras:   []string{fmt.Sprintf("ecco il link per vedere e cambiare le serie che segui su Manga Alert Italia. Vale %d giorni:", days)},
		Link:    link,
		Button:  "Gestisci le tue serie",
		After:   []string{"Se non l'hai chiesto tu, ignora questa email: senza il link nessuno può cambiare nulla."},
	}.mail(to)
}
