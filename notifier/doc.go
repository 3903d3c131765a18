// Package notifier sends Manga Alert Italia's alerts: it works out which
// are due, renders one Italian email per reader per run, and sends each
// alert once.
//
// # What is due
//
// For each upcoming volume of a series a reader follows:
//
//   - Announce: a first edition with a future or unknown release date,
//     first seen after the reader followed the series (not the back
//     catalogue they followed into) and within AnnounceWithin.
//   - Reminders (default 30, 7 and 1 days before, on Europe/Rome calendar
//     dates): the reminder of d days is due while the days left are in
//     (the next shorter reminder, d], so a missed run still sends it and
//     two reminders never go at once; none on or after the release day.
//     When a date moves, reminders follow the new date: one already sent
//     for the old date is due again for the new one, under its own kind
//     (store.RemindFor, "remind-7@2025-04-10"), so each (reader, volume,
//     kind) is still sent at most once.
//   - Moved dates: a reader whose latest alert of a volume gave another
//     date than the volume has now gets one notice of the new date
//     (store.Moved, keyed by the new date: once per change), in the
//     next email, with the old date beside it. A volume is looked at for
//     it while created or changed within AnnounceWithin.
//   - The reader's collection: first editions up to Follow.OwnedUpTo, and
//     those in Follow.Owned, are never alerted (store.Follow.OwnsVolume).
//   - Chosen reminders: a follow's store.Remind, else the reader's, else
//     all four, says which of the announcement and the 30/7/1-day
//     reminders go out; the kinds left out are not claimed. Moved-date
//     notices go to everyone told the old date.
//   - Variants, reprints and specials (OptIn, default store.OptIn) go to
//     readers with Subscriber.Variants, the sign-up's "Avvisami anche di
//     variant, ristampe ed edizioni speciali"; box sets and other
//     editions (novels, artbooks, guides) announce nothing.
//   - An announcement due together with a reminder settles it: the volume
//     appears once, and both alerts are recorded with the same message.
//
// Everything due to one reader in a run goes in one email, grouped by kind.
//
// # Once
//
// Each alert (reader, volume, kind) is claimed in the store with a
// conditional write before its message is sent, then resolved Sent with
// the provider's message id (Failed when the provider refuses the message
// for good). A run that is stopped (context cancelled, SIGTERM) finishes
// the message in flight and releases the claims of messages that did not
// leave, so the next run sends them. The uncertain window is what remains:
// a run that dies abruptly (killed, or its store failing) between claiming
// and recording the outcome, or a provider whose answer is lost. The next
// run resolves such claims older than Lease by Policy: AtMostOnce (the
// default) marks them Uncertain and reports them; AtLeastOnce sends them
// again.
//
// # Mail
//
// Messages are multipart/alternative (text and HTML from templates),
// with List-Unsubscribe (https and mailto), List-Unsubscribe-Post
// (RFC 8058 one-click), List-Id and a Message-ID derived from the alerts
// carried. Senders: sesmail (Amazon SES v2), smtpmail (SMTP relays),
// outbox (.eml files). A token bucket paces the sends (default 1 a second,
// lowered to the SES account's MaxSendRate) with bounded concurrency; a
// reader's alerts are claimed only once the bucket lets their message go,
// so a run killed while readers wait for the rate leaves their mail due,
// not uncertain.
//
// # Telegram
//
// With Notifier.Telegram set (a *telegram.Client), a reader's alerts go
// where store.Subscriber.AlertChannels says: e-mail, Telegram (a linked
// chat), or both; one plain-text Telegram message per reader per run,
// within the Bot API's limits (the client's Limiter). The alert's own
// claim still decides what is due; its Telegram delivery has a claim of
// its own (store.TelegramKind, "telegram/announce"), so a second run, or
// an e-mail sent again under AtLeastOnce, never sends it twice on
// Telegram. A chat that blocked the bot (403) is unlinked, logged at
// Error and listed in Report.Telegram.Unlinked, and a reader on Telegram
// alone gets that run's alerts by e-mail.
// Package bounce turns SES bounces and complaints into suppressed readers.
package notifier
