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
// the stop timeout); Shutdown then sends the mail still queued. Healthcheck
// is the container health check. Links signs the URLs the notifier puts in
// its mails. NewACME and BlobCache get and keep a certificate from an ACME
// CA when the binary serves HTTPS itself; HTTPRedirect serves the plain
// port beside it.
//
// # Routes
//
//	GET  /                         releases of this week and the next, search
//	GET  /serie?q=                 series, searched by title or alias
//	GET  /serie/{id}               a series, its volumes, the follow form
//	GET  /iscriviti, POST          sign-up form: email and series
//	GET  /conferma/{token}, POST   confirmation (GET shows a button)
//	GET  /gestisci/{token}         manage page; POST .../segui, smetti,
//	                               preferenze, collezione, feed, cancella,
//	                               telegram, telegram-scollega, canali
//	GET  /gestisci/{token}/dati.json  the reader's data, as a file (export.go)
//	GET  /privacy                  what is kept, why, how long, who processes it
//	POST /hooks/telegram           the Telegram bot's updates (with Config.Telegram)
//	GET  /link, POST               mail me a manage link
//	GET  /disiscriviti/{token}     unsubscribe button; POST is RFC 8058 one-click
//	GET  /feed/{token}/uscite.ics  iCalendar feed of the releases followed
//	GET  /feed/{token}/annunci.atom Atom feed of the announcements
//	GET  /healthz, /readyz         alive; the store answers
//	     /api/v1/...               JSON API, described at /api/v1/openapi.json
//
// # The reader's data
//
// The privacy page (PrivacyVersion names its text) is linked from every
// page's footer and every mail; confirming an address records the consent
// (Subscriber.ConsentAt, ConsentVersion). GET /api/v1/me/export and the
// manage page's download give everything the store holds about the
// reader, made from the store's own types so a new field is exported
// without being listed. Deleting (the manage page's "cancella", DELETE
// /api/v1/me) first stops the reader (unsubscribed, feeds revoked), then
// deletes the alert history, the follows and the record; a failure midway
// answers 503 and a retry finishes it.
//
// # Telegram
//
// With Config.Telegram set, readers may take alerts on Telegram too
// (telegram.go): the manage page's "Collega Telegram" stores a one-time
// token's hash (store.TelegramLinks, 30 minutes) and shows the bot's deep
// link https://t.me/BOT?start=TOKEN; Telegram posts the reader's "/start
// TOKEN" to /hooks/telegram, checked against the X-Telegram-Bot-Api-
// Secret-Token header in constant time, and the chat is linked (a chat
// is one reader: linking it elsewhere unlinks it here); "/stop" unlinks.
// The reader chooses the channels (email, telegram or both) on the page
// or with PATCH /api/v1/me; POST and DELETE /api/v1/me/telegram link and
// unlink through the API.
//
// # Tokens
//
// Links carry HMAC-SHA256 tokens bound to a purpose (confirm, manage,
// unsubscribe, feed): confirm links expire with the pending sign-up (7
// days), manage links after 30 days, unsubscribe and feed links never. A
// token signed with the previous key of the secret is accepted, so links
// survive one rotation. Feed tokens also bind the reader's feed secret
// (Subscriber.TokenHash), so the reader can revoke a feed URL.
//
// # On the open internet
//
// Pages are Italian, server-rendered with html/template, need no
// JavaScript and carry a Content-Security-Policy with no 'unsafe-inline'.
// Form posts are checked with http.CrossOriginProtection (the one-click
// unsubscribe is exempt: mail providers post it from their servers).
// Requests are limited per client address (the connection's peer, or
// X-Forwarded-For from TrustedProxies only), forms that send mail more
// strictly. The mails the forms cause are under three budgets kept in the
// store, so restarts and replicas share them: MailsPerAddress a day to
// one inbox (see Inbox for how variants of an address are counted as
// one), MailsPerIP an hour from one client and MailsPerHour in all. A
// form post answers after the same work whatever the address: looking the
// reader up, the budgets, the sign-up record and the mail happen in the
// mail queue, and the answer never tells whether an address is known or
// over a budget. The
// access log has no email address and no token in it: a keyed hash
// stands for the address.
//
// # Replicas
//
// Any number of processes can serve one store behind a load balancer
// (TrustedProxies set to the balancer's addresses). What a replica keeps
// in memory, and why each is safe:
//
//   - Mail budgets: in the store (Store.TakeBudget, a conditional write),
//     never in memory: N replicas send what one would.
//   - Sign-ups and confirmations: in the store; a link works on every
//     replica. Tokens are stateless HMACs (no session, no one-time link
//     list); what revokes one (a feed secret, an unsubscribe) is a field
//     of the reader in the store.
//   - Signing keys: cached for KeysTTL (and by the binary's Secrets
//     Manager reader). After a rotation a token signed with a key this
//     replica does not hold yet makes it read the keys afresh (FreshKeys),
//     at most once a minute, before it calls the token bad.
//   - Page and API caches, the series list: per replica, dropped when the
//     store's catalogue version moves (asked at most once a second), else
//     at most CacheTTL old. The catalogue is written by the scraper only.
//   - Rate limits (PerIP, FormsPerIP): per replica, on purpose. They keep
//     one client from taking a replica's CPU, and a round-robin balancer
//     spreads a client over the replicas, so a client gets up to N times
//     the burst; what a client can make the service send is bounded by the
//     shared mail budgets. Sharing them would cost a store write per
//     request.
//   - The ACME cache: BlobCache over the store (account key, certificates
//     and both challenge kinds' tokens). Behind a load balancer TLS ends
//     there and ACME is off; without one, run one replica per name, or
//     each replica renews on its own.
//   - The mail queue: per replica. Shutdown works it off (serve gives it
//     what is left of ECS's stop timeout); a replica killed outright loses
//     the sign-ups it had queued and not worked off, which were answered
//     "check your mail": the reader signs up again.
//   - Stats, the access log's sampling: per replica, as metrics and logs
//     are.
package backend
