// Package backend is the web side of Manga Alert Italia: the pages where
// readers find series, sign up with double opt-in, manage their follows
// through signed links and unsubscribe in one click, the JSON API under
// /api/v1 that serves the same to other clients, and each reader's
// iCalendar and Atom feeds.
//
// New builds the http.Handler from a Config: a Store (the subset of the
// storage contract it reads and writes), a Mailer for the confirmation
// mail, the signing Keys and the public BaseURL. Serve runs it on a
// listener with the timeouts a server on the open internet needs and shuts
// it down cleanly when its context ends (ECS sends SIGTERM, then kills after
// the stop timeout). Links signs the URLs the notifier puts in its mails.
// NewACME and BlobCache get and keep a certificate from an ACME CA when the
// binary serves HTTPS itself.
//
// Pages are Italian, server-rendered with html/template, need no
// JavaScript and carry a Content-Security-Policy with no 'unsafe-inline'.
package backend
